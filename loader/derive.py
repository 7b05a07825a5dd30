"""Properties derived from the whole graph at every load, stored so lookups read them in O(1).

* ``depth``: the number of edges on the longest path from M up to a root (docs/graph.md, "Definitions");
  ``depthVia``: the base that path goes through (on a tie, the smallest base id), so ``chain``
  walks the path without enumerating paths.
* ``family``: M's weakly connected component, named by its smallest member id (a key; ``stats``
  names families by their root with most descendants).
* ``descendants``: how many models derive from M, directly or not, each once (a model below a
  merge of two of M's descendants counts once); ``descendantDownloads`` and
  ``descendantDownloadsAllTime``: the sums of their downloads (null counts 0), so ``show``
  answers subtree downloads without a traversal of the subtree.
* ``orphanedIfDeleted``: how many models would lose every path to a root if M alone were
  deleted (M's dominator subtree); ``pathsFromRoots`` and ``pathsToLeaves``: the number of
  paths from a root down to M and from M down to a leaf (-1: beyond int64). With the
  descendant counts they answer ``impact`` of one model without reading its subgraph.

Absent means 0, or 1 for the path counts: roots carry no ``depth``, leaves no ``descendants``,
sums or ``pathsToLeaves``, models without any edge none of these (queries read
``coalesce(m.depth, 0)``, ``coalesce(m.family, m.id)``, ``coalesce(m.pathsFromRoots, 1)``, ...).
``DERIVED_PROPERTIES`` names them all.

Two halves:

* ``compute`` -- pure: the whole edge list (child and base id arrays) and the models' downloads
  in, one row per model with an edge out (nulls where a property is absent).
* ``write_changed`` -- after a load into a graph that held models (loader/update.py, the
  snapshot loads): writes back only where a stored value differs (so a re-load writes nothing
  here), in parallel batches; ``derive_inputs`` reads what the stored graph holds.

Node rows reach a loader before the edges that decide their derived values, so the loaders that
write each node once, complete (into an empty graph online, or into import files), keep what
they are handed in a ``Pending`` (node batches in a ``Spool`` on disk) until ``compute`` has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..lineage import dag
from ..store.db import Graph, Writer, gc_paused
from ..store.properties import DERIVED_PROPERTIES

BATCH = 10_000
WORKERS = 2  # concurrent write transactions for the write-back (plan.DEFAULT_WORKERS)
DERIVED_SCHEMA = pa.schema([("id", pa.string()), ("depth", pa.int64()), ("via", pa.string()),
                            ("family", pa.string()), ("descendants", pa.int64()), ("below", pa.int64()),
                            ("below_all_time", pa.int64()), ("orphaned", pa.int64()), ("paths_up", pa.int64()),
                            ("paths_down", pa.int64())])
VALUES = DERIVED_SCHEMA.names[1:]  # the columns the write queries take, in this order
# the stored property of each column: store/properties.py (load/set_derived, load/create_models, bulk's node files)
if list(DERIVED_PROPERTIES) != VALUES:
    raise RuntimeError("derive.DERIVED_PROPERTIES must list derive.VALUES in order")
DOWNLOADS_SCHEMA = pa.schema([("id", pa.string()), ("downloads", pa.int64()), ("downloadsAllTime", pa.int64())])


@dataclass
class DeriveReport:
    nodes_with_edges: int
    max_depth: int
    updated: int


@dataclass
class Derived:
    """``compute``'s answer: ``table`` (DERIVED_SCHEMA, sorted by id, one row per model with an
    edge) and the longest depth."""

    table: pa.Table
    max_depth: int

    @property
    def nodes_with_edges(self) -> int:
        return self.table.num_rows


def compute(child, base, downloads: pa.Table | None = None) -> Derived:
    """The derived properties of every model on an edge of the DAG ``child -> base``.

    ``child`` and ``base`` are string arrays (Arrow, chunked or not) of equal length: the whole
    graph's edges, each (child, base) pair once. ``downloads`` (DOWNLOADS_SCHEMA) holds the
    models' downloads; a model it lacks, or a null, counts 0. ``depth`` is null on roots, ``via``
    null where ``depth`` is; ``family`` is the smallest id of the model's weakly connected
    component; ``descendants``, ``below`` and ``below_all_time`` are null on leaves;
    ``orphaned`` (dag.dominated) is null where 0, ``paths_up`` and ``paths_down``
    (dag.path_counts, TOO_MANY beyond int64) where 1.
    """
    enc = dag.encode(dag.strings(child), dag.strings(base))
    n = len(enc.names)
    if n == 0:
        return Derived(DERIVED_SCHEMA.empty_table(), 0)
    depth = dag.depths(n, enc.child, enc.base)
    downloads = DOWNLOADS_SCHEMA.empty_table() if downloads is None else downloads
    # each downloads row's code, looked up among the models on edges (the smaller set, so the
    # hash table is over those); the first row of an id counts
    codes = pc.index_in(dag.strings(downloads["id"]), value_set=enc.names)
    rows = np.flatnonzero(pc.is_valid(codes).to_numpy(zero_copy_only=False))
    codes = codes.drop_null().to_numpy()
    codes, first = np.unique(codes, return_index=True)
    rows = rows[first]
    own = {}
    for column, name in (("below", "downloads"), ("below_all_time", "downloadsAllTime")):
        own[column] = np.zeros(n, np.int64)
        own[column][codes] = pc.fill_null(dag.plain(downloads[name]).cast(pa.int64()), 0).to_numpy()[rows]
    # exact integers, each descendant once
    descendants, *totals = dag.descendant_sums(n, enc.child, enc.base, depth,
                                               [np.ones(n, np.int64), own["below"], own["below_all_time"]])
    leaf = descendants == 0
    sums = {column: pa.array(total, mask=leaf) for column, total in zip(own, totals)}
    orphaned = dag.dominated(n, enc.child, enc.base, depth)
    paths_up, paths_down = dag.path_counts(n, enc.child, enc.base, depth)
    # the base each model's longest path goes through: a base one level up, smallest id first
    # (names are sorted, so the smallest code is the smallest id)
    on_path = depth[enc.base] == depth[enc.child] - 1
    via = np.full(n, -1, dtype=np.int64)
    kids, bases = enc.child[on_path], enc.base[on_path]
    order = np.lexsort((-bases, kids))  # per child, the smallest base is written last
    via[kids[order]] = bases[order]
    family = dag.components(n, enc.child, enc.base)
    table = pa.table({
        "id": enc.names,
        "depth": pa.array(depth, mask=depth == 0),
        "via": enc.names.take(pa.array(via, mask=via < 0)),
        "family": enc.names.take(pa.array(family)),
        "descendants": pa.array(descendants, mask=leaf),
        **sums,
        "orphaned": pa.array(orphaned, mask=orphaned == 0),
        "paths_up": pa.array(paths_up, mask=paths_up == 1),
        "paths_down": pa.array(paths_down, mask=paths_down == 1),
    }, schema=DERIVED_SCHEMA)
    return Derived(table, int(depth.max()))


def downloads_of(rows: pa.Table) -> pa.Table:
    """The DOWNLOADS_SCHEMA columns of a batch of node rows (read.normalise's table)."""
    props = rows["props"].combine_chunks()
    return pa.table({"id": rows["id"], "downloads": props.field("downloads"),
                     "downloadsAllTime": props.field("downloadsAllTime")}).cast(DOWNLOADS_SCHEMA)


def values_for(derived: Derived, ids) -> pa.Table:
    """The derived values (VALUES columns) of each id in ``ids``, in order (nulls for a model on no edge)."""
    where = pc.index_in(ids, value_set=derived.table["id"].combine_chunks())
    return derived.table.select(VALUES).take(where)


class Spool:
    """Node batches on disk until the derived properties are known, then read back one batch at a
    time with them: memory stays one batch plus the ids, whatever the file's size.

    ``append`` writes a table (any schema, the same for every call) to an Arrow IPC file and keeps
    the batch's ids; ``with_derived`` yields every batch in order with its rows' derived values
    (one hash table over the derived ids, probed once by all ids; the values taken per batch).
    ``close`` (called by the ``with`` block) removes the file.
    """

    def __init__(self, path: Path):
        self.path = path
        self._ids: list[pa.Array] = []
        self._stream: pa.NativeFile | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def append(self, table: pa.Table, ids) -> None:
        if self._writer is None:
            self._stream = pa.OSFile(str(self.path), "wb")
            self._schema = table.schema
            self._writer = pa.ipc.new_file(self._stream, self._schema)
        self._writer.write_table(table.cast(self._schema))
        self._ids.extend(ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids])

    def ids(self) -> pa.ChunkedArray:
        """The ids of the rows appended so far (until ``with_derived`` consumes them)."""
        return pa.chunked_array(self._ids, pa.string())

    def with_derived(self, derived: Derived) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
        self._close_writer()
        if not self._ids:
            return
        ids = pa.chunked_array(self._ids, pa.string()).combine_chunks()
        where = pc.index_in(ids, value_set=derived.table["id"].combine_chunks())
        del ids
        self._ids = []
        values = derived.table.select(VALUES)
        with pa.OSFile(str(self.path)) as source:  # not memory-mapped: RSS stays one batch
            reader = pa.ipc.open_file(source)
            offset = 0
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                yield batch, values.take(where.slice(offset, batch.num_rows))
                offset += batch.num_rows

    def batches(self) -> Iterator[pa.Table]:
        """The spooled tables, one batch at a time, in order."""
        self._close_writer()
        if not self._ids:
            return
        with pa.OSFile(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield pa.Table.from_batches([reader.get_batch(i)])

    def id_chunks(self) -> list[pa.Array]:
        """The ids of each appended batch, in order."""
        return list(self._ids)

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._stream is not None and not self._stream.closed:
            self._stream.close()

    def close(self) -> None:
        self._close_writer()
        self.path.unlink(missing_ok=True)


class Pending:
    """What a writer that writes every node once, complete (the first online load, --bulk's
    import files), holds until ``compute`` can run: the node batches (spooled), their downloads,
    the placeholder ids and the edges' ends, as the plan hands them over.

    ``derive`` computes; ``nodes`` then yields the spooled batches with their derived values
    (Spool.with_derived) and ``placeholders_with_values`` the placeholders' table (``id`` plus
    VALUES). ``close`` removes the spool file.
    """

    def __init__(self, spool_path: Path):
        self.spool = Spool(spool_path)
        self._downloads: list[pa.Table] = []
        self._placeholders: list[pa.Array] = []
        self._child: list[pa.Array] = []
        self._base: list[pa.Array] = []

    def models(self, rows: pa.Table, spooled: pa.Table | None = None) -> None:
        """A batch of read.normalise's node rows; ``spooled``: the form to keep them in (the rows)."""
        self.spool.append(rows if spooled is None else spooled, rows["id"])
        self._downloads.append(downloads_of(rows))

    def placeholders(self, ids: pa.Array) -> None:
        self._placeholders.append(ids)

    def edges(self, rows: pa.Table) -> None:
        self._child.extend(rows["child"].chunks)
        self._base.extend(rows["base"].chunks)

    def derive(self) -> Derived:
        child = pa.chunked_array(self._child, pa.string())
        base = pa.chunked_array(self._base, pa.string())
        downloads = pa.concat_tables(self._downloads) if self._downloads else None
        self._child, self._base, self._downloads = [], [], []
        return compute(child, base, downloads)

    def nodes(self, derived: Derived) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
        yield from self.spool.with_derived(derived)
        self.spool.close()

    def placeholders_with_values(self, derived: Derived) -> pa.Table:
        ids = pa.concat_arrays(self._placeholders) if self._placeholders else pa.array([], pa.string())
        return values_for(derived, ids).add_column(0, "id", ids)

    def close(self) -> None:
        self.spool.close()


def changed_rows(wanted: pa.Table, stored: pa.Table) -> pa.Table:
    """Rows (``id`` + VALUES) of ``wanted`` whose derived values differ from ``stored`` (``id``
    and ``old_<column>`` of the models that hold any), and the stored models ``wanted`` lacks
    (all VALUES null: cleared). Each wanted row's stored row is found by position and compared
    one column at a time (a join of the two tables held both twice)."""
    stored_ids = dag.plain(stored["id"])
    where = pc.index_in(wanted["id"], value_set=stored_ids)
    same = same_values(wanted[VALUES[0]], stored[f"old_{VALUES[0]}"].take(where))
    for c in VALUES[1:]:
        same = pc.and_(same, same_values(wanted[c], stored[f"old_{c}"].take(where)))
    changed = wanted.select(["id", *VALUES]).filter(pc.invert(same))
    gone = stored_ids.filter(pc.invert(pc.is_in(stored_ids, value_set=wanted["id"])))
    return pa.concat_tables([
        changed,
        pa.table({"id": gone, **{c: pa.nulls(len(gone), DERIVED_SCHEMA.field(c).type) for c in VALUES}}),
    ])


def write_changed(graph: Graph, derived: Derived, stored: pa.Table, batch_size: int = BATCH,
                  workers: int = WORKERS) -> DeriveReport:
    """Store ``derived`` where it differs from ``stored`` (see ``changed_rows``)."""
    updates = changed_rows(derived.table, stored)
    # batches touch disjoint models (each id once), so they may run in any order, side by side
    with Writer(graph, workers) as writer:
        for start in range(0, updates.num_rows, batch_size):
            writer.put("load/set_derived", rows=updates.slice(start, batch_size).to_pylist())
        writer.join()
    return DeriveReport(nodes_with_edges=derived.nodes_with_edges, max_depth=derived.max_depth,
                        updated=updates.num_rows)


def derive_inputs(graph: Graph, chunk: int = 20_000) -> dict:
    """The graph's edges (``child``, ``base``), downloads (DOWNLOADS_SCHEMA) and stored derived
    values (``id`` and ``old_<column>``, models with any), from ``load/derive_inputs``: each
    record's rows turned into Arrow columns at once, so Python holds one chunk of objects."""
    edges, downloads, stored = [], [], []
    stored_schema = pa.schema([("id", pa.string()), *((f"old_{c}", DERIVED_SCHEMA.field(c).type) for c in VALUES)])
    with gc_paused():
        for names, rows in graph.stream("load/derive_inputs", fetch_size=1, chunk=chunk):
            if not rows:
                continue
            cols = dict(zip(names, zip(*rows)))
            ids = pa.array(cols["id"], pa.string())
            bases = pa.array(cols["bases"], pa.list_(pa.string()))
            edges.append(pa.table({"child": ids.take(pc.list_parent_indices(bases)), "base": pc.list_flatten(bases)}))
            downloads.append(pa.table([ids, pa.array(cols["downloads"], pa.int64()),
                                       pa.array(cols["downloadsAllTime"], pa.int64())], schema=DOWNLOADS_SCHEMA))
            old = pa.table([ids, *(pa.array(cols[c], f.type) for c, f in zip(VALUES, list(stored_schema)[1:]))],
                           schema=stored_schema)
            held = pc.is_valid(old[1])
            for name in old.column_names[2:]:
                held = pc.or_(held, pc.is_valid(old[name]))
            stored.append(old.filter(held))
    edge_schema = pa.schema([("child", pa.string()), ("base", pa.string())])
    edge_table = pa.concat_tables(edges) if edges else edge_schema.empty_table()
    return {"child": edge_table["child"], "base": edge_table["base"],
            "downloads": pa.concat_tables(downloads) if downloads else DOWNLOADS_SCHEMA.empty_table(),
            "stored": pa.concat_tables(stored) if stored else stored_schema.empty_table()}


def same_values(a, b) -> pa.ChunkedArray:
    """Null-safe equality: two nulls are the same. Lists of strings (a model's datasets) are
    compared as their items joined by a line break, which no id holds (loader/cards.py)."""
    if pa.types.is_list(a.type):
        a, b = pc.binary_join(a, "\n"), pc.binary_join(b, "\n")
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(both_null, pc.fill_null(pc.equal(a, b), False))
