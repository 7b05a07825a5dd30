"""The loader's schema: the id constraint and the indexes of cypher/schema/, created idempotently.

Every load runs it, at the moment that suits its writer: an update load first, a first load
once its nodes without a base are created (populating an index once is cheaper than keeping it
up to date on every CREATE; see loader/fresh.py), ``--bulk`` after the import.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ..cypher import registry

from .db import Graph


def ensure_schema(graph: Graph, wait: bool = False, timeout: int = 3600, only: tuple[str, ...] = ()) -> None:
    """The constraint and indexes (cypher/schema/), every statement idempotent (IF NOT EXISTS).

    On a graph that already holds data (after a bulk import) each creation populates an index.
    The indexes are created in one transaction, whose commit starts their populations in the
    background, then the constraints side by side, each of which waits for its own population:
    so every population runs beside the others' (BENCHMARKS.md, "Design measurements")
    ``wait``: return only when every index is online. ``only``: just these stored statements
    (e.g. ``schema/dataset_id_unique`` before a first load's Dataset nodes are matched).

    A constraint's index that its constraint never got (the server died while the constraint
    was being created) is dropped first: while it exists the constraint cannot be created.
    """
    queries = [query for query in registry() if query.name.startswith("schema/") and (not only or query.name in only)]
    constraints = [q for q in queries if q.text.lstrip().upper().startswith("CREATE CONSTRAINT")]
    indexes = [q for q in queries if q not in constraints]
    drop_orphan_indexes(graph)

    def run_all(chosen):
        def work(tx) -> None:
            for query in chosen:
                tx.run(query.text).consume()
        return work

    if indexes:
        graph.transact(run_all(indexes))
    # each constraint's creation waits for its own population: side by side, the Dataset and
    # history ones populate while the Model one does
    with ThreadPoolExecutor(max_workers=max(1, len(constraints))) as pool:
        for done in [pool.submit(graph.transact, run_all([query])) for query in constraints]:
            done.result()
    if wait:
        graph.read("load/await_indexes", seconds=timeout)


_CONSTRAINT = re.compile(r"^CREATE\s+CONSTRAINT\s+([A-Za-z_][A-Za-z0-9_]*)\s+IF NOT EXISTS", re.I)


def constraint_names() -> list[str]:
    """The names of the constraints of cypher/schema/."""
    return [m.group(1) for q in registry() if q.name.startswith("schema/")
            for m in [_CONSTRAINT.match(q.text.strip())] if m]


def drop_orphan_indexes(graph: Graph) -> list[str]:
    """Drop the indexes named like one of our constraints that no constraint owns, and return
    their names. A server killed while ``CREATE CONSTRAINT`` populated the constraint's index
    leaves that index behind after recovery, POPULATING for ever and owned by no constraint;
    ``CREATE CONSTRAINT ... IF NOT EXISTS`` then fails on every load with
    IndexWithNameAlreadyExists (found by bench/fault_trials.py). Loads hold the load lock, so
    no other load is creating the constraint meanwhile."""
    names = constraint_names()
    records, _, _ = graph.driver.execute_query(  # a read: SHOW commits nothing
        "SHOW INDEXES YIELD name, owningConstraint WHERE name IN $names AND owningConstraint IS NULL RETURN name",
        {"names": names}, database_=graph.database, routing_="r")
    dropped = []
    for record in records:
        name = record["name"]
        if name in names:  # the name is one of our own stored schema names, never user input
            graph.transact(lambda tx, name=name: tx.run(f"DROP INDEX {name} IF EXISTS").consume())
            dropped.append(name)
    return dropped
