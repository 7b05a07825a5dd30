"""Empty the database: every model, placeholder and edge, and the loader's indexes.

``hflineage db reset`` calls ``reset``. It holds the load lock (no load runs meanwhile),
deletes the nodes in transactions of 10,000 (a single transaction over millions of nodes would
exhaust the server's memory) and drops the constraint and indexes of ``cypher/schema/`` (and a
constraint's index that a server killed while creating the constraint left without it), so the
next load is a first load again (nodes before indexes). The lock's own constraint stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..cypher import registry

from ..store.db import Graph
from ..store.schema import drop_orphan_indexes
from ..store.lock import LoadLock
from ..lineage.results import Result

_SCHEMA_NAME = re.compile(r"^CREATE\s+(CONSTRAINT|INDEX)\s+([A-Za-z_][A-Za-z0-9_]*)\s+IF NOT EXISTS", re.I)


@dataclass
class ResetResult(Result):
    database: str
    nodes_deleted: int
    schema_dropped: list


def reset(graph: Graph, force: bool = False) -> ResetResult:
    with LoadLock(graph, "db reset", force=force):
        before = graph.read("load/node_count")[0]["nodes"]
        query = registry().get("load/reset_nodes")
        graph.run_implicit(query.text)
        dropped = []
        for stored in registry():
            if not stored.name.startswith("schema/"):
                continue
            match = _SCHEMA_NAME.match(stored.text.strip())
            if match is None:
                continue
            kind, name = match.group(1).upper(), match.group(2)
            # the name comes from our own stored schema text, never from user input
            graph.transact(lambda tx: tx.run(f"DROP {kind} {name} IF EXISTS").consume())
            dropped.append(name)
        # a constraint's index left without its constraint (the server died while creating it)
        drop_orphan_indexes(graph)
        return ResetResult(database=graph.database, nodes_deleted=before, schema_dropped=sorted(dropped))
