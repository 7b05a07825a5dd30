"""Properties derived from the whole graph after a load: ``depth`` and ``depthVia``.

depth(M) is the number of edges on the longest path from M up to a root (SPEC.md); ``depthVia``
is the base that path goes through (on a tie, the smallest base id), so ``chain`` can walk the
path without enumerating paths. Computed by level peeling over the whole edge list (dag.depths)
and written back only where a value changed, so a re-load writes nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dag
from .db import Graph

BATCH = 10_000


@dataclass
class DeriveReport:
    nodes_with_edges: int
    max_depth: int
    updated: int


def refresh_depths(graph: Graph, batch_size: int = BATCH) -> DeriveReport:
    child, base = [], []
    for c, b in graph.stream("load/lineage_edges"):
        child.append(c)
        base.append(b)
    enc = dag.encode(pa.array(child, pa.string()), pa.array(base, pa.string()))
    n = len(enc.names)
    depth = dag.depths(n, enc.child, enc.base) if n else np.zeros(0, dtype=np.int64)
    # the base each model's longest path goes through: a base one level up, smallest id first
    # (names are sorted, so the smallest code is the smallest id)
    on_path = depth[enc.base] == depth[enc.child] - 1
    via = np.full(n, -1, dtype=np.int64)
    kids, bases = enc.child[on_path], enc.base[on_path]
    order = np.lexsort((-bases, kids))  # per child, the smallest base written last
    via[kids[order]] = bases[order]

    names = enc.names.to_pylist()
    wanted = {names[i]: (int(depth[i]), names[via[i]]) for i in np.flatnonzero(depth > 0)}
    stored = {row[0]: (row[1], row[2]) for row in graph.stream("load/stored_depths")}
    rows = [{"id": k, "depth": d, "via": v} for k, (d, v) in wanted.items() if stored.get(k) != (d, v)]
    rows += [{"id": k, "depth": None, "via": None} for k in stored if k not in wanted]
    for start in range(0, len(rows), batch_size):
        graph.write("load/set_depths", rows=rows[start:start + batch_size])
    return DeriveReport(nodes_with_edges=n, max_depth=int(depth.max()) if n else 0, updated=len(rows))
