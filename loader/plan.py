"""The plan every load shares: read the file, normalise, dedupe, break cycles, name placeholders.

One plan, several writers (``Sink``). ``plan`` runs in two phases, memory bounded by the batch
size plus the edge list (~0.7M edges at full scale):

1. Stream record batches; hand every batch's models to the sink at once; keep the batch's ids
   and edges as Arrow arrays.
2. With the whole file seen: keep only each id's last row's edges (duplicate ids: the last row
   wins), drop repeated bases, break cycles (dag.break_cycles), hand over ``:Missing``
   placeholders for bases no row describes, then the edges.

The sink decides how the graph is written: ``fresh.FreshSink`` (the first online load),
``update.UpdateSink`` (an online load into a graph that holds models), ``bulk``'s import files,
``snapshot``'s in-memory copy. ``open_source`` checks the file before any of them writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from ..lineage import dag
from .report import LoadReport
from .read import EDGE_SCHEMA, check_schema, iter_batches, last_rows, normalise, open_parquet
from ..store.relations import EDGE_TYPE
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS  # noqa: F401  (re-exported)
from .update import StoredGraph



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
    skipped, dropped, dropped_links = Counter(), Counter(), Counter()
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
        dropped_links.update(batch.dropped_links)
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
    del ids, created
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
    # look the models up among the bases, not the other way: the hash table is over the few bases
    described = models["id"].filter(pc.is_in(models["id"], value_set=bases))
    absent = bases.filter(pc.invert(pc.is_in(bases, value_set=described.combine_chunks()))).to_pylist()
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
    report.dropped_links = dict(sorted(dropped_links.items()))
    return report


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
