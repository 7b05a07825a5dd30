"""Properties derived from the whole graph after a load: ``depth``, ``depthVia``, ``family``.

depth(M) is the number of edges on the longest path from M up to a root (SPEC.md); ``depthVia``
is the base that path goes through (on a tie, the smallest base id), so ``chain`` can walk the
path without enumerating paths. ``family`` names M's weakly connected component by its smallest
member id (a key; ``stats`` names families by their root with most descendants). Computed over
the whole edge list (dag.depths, dag.components) and written back only where a value changed,
so a re-load writes nothing here. Roots carry no ``depth`` and models without any edge no
``family`` (queries read ``coalesce(m.depth, 0)`` and ``coalesce(m.family, m.id)``).
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
    edges = graph.fetch_table("load/lineage_edges", ["child", "base"], [pa.string(), pa.string()])
    enc = dag.encode(edges["child"].combine_chunks(), edges["base"].combine_chunks())
    del edges
    n = len(enc.names)
    depth = dag.depths(n, enc.child, enc.base) if n else np.zeros(0, dtype=np.int64)
    # the base each model's longest path goes through: a base one level up, smallest id first
    # (names are sorted, so the smallest code is the smallest id)
    on_path = depth[enc.base] == depth[enc.child] - 1
    via = np.full(n, -1, dtype=np.int64)
    kids, bases = enc.child[on_path], enc.base[on_path]
    order = np.lexsort((-bases, kids))  # per child, the smallest base is written last
    via[kids[order]] = bases[order]

    family = dag.components(n, enc.child, enc.base) if n else np.zeros(0, dtype=np.int64)
    deep = depth > 0
    wanted = pa.table({
        "id": enc.names,
        "depth": pa.array(depth, mask=~deep),
        "via": enc.names.take(pa.array(via, mask=via < 0)),
        "family": enc.names.take(pa.array(family)),
    })
    stored = graph.fetch_table("load/stored_derived", ["id", "old_depth", "old_via", "old_family"],
                    [pa.string(), pa.int64(), pa.string(), pa.string()])
    joined = wanted.join(stored, "id", join_type="left outer")
    same = pc.and_(pc.and_(_same(joined["depth"], joined["old_depth"]), _same(joined["via"], joined["old_via"])),
                   _same(joined["family"], joined["old_family"]))
    changed = joined.filter(pc.invert(same))
    gone = stored.join(wanted, "id", join_type="left anti")
    updates = pa.concat_tables([
        changed.select(["id", "depth", "via", "family"]),
        pa.table({"id": gone["id"], "depth": pa.nulls(gone.num_rows, pa.int64()),
                  "via": pa.nulls(gone.num_rows, pa.string()), "family": pa.nulls(gone.num_rows, pa.string())}),
    ])
    for start in range(0, updates.num_rows, batch_size):
        graph.write("load/set_derived", rows=updates.slice(start, batch_size).to_pylist())
    return DeriveReport(nodes_with_edges=n, max_depth=int(depth.max()) if n else 0, updated=updates.num_rows)


def _same(a, b) -> pa.ChunkedArray:
    """Null-safe equality: two nulls are the same."""
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(both_null, pc.fill_null(pc.equal(a, b), False))
