"""The online load: hub-stats models.parquet -> (:Model) nodes and typed base edges in Neo4j,
by batched writes over Bolt on any server (local, cluster, Aura).

``load`` runs the plan every load shares (loader/plan.py) into one of two sinks:

* ``fresh.FreshSink`` when the graph holds no models: each node is written once, complete,
  before any index exists; then the schema, then the models with a base and their edges.
* ``update.UpdateSink`` otherwise: the stored edges are read first (``update.StoredGraph``) so
  that cycles are broken over the combined graph; nothing is written until the whole file is
  read and checked; then each node batch is one transaction with its models' edges and
  derived properties.

Every load holds the database's load lock (store/lock.py) from before its first read of the
graph to its end, so two loads never interleave. Both sinks run their write transactions on
background threads (db.Writer). ``bulk.bulk_load`` (an empty local database) writes import files
for ``neo4j-admin database import full`` instead, with the derived columns computed the same way.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from ..store.db import Graph, model_count  # noqa: F401  (re-exported)
from ..store.errors import LoadIncomplete
from .fresh import FreshSink
from .links import reconcile
from .report import LoadReport
from ..store.lock import LoadLock
from .plan import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, open_source, plan
from ..store.schema import ensure_schema
from .update import StoredGraph, UpdateSink


def load(
    graph: Graph,
    path: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    workers: int = DEFAULT_WORKERS,
    force: bool = False,
) -> LoadReport:
    """Load a file online: batched UNWIND writes over Bolt, on any server (local, cluster, Aura).

    Holds the load lock (``force``: take it from a holder that may still live). The whole file
    is read and checked before the first write; a failure while writing raises LoadIncomplete,
    and a re-run of the same load completes the graph.
    """
    started = time.monotonic()
    source = open_source(path)
    report = LoadReport(source=path, mode="online")
    with LoadLock(graph, path, force=force):
        if model_count(graph) == 0:
            with FreshSink(graph, workers, batch_size, progress) as sink:
                plan(source, sink, report, batch_size, progress)
                with _writing(path):
                    derived = sink.finish()
                    report.links = reconcile(graph, workers, batch_size, progress, written=True)
            report.depth_updates = derived.nodes_with_edges  # every model on an edge got its values
            report.max_depth = derived.max_depth
            report.seconds = round(time.monotonic() - started, 3)
            return report
        ensure_schema(graph)
        stored = StoredGraph.read(graph)
        with UpdateSink(graph, stored, workers, batch_size, progress,
                        replace_edges="baseModels" in source.columns) as sink:
            plan(source, sink, report, batch_size, progress, stored=stored)
            del stored
            with _writing(path):
                derived, changed = sink.finish()
                report.links = reconcile(graph, workers, batch_size, progress)
        report.depth_updates = changed
        report.max_depth = derived.max_depth
        report.seconds = round(time.monotonic() - started, 3)
        return report


@contextmanager
def _writing(path: str):
    """A server or driver failure after the first write: the graph is partly updated, and a
    re-run of the same load completes it (every write is an upsert or idempotent)."""
    import neo4j.exceptions as nex

    try:
        yield
    except (nex.Neo4jError, nex.DriverError, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise LoadIncomplete(f"the load of {path} stopped while writing ({first}); the graph is partly updated",
                             hint=f"re-run 'hflineage load {path}' to complete it") from e
