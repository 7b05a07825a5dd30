"""The bulk loader: hub-stats models.parquet -> (:Model) nodes and typed base edges in Neo4j.

One plan, two writers. ``plan`` is the pipeline both modes share, in two phases, memory bounded
by the batch size plus the edge list (~0.7M edges at full scale):

1. Stream record batches; hand every batch's models to the sink at once; keep the batch's ids
   and edges as Arrow arrays.
2. With the whole file seen: keep only each id's last row's edges (duplicate ids: the last row
   wins), drop repeated bases, break cycles (dag.break_cycles), hand over ``:Missing``
   placeholders for bases no row describes, then the edges.

The sink decides how the graph is written. ``load`` (online, any server) uses one of two:

* ``FreshSink`` when the graph holds no models: each node is written once, complete. Node
  batches are spooled (derive.Pending) until the edges are known, then created with their
  derived properties (derive.compute) before any index exists; then
  the schema (the id constraint's population), then the edges.
* ``update.UpdateSink`` otherwise: the stored edges are read first (``update.StoredGraph``) so
  that cycles are broken over the combined graph; nothing is written until the whole file is
  read and checked; then each node batch is one transaction with its models' edges and
  derived properties (see loader/update.py).

Every load holds the database's load lock (loader/lock.py) from before its first read of the
graph to its end, so two loads never interleave.

Both run their write transactions on background threads (db.Writer). ``bulk.bulk_load`` (an
empty local database) writes import files for ``neo4j-admin database import full`` instead,
with the derived columns computed the same way.
"""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from . import dag
from .db import Graph, Writer
from .derive import Derived, Pending, Spool
from .lock import LoadLock
from .update import StoredGraph, UpdateSink, batches_with_edges, spool_folder
from .relations import EDGE_TYPE
from .errors import LoadIncomplete
from .read import EDGE_SCHEMA, check_schema, iter_batches, last_rows, normalise, open_parquet
from hflineage.cypher import registry

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_WORKERS = 2  # concurrent write transactions; the server runs each on its own thread


@dataclass
class LoadReport:
    source: str
    mode: str = "online"  # "online" (batched writes over Bolt) or "bulk" (offline import)
    rows_read: int = 0
    rows_skipped: dict = field(default_factory=dict)  # reason -> rows not loaded at all
    rows_with_unknown_relation: int = 0  # node kept, edges skipped (counted in dropped_edges)
    duplicate_ids: int = 0  # rows superseded by a later row with the same id
    models: int = 0  # distinct models written
    missing_placeholders: int = 0  # distinct bases referenced, absent from the file and not models in the graph
    kept_base_edges: int = 0  # models whose stored base edges were kept: the file has no baseModels column
    edges: dict = field(default_factory=dict)  # TYPE -> {declared, inferred}
    inferred_by_rule: dict = field(default_factory=dict)
    dropped_edges: dict = field(default_factory=dict)  # reason -> edges not written
    depth_updates: int = 0
    max_depth: int = 0
    seconds: float = 0.0

    @property
    def edges_written(self) -> int:
        return sum(v["declared"] + v["inferred"] for v in self.edges.values())

    def to_dict(self) -> dict:
        """The load report as ``hflineage load --format json`` prints it."""
        return self.as_dict()

    def as_dict(self) -> dict:
        out = asdict(self)
        out["edges_written"] = self.edges_written
        out["rows_per_second"] = round(self.rows_read / self.seconds) if self.seconds else None
        out["edges_per_second"] = round(self.edges_written / self.seconds) if self.seconds else None
        return out


def ensure_schema(graph: Graph, wait: bool = False, timeout: int = 3600) -> None:
    """The constraint and indexes (cypher/schema/), every statement idempotent (IF NOT EXISTS).

    On a graph that already holds data (after a bulk import) each creation populates an index.
    The indexes are created in one transaction, whose commit starts their populations in the
    background, then the constraints, each of which waits for its own population: so the
    constraint's population runs beside the others' (measured at 500k models: ready in ~3.3 s,
    against ~4.2 s one statement after the other and ~4.1 s all in one transaction).
    ``wait``: return only when every index is online.

    A constraint's index that its constraint never got (the server died while the constraint
    was being created) is dropped first: while it exists the constraint cannot be created.
    """
    queries = [query for query in registry() if query.name.startswith("schema/")]
    constraints = [q for q in queries if q.text.lstrip().upper().startswith("CREATE CONSTRAINT")]
    indexes = [q for q in queries if q not in constraints]
    drop_orphan_indexes(graph)

    def run_all(chosen):
        def work(tx) -> None:
            for query in chosen:
                tx.run(query.text).consume()
        return work

    with graph.driver.session(database=graph.database) as session:
        session.execute_write(run_all(indexes))
        for query in constraints:
            session.execute_write(run_all([query]))
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
    records, _, _ = graph.driver.execute_query(
        "SHOW INDEXES YIELD name, owningConstraint WHERE name IN $names AND owningConstraint IS NULL RETURN name",
        {"names": names}, database_=graph.database)
    dropped = []
    for record in records:
        name = record["name"]
        if name in names:  # the name is one of our own stored schema names, never user input
            graph.driver.execute_query(f"DROP INDEX {name} IF EXISTS", database_=graph.database)
            dropped.append(name)
    return dropped


class Sink(Protocol):
    """Where a plan's graph is written. The online loader writes batches over Bolt; the bulk
    loader (loader/bulk.py) writes import files. Calls come in this order: every ``models``
    batch, ``flush``; every ``placeholders`` batch, ``flush``; every ``edges`` batch, ``flush``.
    """

    def models(self, rows: pa.Table) -> None:
        """One batch of node rows from ``read.normalise`` (each id once in the whole load):
        {id, props (struct of the properties), createdAt, lastModified (epoch milliseconds)}."""

    def placeholders(self, ids: list[str]) -> None:
        """``:Model:Missing`` placeholders for bases that no row describes."""

    def edges(self, rows: pa.Table) -> None:
        """A slice of edges: {child, base, type, declared, rule}; both ends exist already."""

    def flush(self) -> None:
        """Everything handed over so far is written (a phase ends)."""


@dataclass
class Source:
    """An opened, checked input file and its id prepass; opening it writes nothing."""

    path: str
    pf: pq.ParquetFile
    columns: list[str]
    last: np.ndarray  # read.last_rows: True where a row is its id's last (the row that wins)


def open_source(path: str) -> Source:
    """Open and check the file (InputError before anything is written), then run the prepass."""
    pf = open_parquet(path)
    columns = check_schema(pf, path)
    return Source(path=path, pf=pf, columns=columns, last=last_rows(pf))


def plan(source: Source, sink: Sink, report: LoadReport, batch_size: int = DEFAULT_BATCH_SIZE,
         progress: bool = True, stored: StoredGraph | None = None) -> LoadReport:
    """The pipeline both load modes share: read, normalise, dedupe, break cycles, placeholders.

    Node rows go to the sink batch by batch (bounded memory); ids, createdAt and edges are kept
    as Arrow arrays until the whole file is seen, then edges are cleaned (repeated bases, cycles)
    and handed over after the placeholders. Fills ``report`` with every count but the derived ones.

    ``stored`` (a graph that holds models): cycles are broken over the stored edges that stay
    plus the file's, placeholders are counted only for bases that are no model of the graph,
    and the sink's ``stored_edges`` receives the stored edges that stay and those to delete.
    """
    skipped, dropped = Counter(), Counter()
    ids, created, edges = [], [], []
    bar = tqdm(total=source.pf.metadata.num_rows, unit="rows", desc="models", disable=not progress,
               dynamic_ncols=True)
    first_row = 0
    for record_batch in iter_batches(source.pf, source.columns, batch_size):
        n = record_batch.num_rows
        batch = normalise(record_batch, first_row, source.path, source.last[first_row:first_row + n])
        first_row += n
        if batch.node_table.num_rows:
            sink.models(batch.node_table)
        skipped.update(batch.skipped)
        dropped.update(batch.dropped)
        ids.append(batch.ids)
        created.append(batch.created)
        if batch.edges.num_rows:
            edges.append(batch.edges)
        bar.update(n)
    sink.flush()
    bar.close()
    report.rows_read = first_row
    report.rows_with_unknown_relation = skipped.pop("rows_with_unknown_relation", 0)
    report.rows_skipped = dict(skipped)
    models = pa.table({
        "id": _concat(ids, pa.string()),
        "createdAt": _concat(created, pa.timestamp("us", tz="UTC")),
    })
    report.models = models.num_rows
    report.duplicate_ids = int(first_row - sum(report.rows_skipped.values()) - models.num_rows)

    edge_table = pa.concat_tables(edges) if edges else EDGE_SCHEMA.empty_table()
    del edges
    if edge_table.num_rows:
        edge_table = _drop_repeated_bases(edge_table, dropped)
    if stored is None:
        if edge_table.num_rows:
            edge_table = _break_cycles(edge_table, models, dropped)
    else:
        edge_table, kept, keep_edges = _stored_that_stay(stored, edge_table, models, "baseModels" in source.columns)
        report.kept_base_edges = len(keep_edges)
        edge_table, kept, victims = _break_cycles(edge_table, models, dropped, kept, stored)
        sink.stored_edges(kept, victims, keep_edges)

    # bases that no row of the file describes become :Missing placeholders (kept if known already)
    bases = pc.unique(edge_table["base"].combine_chunks()) if edge_table.num_rows else pa.array([], pa.string())
    absent = bases.filter(pc.invert(pc.is_in(bases, value_set=models["id"]))).to_pylist()
    if stored is not None and absent:
        known = stored.models_among(absent)
        absent = [b for b in absent if b not in known]
    report.missing_placeholders = len(absent)
    for start in range(0, len(absent), batch_size):
        sink.placeholders(absent[start:start + batch_size])
    sink.flush()

    edge_rows = _edge_rows(edge_table)
    ebar = tqdm(total=edge_rows.num_rows, unit="edges", desc="edges", disable=not progress, dynamic_ncols=True)
    for start in range(0, edge_rows.num_rows, batch_size):
        chunk = edge_rows.slice(start, batch_size)
        sink.edges(chunk)
        ebar.update(chunk.num_rows)
    sink.flush()
    ebar.close()

    report.edges = _edge_counts(edge_table)
    inferred = edge_table.filter(pc.invert(edge_table["declared"])) if edge_table.num_rows else edge_table
    report.inferred_by_rule = dict(sorted(Counter(inferred["rule"].to_pylist()).items()))
    report.dropped_edges = dict(sorted(dropped.items()))
    return report


def model_count(graph: Graph) -> int:
    """How many models the graph holds (O(1), from the count store)."""
    return graph.read("load/model_count")[0]["models"]


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


class FreshSink:
    """The online writer for a graph without models: every node written once, complete.

    On an empty graph two costs of the upsert path are avoidable. Keeping the constraint and
    five indexes up to date on every CREATE cost a third of the node write rate (300k models, 2
    writers: 13.9k nodes/s with them, 22.9k without), where populating them once afterwards is
    one scan. And the derived properties, written back after the load, were a second
    transaction on every model with an edge. So node batches are spooled to a temporary Arrow
    file, the placeholders and edges kept (derive.Pending); ``finish`` computes the derived
    table from the final edges (derive.compute, as --bulk does), then writes in two phases:

    1. The nodes without a base (roots, isolated models, placeholders; ~70% of the Hub) are
       created with their derived properties before any index exists (``load/create_models``,
       ``load/create_placeholders``); a reader sees each of them whole. The models with a base
       are spooled again on the way.
    2. The schema (the id constraint waits for its own population; MERGE and MATCH by id need
       it), then each batch of models with a base is one transaction with its edges
       (``load/upsert_models`` + ``load/merge_edges``, as update loads write), so no reader
       ever sees such a model without its edges. A base written in a later batch is a
       ``:Missing`` placeholder until then.

    If a concurrent writer added a model with a loaded id meanwhile (the load lock prevents
    it for hflineage loads), the constraint's creation fails and says which.
    """

    def __init__(self, graph: Graph, workers: int = DEFAULT_WORKERS, batch_size: int = DEFAULT_BATCH_SIZE,
                 progress: bool = True):
        self.graph, self.workers, self.batch_size, self.progress = graph, workers, batch_size, progress
        self.folder = spool_folder()
        self.pending = Pending(self.folder / "models.arrow")
        self.derived_spool = Spool(self.folder / "derived.arrow")
        self._edges: list[pa.Table] = []
        self.counts = {"models": 0, "placeholders": 0, "edges": 0}

    def __enter__(self) -> "FreshSink":
        return self

    def __exit__(self, *exc) -> None:
        self.pending.close()
        self.derived_spool.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def models(self, rows: pa.Table) -> None:
        self.pending.models(rows)
        self.counts["models"] += rows.num_rows

    def placeholders(self, ids: list[str]) -> None:
        self.pending.placeholders(pa.array(ids, pa.string()))
        self.counts["placeholders"] += len(ids)

    def edges(self, rows: pa.Table) -> None:
        self.pending.edges(rows)
        self._edges.append(rows)
        self.counts["edges"] += rows.num_rows

    def flush(self) -> None:
        """Nothing is written before ``finish``."""

    def finish(self) -> Derived:
        derived = self.pending.derive()
        bar = tqdm(total=self.counts["models"] + self.counts["placeholders"], unit="models", desc="writing",
                   disable=not self.progress, dynamic_ncols=True)
        with Writer(self.graph, self.workers) as writer:
            for batch, values in self.pending.nodes(derived):
                rows = pa.Table.from_batches([batch])
                rows = pa.table(rows.columns + values.columns, names=rows.column_names + values.column_names)
                has_base = pc.is_valid(rows["depth"])  # depth is null exactly on nodes without a base
                roots = rows.filter(pc.invert(has_base))
                if roots.num_rows:
                    writer.put("load/create_models", rows=roots.to_pylist())
                children = rows.filter(has_base)
                if children.num_rows:
                    self.derived_spool.append(children, children["id"])
                bar.update(roots.num_rows)
            placeholders = self.pending.placeholders_with_values(derived)
            for start in range(0, placeholders.num_rows, self.batch_size):
                chunk = placeholders.slice(start, self.batch_size)
                writer.put("load/create_placeholders", rows=chunk.to_pylist())
                bar.update(chunk.num_rows)
            writer.join()
            # MATCH and MERGE by id need the constraint's index; the rest go faster with the
            # other populations done than beside them (1M models: 9.9 s against 14.7 s)
            ensure_schema(self.graph, wait=True)
            edges = pa.concat_tables(self._edges) if self._edges else None
            self._edges = []
            for rows, chunk in batches_with_edges(self.derived_spool, edges):
                rows = rows.append_column("replace", pa.array(np.zeros(rows.num_rows, dtype=bool)))
                steps = [("load/upsert_models", {"rows": rows.to_pylist()})]
                if chunk is not None:
                    steps.append(("load/merge_edges", {"rows": chunk.to_pylist()}))
                writer.put_many(steps)
                bar.update(rows.num_rows)
            writer.join()
        bar.close()
        return derived


def _concat(chunks: list, typ: pa.DataType) -> pa.Array:
    return pa.concat_arrays([c.cast(typ) for c in chunks]) if chunks else pa.array([], typ)


def _drop_repeated_bases(edges: pa.Table, dropped: Counter) -> pa.Table:
    """One edge per (child, base): a card or baseModels that lists a base twice."""
    edges = edges.append_column("_i", pa.array(range(edges.num_rows), pa.int64()))
    first = edges.group_by(["child", "base"], use_threads=False).aggregate([("_i", "min")])["_i_min"]
    repeated = edges.num_rows - len(first)
    if repeated:
        dropped["repeated_base"] += repeated
        edges = edges.filter(pc.is_in(edges["_i"], value_set=first))  # first occurrence of each pair
    return edges.drop_columns(["_i"])


def _stored_that_stay(stored: StoredGraph, edges: pa.Table, models: pa.Table, bases_known: bool):
    """Split the stored edges: a file with ``baseModels`` replaces the base edges of every model
    it holds; one without says nothing about bases, so its models that have stored edges keep
    them (and its edges inferred from cards apply only to the others). Returns the file's
    edges, the stored edges that stay, and the file's models whose stored edges stay."""
    ids = models["id"]
    if bases_known:
        keep_edges = pa.array([], pa.string())
    else:
        with_edges = stored.children_with_edges()
        keep_edges = ids.filter(pc.is_in(ids, value_set=with_edges))
        if edges.num_rows:
            edges = edges.filter(pc.invert(pc.is_in(edges["child"], value_set=keep_edges)))
    replaced = ids.filter(pc.invert(pc.is_in(ids, value_set=keep_edges)))
    kept = stored.edges.filter(pc.invert(pc.is_in(stored.edges["child"], value_set=replaced)))
    return edges, kept, keep_edges


def _break_cycles(edges: pa.Table, models: pa.Table, dropped: Counter, kept: pa.Table | None = None,
                  stored: StoredGraph | None = None):
    """Break every cycle of the file's edges plus ``kept`` (stored edges that stay) by SPEC's
    rule. Returns the file's edges left, the stored edges left, and the stored edges dropped."""
    children = [edges["child"].combine_chunks().cast(pa.string())]
    bases = [edges["base"].combine_chunks().cast(pa.string())]
    if kept is not None and kept.num_rows:
        children.append(kept["child"].combine_chunks())
        bases.append(kept["base"].combine_chunks())
    enc = dag.encode(pa.concat_arrays(children), pa.concat_arrays(bases))
    suspect = dag.on_cycles(len(enc.names), enc.child, enc.base)
    if not suspect.any():
        return (edges, kept, []) if stored is not None else edges
    names = enc.names
    pairs = list(zip(names.take(pa.array(enc.child[suspect])).to_pylist(),
                     names.take(pa.array(enc.base[suspect])).to_pylist()))
    involved = {x for pair in pairs for x in pair}
    current = models.filter(pc.is_in(models["id"], value_set=pa.array(sorted(involved), pa.string())))
    created = dict(zip(current["id"].to_pylist(), current["createdAt"].to_pylist()))
    if stored is not None:
        others = sorted(involved - set(created))
        created.update(stored.created_at(others))
    victims = dag.break_cycles(pairs, created)
    if not victims:
        return (edges, kept, []) if stored is not None else edges
    dropped["cycle"] += len(victims)
    bad = pa.array([f"{c}\x00{b}" for c, b in victims], pa.string())
    key = pc.binary_join_element_wise(edges["child"], edges["base"], "\x00")
    edges = edges.filter(pc.invert(pc.is_in(key, value_set=bad)))
    if stored is None:
        return edges
    stored_victims = []
    if kept is not None and kept.num_rows:
        kkey = pc.binary_join_element_wise(kept["child"], kept["base"], "\x00")
        hit = pc.is_in(kkey, value_set=bad)
        stored_victims = list(zip(kept["child"].filter(hit).to_pylist(), kept["base"].filter(hit).to_pylist()))
        kept = kept.filter(pc.invert(hit))
    return edges, kept, stored_victims


def _edge_rows(edges: pa.Table) -> pa.Table:
    """The edges as load/write_edges takes them: {child, base, type, declared, rule}."""
    codes = pc.index_in(edges["relation"].combine_chunks(), value_set=pa.array(list(EDGE_TYPE)))
    return pa.table({
        "child": edges["child"],
        "base": edges["base"],
        "type": pa.array(list(EDGE_TYPE.values())).take(codes),
        "declared": edges["declared"],
        "rule": edges["rule"],
    })


def _edge_counts(edges: pa.Table) -> dict:
    counts = {t: {"declared": 0, "inferred": 0} for t in EDGE_TYPE.values()}
    if edges.num_rows:
        grouped = edges.group_by(["relation", "declared"]).aggregate([("row", "count")])
        for rel, declared, n in zip(grouped["relation"].to_pylist(), grouped["declared"].to_pylist(),
                                    grouped["row_count"].to_pylist()):
            counts[EDGE_TYPE[rel]]["declared" if declared else "inferred"] += n
    return counts
