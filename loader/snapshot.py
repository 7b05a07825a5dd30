"""Snapshot loads: a complete hub-stats dump of a date, applied as the difference to the graph.

``snapshot_load`` keeps the stored graph equal to a fresh load of the latest snapshot (SPEC.md,
"Snapshots and changes over time") while writing only what changed, and keeps history:

1. **read**: the file goes through the same plan as every load (plan.plan) into a sink that
   keeps it (``Collect``): node rows (on disk, as the copy this load will keep), placeholders,
   the cleaned edges. This is G_N.
2. **compare**: G_P, the current graph with every model's stored properties, base edges and
   derived values, comes from the copy the last snapshot load kept or, failing that, is read in
   one pass (``snapshot/state``) into a copy laid out the same way. A *pending* record
   (``:SnapshotPending``) naming that copy (``base``) is stored before anything else is written.
   The interval's figures (lineage/changes.py) come from G_P and G_N, computed in a thread during
   the writes (the server works, the client would wait).
3. **write**, each step computed from the state read, so a load that dies midway and runs
   again converges (its figures come from the copy the pending record names):
   deleted models added again come back (``:ModelHistory`` -> ``:Model``); new placeholders; the
   rows whose properties differ; deleted models, each to a ``:Missing`` placeholder (a current
   model still names it as base) or to ``:ModelHistory`` (out of the current graph: no ``Model``
   label, no edges), keeping what it last was (its bases too, so before any edge goes); base
   edges gone; new base edges; placeholders nobody names any more retired.
4. **derive**: the derived properties computed from G_N in memory (derive.compute) and written
   where they differ from the stored ones (derive.write_changed).
5. **report**: the pending record becomes a ``:Snapshot`` (the last write).

History lives on the nodes: ``firstSeen`` (absent: the first snapshot), and on a deleted model
``deletedAt``, ``lastSeen``, ``lastProperties`` (JSON text), ``lastBases`` and ``lastRelations``.
Every stored query matches ``:Model``, so ``:ModelHistory`` nodes are in no current answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import feather
from tqdm import tqdm

from ..lineage import changes as ch
from ..lineage import dag
from ..store.db import Graph, Writer, gc_paused
from .derive import DERIVED_SCHEMA, DOWNLOADS_SCHEMA, VALUES, compute, same_values, write_changed
from ..store.errors import InputError, SnapshotRefused
from .fresh import FreshSink
from .load import model_count
from .report import LoadReport
from .plan import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, Source, open_source, plan
from ..store.schema import ensure_schema
from ..store.relations import RELATION_OF, RELATIONS
from ..store import memory
from ..store.commits import read_mark
from ..store.settings import cache_home

PROPS = ("author", "downloads", "downloadsAllTime", "likes", "trendingScore", "pipelineTag", "libraryName",
         "license", "licenseName", "parameters")
LATER_PROPS = ("modelType", "relationType")  # strings, at the end of snapshot/state's rows
PROP_TYPES = {"author": pa.string(), "downloads": pa.int64(), "downloadsAllTime": pa.int64(), "likes": pa.int64(),
              "trendingScore": pa.float64(), "pipelineTag": pa.string(), "libraryName": pa.string(),
              "license": pa.string(), "licenseName": pa.string(), "parameters": pa.int64()}
EDGE_COLUMNS = pa.schema([("child", pa.string()), ("base", pa.string()), ("type", pa.string()),
                          ("declared", pa.bool_()), ("rule", pa.string())])


@dataclass
class SnapshotReport(LoadReport):
    """The load report with the snapshot's date, the interval's figures and the phase times."""

    snapshot: dict = field(default_factory=dict)  # {date, previous, kind}
    changes: dict | None = None  # the interval's figures (changes.Interval.figures), None on a first snapshot
    phases: dict = field(default_factory=dict)  # read, compare, write, derive, report: seconds
    writes: dict = field(default_factory=dict)  # what the write phase wrote, by kind


def parse_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InputError(f"--snapshot date '{text}' is not a date", hint="give it as YYYY-MM-DD") from None


def file_date(source: Source) -> str:
    """The latest createdAt/lastModified of the file, at day precision (SPEC's default date)."""
    columns = [c for c in ("createdAt", "lastModified") if c in source.columns]
    latest = None
    for batch in source.pf.iter_batches(batch_size=200_000, columns=columns):
        for column in batch.columns:
            if not pa.types.is_timestamp(column.type):
                continue
            value = pc.max(column).as_py()
            if value is not None and (latest is None or value > latest):
                latest = value
    if latest is None:
        raise InputError(f"{source.path}: no createdAt/lastModified value to date the snapshot by",
                         hint="give the date: --snapshot YYYY-MM-DD")
    return latest.date().isoformat()


class Collect:
    """A sink that keeps what the plan hands over: G_N, to compare with the stored graph.

    The node rows go to disk as they come, as the table of the copy this load keeps (see "the
    kept copy" below: an Arrow file in ``folder``, TABLE_SCHEMA, the models in file order, then
    the placeholders). Only the columns the interval's figures read stay in memory (``nodes``,
    after ``close``); the others are read back one at a time (``column``), so the load never
    holds the new graph's properties whole."""

    def __init__(self, folder: Path, inner=None):
        self.inner = inner  # a sink that writes at the same time (a first load), or None
        self.folder = folder
        self.path = folder / "table.arrow"
        self._writer = pa.ipc.new_file(str(self.path), TABLE_SCHEMA,
                                       options=pa.ipc.IpcWriteOptions(compression="zstd"))
        self._light: list[pa.Table] = []
        self._nodes: pa.Table | None = None
        self.model_count = 0
        self.placeholder_ids: list[str] = []
        self.edge_tables: list[pa.Table] = []

    def models(self, rows: pa.Table) -> None:
        if self.inner is not None:
            self.inner.models(rows)
        flat = _flat(rows)
        self._writer.write_table(flat)
        self._light.append(flat.select(list(NODE_LIGHT)))

    def placeholders(self, ids: list[str]) -> None:
        self.placeholder_ids.extend(ids)
        if self.inner is not None:
            self.inner.placeholders(ids)

    def edges(self, rows: pa.Table) -> None:
        self.edge_tables.append(rows)
        if self.inner is not None:
            self.inner.edges(rows)

    def flush(self) -> None:
        if self.inner is not None:
            self.inner.flush()

    def close(self) -> None:
        """The plan is done: the placeholders' rows end the table, ``nodes`` is ready."""
        self._writer.write_table(_placeholder_rows(self.placeholder_ids))
        self._writer.close()
        if self._light:
            self._nodes = pa.concat_tables(self._light).combine_chunks()
            self.model_count = self._nodes.num_rows
        self._light = []
        self.edge_tables = [self.edge_table()]  # one table, not a list of batches beside a copy of them

    @property
    def nodes(self) -> pa.Table | None:
        """The NODE_LIGHT columns of the models, in file order (after ``close``; None: no models)."""
        if self._nodes is None and self.model_count:
            self._nodes = feather.read_table(self.path, columns=list(NODE_LIGHT)).slice(0, self.model_count)
        return self._nodes

    def unload(self) -> None:
        """Let ``nodes`` go until it is asked for again (read back from the file)."""
        self._nodes = None

    def downloads(self) -> pa.Table | None:
        """The models' DOWNLOADS_SCHEMA columns, read from the file (None: no models)."""
        if not self.model_count:
            return None
        return feather.read_table(self.path, columns=DOWNLOADS_SCHEMA.names).slice(0, self.model_count).cast(
            DOWNLOADS_SCHEMA)

    def column(self, name: str):
        """One column of the models' rows (placeholders left out), in file order."""
        if self._nodes is not None and name in self._nodes.column_names:
            return self._nodes[name]
        return feather.read_table(self.path, columns=[name])[name].slice(0, self.model_count).combine_chunks()

    def edge_table(self) -> pa.Table:
        if len(self.edge_tables) == 1 and self.edge_tables[0].schema.equals(EDGE_COLUMNS):
            return self.edge_tables[0]
        tables = [t.select(EDGE_COLUMNS.names).cast(EDGE_COLUMNS) for t in self.edge_tables]
        return pa.concat_tables(tables).combine_chunks() if tables else EDGE_COLUMNS.empty_table()

    def view(self) -> ch.GraphView:
        nodes = self.nodes
        return ch.GraphView(
            models=nodes["id"] if nodes is not None else pa.array([], pa.string()),
            placeholders=pa.array(self.placeholder_ids, pa.string()),
            edges=_with_relation(self.edge_table()),
            last_modified=nodes["lastModified"] if nodes is not None else pa.array([], pa.int64()),
            downloads=nodes["downloads"] if nodes is not None else pa.array([], pa.int64()),
            downloads_all_time=nodes["downloadsAllTime"] if nodes is not None else pa.array([], pa.int64()),
        )

    def keep(self, version: str, edges: pa.Table, derived: pa.Table) -> None:
        """Complete the copy with the edges (EDGE_COLUMNS) and derived values (DERIVED_SCHEMA) of
        the new graph, and name it ``version``."""
        k = len(self.placeholder_ids)
        _finish_copy(self.folder, edges, derived.rename_columns(OLD_SCHEMA.names),
                     {"models": self.model_count + k, "missing": k, "edges": edges.num_rows}, version)

    def discard(self) -> None:
        """The load failed: no copy."""
        try:
            self._writer.close()
        except (pa.ArrowInvalid, OSError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def _flat(rows: pa.Table) -> pa.Table:
    """Node rows (read.normalise's table) as TABLE_SCHEMA rows of current models."""
    props = rows["props"].combine_chunks()
    none = pa.array(np.zeros(rows.num_rows, bool))
    columns = [rows["id"], none, none, *(props.field(p) for p in PROPS), rows["createdAt"], rows["lastModified"],
               *(props.field(p) for p in LATER_PROPS)]
    return pa.table(columns, names=TABLE_SCHEMA.names).cast(TABLE_SCHEMA)


def _placeholder_rows(ids: list[str]) -> pa.Table:
    k = len(ids)
    rows = pa.table({f.name: pa.nulls(k, f.type) for f in TABLE_SCHEMA})
    rows = rows.set_column(0, "id", pa.array(ids, pa.string()))
    rows = rows.set_column(1, "missing", pa.array(np.ones(k, bool)))
    return rows.set_column(2, "history", pa.array(np.zeros(k, bool)))


def _with_relation(edges: pa.Table) -> pa.Table:
    types = pa.array(list(RELATION_OF))
    where = pc.index_in(edges["type"], value_set=types)
    return pa.table({"child": edges["child"], "base": edges["base"],
                     "relation": pa.array(list(RELATION_OF.values())).take(where)})


class State:
    """The stored current graph: one row per ``:Model``, as a copy in ``folder`` (the one the
    last snapshot load kept, ``kept_state``, or the one ``read_state`` read the graph into).

    ``table``: the LIGHT columns of the copy's TABLE_SCHEMA rows; the others come by
    ``column()``, and ``unload()`` lets the LIGHT ones go until they are asked for again.
    ``edges``: EDGE_COLUMNS. ``stored_derived()``: OLD_SCHEMA, the models holding any derived
    value, read when asked for."""

    def __init__(self, folder: Path, edges: pa.Table, table: pa.Table | None = None):
        self.folder, self.edges, self._table, self.derived = folder, edges, table, None

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            self._table = feather.read_table(self.folder / "table.arrow", columns=list(LIGHT))
        return self._table

    def unload(self) -> None:
        """Let the LIGHT columns go (the interval's figures hold what they need of them)."""
        self._table = None

    def stored_derived(self) -> pa.Table:
        """The derived values the graph holds, read only when the derive phase needs them (not
        held through the compare phase)."""
        if self.derived is None:
            self.derived = feather.read_table(self.folder / "derived.arrow")
        return self.derived

    def column(self, name: str) -> pa.ChunkedArray:
        """One column of the table: the columns other than LIGHT are read when asked for, one at
        a time, so that the load never holds the whole stored graph's properties."""
        if name in self.table.column_names:
            return self.table[name]
        return feather.read_table(self.folder / "table.arrow", columns=[name])[name]

    def rows(self, where: pa.Array, names) -> pa.Table:
        """The table's rows at the positions ``where``, with the columns ``names``."""
        columns = {}
        for n in names:
            columns[n] = self.column(n).take(where)
            memory.release()  # each column read whole, one at a time
        return pa.table(columns)

    @property
    def models(self) -> pa.Table:
        """The LIGHT columns of the models (placeholders left out). A kept copy holds the models
        first, the placeholders after them: then the models are a slice, not a copy."""
        light = self.table.select([n for n in LIGHT if n in self.table.column_names])
        missing = self.table["missing"]
        n = self.table.num_rows - (pc.sum(missing).as_py() or 0)
        if not pc.any(missing.slice(0, n)).as_py():
            return light.slice(0, n)
        return light.filter(pc.invert(missing))

    def view(self) -> ch.GraphView:
        models = self.models
        return ch.GraphView(
            models=models["id"],
            placeholders=self.table["id"].filter(self.table["missing"]),
            edges=_with_relation(self.edges),
            last_modified=models["lastModified"], downloads=models["downloads"],
            downloads_all_time=models["downloadsAllTime"])

    def counts(self) -> dict:
        """What ``snapshot/version`` counts in the graph this state describes."""
        return {"models": self.table.num_rows, "missing": pc.sum(self.table["missing"]).as_py() or 0,
                "edges": self.edges.num_rows}


STATE_SCHEMA = pa.schema([("id", pa.string()), ("missing", pa.bool_()), ("history", pa.bool_()),
                          *((p, PROP_TYPES[p]) for p in PROPS),
                          ("createdAt", pa.int64()), ("lastModified", pa.int64())])
TABLE_SCHEMA = pa.schema([*STATE_SCHEMA, *((p, pa.string()) for p in LATER_PROPS)])
OLD_SCHEMA = pa.schema([("id", pa.string()), *((f"old_{c}", DERIVED_SCHEMA.field(c).type) for c in VALUES)])
# the columns a snapshot load holds of a kept copy from the start: the interval's figures read them
LIGHT = ("id", "missing", "history", "lastModified", "downloads", "downloadsAllTime")
NODE_LIGHT = ("id", "lastModified", "downloads", "downloadsAllTime")  # the same of the new graph's models


def read_state(graph: Graph, chunk: int = 20_000, progress: bool = True) -> State:
    """The stored current graph, read in one pass (``snapshot/state``: the models, then the
    placeholders) into a copy in a new folder as the records come, laid out as a kept copy: the
    rows go to ``table.arrow`` record by record, then the edges and the derived values follow.
    The State holds what one over a kept copy holds (the LIGHT columns and the edges), so a
    load that compares with the stored graph stays within the same memory. The folder is a
    ``.tmp-*`` one until ``save_state`` or ``_name_read_copy`` names it."""
    folder = new_copy_folder()
    try:
        edges, derived = [], []
        bar = tqdm(unit="models", desc="stored graph", disable=not progress, dynamic_ncols=True)
        with pa.ipc.new_file(str(folder / "table.arrow"), TABLE_SCHEMA,
                             options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer, gc_paused():
            for (rows,) in graph.stream("snapshot/state", fetch_size=1, chunk=chunk):
                cols = list(zip(*rows))
                ids = pa.array(cols[0], pa.string())
                writer.write_table(pa.table(
                    [pa.array(v, f.type) for v, f in zip(cols[:15], STATE_SCHEMA)]
                    + [pa.array(v, pa.string()) for v in cols[25:]], schema=TABLE_SCHEMA))
                bases = cols[15]
                lengths = [len(b) for b in bases]
                if sum(lengths):
                    flat = [e for b in bases for e in b]
                    children = ids.take(pa.array(np.repeat(np.arange(len(ids)), lengths)))
                    fc = list(zip(*flat))
                    edges.append(pa.table([children, pa.array(fc[0], pa.string()), pa.array(fc[1], pa.string()),
                                           pa.array(fc[2], pa.bool_()), pa.array(fc[3], pa.string())],
                                          schema=EDGE_COLUMNS))
                old = pa.table([ids, *(pa.array(v, f.type) for v, f in zip(cols[16:25], list(OLD_SCHEMA)[1:]))],
                               schema=OLD_SCHEMA)
                derived.append(old.filter(_holds_any(old)))
                bar.update(len(ids))
        bar.close()
        edges = pa.concat_tables(edges).combine_chunks() if edges else EDGE_COLUMNS.empty_table()
        feather.write_feather(edges, folder / "edges.arrow", compression="zstd")
        derived = pa.concat_tables(derived).combine_chunks() if derived else OLD_SCHEMA.empty_table()
        feather.write_feather(derived, folder / "derived.arrow", compression="zstd")
        del derived
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return State(folder, edges)


def _holds_any(old: pa.Table) -> pa.Array:
    held = pc.is_valid(old[1])
    for name in old.column_names[2:]:
        held = pc.or_(held, pc.is_valid(old[name]))
    return held


# --- the kept copy ------------------------------------------------------------------------------
#
# Reading the stored graph back through Bolt was most of a weekly refresh (1M models: ~70 s of
# ~240 s), and after a snapshot load the current graph is exactly what the load computed: G_N's
# rows, placeholders and edges, and the derived values of G_N. So the load keeps that as Arrow
# files in the cache, named by a version that its commit stores in the graph (``:GraphVersion``).
# Every write through store.db.Graph first gives the graph a new random version, so the copy is
# trusted only while nothing else wrote; the counts are checked as well (edits made without
# hflineage, e.g. in Browser). An untrusted or absent copy only means the graph is read instead.
#
# Layout: a folder of Arrow IPC files (zstd): ``table.arrow`` (TABLE_SCHEMA, the models, then the
# placeholders), ``edges.arrow`` (EDGE_COLUMNS), ``derived.arrow`` (OLD_SCHEMA) and ``counts.json``.
# A load holds only the LIGHT columns of it and reads the others one at a time: the copies are
# what keeps a 2.5M-model refresh under 1.5 GB (BENCHMARKS.md section 5).

STATE_FORMAT = "3"  # the copy's layout; another layout is another version


def state_folder() -> Path:
    return cache_home() / "snapshot-state"


def state_version(path: str) -> str:
    """The version of the graph a snapshot load of ``path`` leaves: a digest of the file (the
    current graph after a snapshot load is a function of the file alone) and the copy's layout."""
    digest = hashlib.blake2b(STATE_FORMAT.encode(), digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


MARK = "commit.json"  # the transaction that left the graph as the copy describes it


def kept_folder(graph: Graph) -> Path | None:
    """The folder of the copy the last snapshot load kept, when the graph is still exactly that:
    its version names the copy, the counts agree, and nobody has committed anything to the
    database since the transaction the copy names but bookkeeping (store/commits.py)."""
    row = graph.read("snapshot/version")[0]
    if row["version"] is None:
        return None
    folder = state_folder() / row["version"]
    try:
        counts = json.loads((folder / "counts.json").read_text())
    except (OSError, ValueError):
        return None
    if counts != {k: row[k] for k in ("models", "missing", "edges")}:
        return None
    return folder if graph.unchanged_since(read_mark(folder / MARK)) else None


def kept_state(graph: Graph) -> State | None:
    """The copy of the current graph the last snapshot load kept, when the graph still is that."""
    folder = kept_folder(graph)
    return open_copy(folder) if folder is not None else None


def open_copy(folder: Path) -> State | None:
    """The copy in ``folder`` as a State (None: no complete copy there)."""
    try:
        table = feather.read_table(folder / "table.arrow", columns=list(LIGHT))
        edges = feather.read_table(folder / "edges.arrow")
        if not (folder / "derived.arrow").is_file():
            return None
    except (OSError, ValueError, pa.ArrowInvalid):
        return None
    return State(folder, edges, table)


def stored_nodes(graph: Graph, folder: Path | None) -> tuple[Path, np.ndarray] | None:
    """Each row of the kept copy's table (in ``folder``, a trusted copy) with the internal node
    id of its model in the graph (-1: none), or None without one. Read while the load reads its
    file, when the server has nothing else to do: snapshot/set_counters then finds most models
    by node id."""
    if folder is None:
        return None
    ids, nodes = [], []
    with gc_paused():
        for part, numbers in graph.stream("snapshot/node_ids", fetch_size=1, chunk=50_000):
            ids.append(pa.array(part, pa.string()))
            nodes.append(np.asarray(numbers, np.int64))
    if not ids:
        return None
    current = feather.read_table(folder / "table.arrow", columns=["id"])["id"].combine_chunks()
    at = pc.index_in(current, value_set=pa.concat_arrays(ids))
    del ids, current
    nodes = np.concatenate(nodes)
    found = at.is_valid().to_numpy(zero_copy_only=False)
    out = np.full(len(at), -1, np.int64)
    out[found] = nodes[at.drop_null().to_numpy()]
    memory.release()
    return folder, out


def save_state(state: State, version: str) -> None:
    """Keep the copy ``read_state`` wrote (in ``state.folder``) as the one named ``version``."""
    _place_copy(state.folder, state.counts(), version)


def _name_read_copy(folder: Path) -> Path:
    """Give the copy read_state wrote, once a pending record names it, a name that outlives the
    hour after which unfinished (``.tmp-*``) copies are removed: a re-run may need it later."""
    named = folder.with_name("stored-" + folder.name.removeprefix(".tmp-"))
    os.rename(folder, named)
    return named


def new_copy_folder() -> Path:
    """A private folder for a copy being written (``.tmp-*``: removed by a later load if this
    one is killed)."""
    folder = state_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))


def _finish_copy(folder: Path, edges: pa.Table, derived: pa.Table, counts: dict, version: str) -> None:
    """Write the copy's edges (EDGE_COLUMNS), derived values (OLD_SCHEMA; the models holding any)
    and counts beside its table, then rename ``folder`` into place as ``version``."""
    feather.write_feather(edges.select(EDGE_COLUMNS.names).cast(EDGE_COLUMNS).combine_chunks(),
                          folder / "edges.arrow", compression="zstd")
    old = derived.cast(OLD_SCHEMA)
    feather.write_feather(old.filter(_holds_any(old)).combine_chunks(), folder / "derived.arrow", compression="zstd")
    _place_copy(folder, counts, version)


def _place_copy(folder: Path, counts: dict, version: str) -> None:
    """Write a complete copy's counts, then rename ``folder`` into place as ``version``."""
    (folder / "counts.json").write_text(json.dumps(counts))
    target = state_folder() / version
    shutil.rmtree(target, ignore_errors=True)
    os.rename(folder, target)


def drop_states(keep: str, also: tuple = (), days: int = 30) -> None:
    """After a commit: remove the copies named in ``also`` (the ones this load replaced or
    read), every named read copy (``stored-*``: only a pending record needs one, and none is
    left), unfinished copies and copies not used for ``days`` days; never ``keep``."""
    folder = state_folder()
    if not folder.is_dir():
        return
    old = time.time() - days * 86400
    for path in folder.iterdir():
        if path.name == keep:
            continue
        try:
            unfinished = path.name.startswith(".tmp-")
            stale = (path.name in also or path.name.startswith("stored-")
                     or path.stat().st_mtime < (time.time() - 3600 if unfinished else old))
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def _pending(graph: Graph) -> dict | None:
    rows = graph.read("snapshot/pending")
    return dict(rows[0]["record"]) if rows else None


def _is_in(values, ids) -> pa.Array:
    return pc.is_in(values, value_set=ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string()))


def snapshot_load(graph: Graph, path: str, date: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                  progress: bool = True, workers: int = DEFAULT_WORKERS) -> SnapshotReport:
    """Load ``path`` as the complete dump of ``date`` (default: the file's own date); see the module doc.

    Raises InputError (the file, the date) or SnapshotRefused (not later than the latest stored
    snapshot; another snapshot load unfinished) before anything is written.
    """
    started = time.monotonic()
    clock = started
    source = open_source(path)
    date = parse_date(date) if date else file_date(source)
    done = graph.read("snapshot/dates")[0]
    latest, first = done["latest"], done["first"]
    pending = _pending(graph)
    if pending is not None and (pending["date"], pending["source"]) != (date, path):
        raise SnapshotRefused(f"the snapshot load of {pending['source']} ({pending['date']}) did not finish; "
                              f"nothing written for {date}", hint="run that load again first")
    if pending is None and latest is not None and date <= latest:
        raise SnapshotRefused(f"snapshot {date} is not later than the latest stored snapshot {latest}; nothing written")

    report = SnapshotReport(source=path, mode="online")
    report.snapshot = {"date": date, "previous": latest}
    phases = report.phases
    sink = None
    try:
        if pending is None and model_count(graph) == 0:
            # the first load into an empty graph: the one-pass writer, with G_N kept beside it
            with FreshSink(graph, workers, batch_size, progress) as fresh:
                sink = Collect(new_copy_folder(), fresh)
                plan(source, sink, report, batch_size, progress)  # writes nothing yet: a bad row stops here
                sink.close()
                phases["read"] = time.monotonic() - clock
                clock = time.monotonic()
                graph.write("snapshot/begin", record={"date": date, "source": path, "kind": "first"})
                derived = fresh.finish()
            phases["write"] = time.monotonic() - clock
            report.depth_updates, report.max_depth = derived.nodes_with_edges, derived.max_depth
            report.snapshot["kind"] = "first"
            edges = sink.edge_table()
            return _commit(graph, report, sink.view, None, None, started,
                           lambda version: sink.keep(version, edges, derived.table), state_version(path))
        sink = Collect(new_copy_folder())
        return _interval_load(graph, source, sink, report, pending, date, latest, first, started, batch_size,
                              workers, progress)
    except BaseException:
        if sink is not None:
            sink.discard()
        raise


def _interval_load(graph: Graph, source: Source, sink: Collect, report: SnapshotReport, pending: dict | None,
                   date: str, latest: str | None, first: str | None, started: float, batch_size: int, workers: int,
                   progress: bool) -> SnapshotReport:
    """A snapshot load into a graph that holds models: compare, write the difference, derive."""
    phases = report.phases
    path = source.path
    warming = threading.Thread(target=_warm_up, args=(graph,), daemon=True)
    warming.start()  # the server plans the write queries while the file is read
    trusted = kept_folder(graph)  # before any write of this load: see store/commits.py
    reading = ThreadPoolExecutor(1, thread_name_prefix="node-ids")
    nodes = reading.submit(stored_nodes, graph, trusted)  # and it sends the models' node ids
    reading.shutdown(wait=False)
    # the sink writes nothing to the graph, so the batches can be larger than a transaction:
    # each batch's read has a fixed cost (BENCHMARKS.md section 5)
    with memory.reusing():
        plan(source, sink, report, max(batch_size, READ_BATCH), progress)
        sink.close()
    version = state_version(path)
    phases["read"] = time.monotonic() - started
    clock = time.monotonic()
    state = open_copy(trusted) if trusted is not None else None
    report.snapshot["compared_with"] = "kept copy" if state is not None else "stored graph"
    read = state is None
    if read:
        state = read_state(graph, progress=progress)
    previous_version = graph.read("snapshot/version")[0]["version"]
    # ``base``: the copy of the stored graph whose figures against the file this load records.
    # They are computed while the server writes (the client is idle there), so the pending
    # record names the copy: a re-run after a failure computes them from it again.
    base = None
    figures = lists = None
    if pending is not None:
        kind = pending["kind"]
        if pending.get("changes"):  # a pending record left by a release that stored the figures in it
            figures, lists = json.loads(pending["changes"]), json.loads(pending["lists"])
        elif pending.get("base"):
            # only the load that completes this one removes the copy (drop_states); should the
            # cache be cleared, the figures can only come from the graph as the failure left it
            base = open_copy(state_folder() / pending["base"]) or state
    else:
        # an interval after a stored snapshot, or the first snapshot over a graph loaded without one
        kind = "interval" if latest is not None else "baseline"
        if read:
            state.folder = _name_read_copy(state.folder)
        base = state
        graph.write("snapshot/begin", record={"date": date, "source": path, "kind": kind, "previous": latest,
                                               "base": state.folder.name})
    read_copy = state.folder.name if read else None  # removed once this load completes
    report.snapshot["kind"] = kind
    phases["compare"] = time.monotonic() - clock
    clock = time.monotonic()
    ensure_schema(graph)
    # what the client computes runs in a thread while the server writes the rest (the interval's
    # figures, then the new graph's derived values): the client waits on the server there, and
    # the server on the client everywhere else
    with ThreadPoolExecutor(1, thread_name_prefix="aside") as pool:
        aside = []

        def meanwhile():
            # the figures first: the derived values are held from their end to the commit
            if base is not None:
                aside.append(pool.submit(_figures, base, sink))
            aside.append(pool.submit(_derive, sink))

        report.writes = _apply(graph, state, sink, date, latest, first, batch_size, workers, progress,
                               meanwhile=meanwhile, node_ids=_nodes_of(nodes, state))
        memory.release()
        phases["write"] = time.monotonic() - clock
        clock = time.monotonic()
        derived = aside[-1].result()
        stored_derived = state.stored_derived()
        replaced = base.folder.name if base is not None else previous_version
        del state  # the stored graph's rows are compared and written: only its derived values are read again
        edges = sink.edge_table()
        memory.release()
        result = write_changed(graph, derived, stored_derived, batch_size, workers)
        del stored_derived
        report.depth_updates, report.max_depth = result.updated, result.max_depth
        phases["derive"] = time.monotonic() - clock
        if len(aside) > 1:
            figures, lists = aside[0].result()
    out = _commit(graph, report, sink.view, figures, lists, started,
                  lambda v: sink.keep(v, edges, derived.table), version)
    drop_states(keep=version, also=(read_copy, replaced))
    return out


def _figures(base: State, sink: Collect) -> tuple[dict, dict]:
    """The interval's figures (changes.interval_of) from the copy of the stored graph and the
    new graph's copy, each view read from its files (so it can run beside the writes)."""
    views = [base.view(), sink.view()]
    base.unload()
    sink.unload()
    out = ch.interval_of(views)
    memory.release()
    return out


def _commit(graph: Graph, report: SnapshotReport, view, figures, lists, started: float, keep, version: str
            ) -> SnapshotReport:
    """Write the snapshot's record, keep the copy of the graph it leaves (``keep(version)``), and
    commit: the record becomes a completed snapshot and the graph's version names the copy.
    ``view()``: the new graph, for its top families when there are no interval figures."""
    clock = time.monotonic()
    if figures is not None:  # the interval's figures hold the new graph's ten largest families
        top = [{k: f[k] for k in ("rank", "family", "size")} for f in figures["top_families"]]
    else:
        top = ch.top_families(view())
    date = report.snapshot["date"]
    record = {
        "date": date, "source": report.source, "kind": report.snapshot["kind"], "previous": report.snapshot["previous"],
        "models": report.models, "placeholders": report.missing_placeholders, "edges": report.edges_written,
        "top_families": json.dumps(top),
        "changes": json.dumps(figures) if figures is not None else None,
        "lists": json.dumps(lists) if lists is not None else None,
    }
    for key in ("added", "deleted", "updated", "rebased"):
        record[key] = figures[key]["total"] if figures is not None else None
    graph.write("snapshot/begin", record=record)
    keep(version)
    _crash_point("snapshot/copy_kept")
    graph.write("snapshot/commit", date=date, state=version)
    commit = graph.commits.last()
    if commit is not None:  # else the copy names no transaction, and the next load reads the graph
        graph.commits.follow(state_folder() / version / MARK, commit)
    report.changes = figures
    report.phases["report"] = time.monotonic() - clock
    report.phases = {k: round(v, 3) for k, v in report.phases.items()}
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _nodes_of(future, state: State) -> np.ndarray | None:
    """stored_nodes' answer when it describes ``state`` (the same kept copy), else None: node
    ids are an optimisation, and snapshot/set_counters checks each one it is given anyway."""
    try:
        found = future.result()
    except Exception:  # noqa: BLE001 - without node ids, the counters are written through the id index
        return None
    if found is None or found[0] != state.folder:
        return None
    return found[1]


def _derive(sink: Collect):
    """derive.compute over the new graph, read from the copy's files (so it can run beside the writes)."""
    edges = sink.edge_table()
    return compute(edges["child"], edges["base"], sink.downloads())


def _apply(graph: Graph, state: State, sink: Collect, date: str, latest: str | None,
           first: str | None, batch_size: int, workers: int, progress: bool, meanwhile=None,
           node_ids: np.ndarray | None = None) -> dict:
    """Write the difference between the stored graph (``state``) and G_N; see the module doc.
    ``meanwhile()`` is called once what to write is known, as the writes begin. ``node_ids``: each
    stored row's internal node id (-1: unknown), from stored_nodes."""
    # edges (the stored ones the new graph lacks, the new ones the stored graph lacks) first,
    # while the node tables are not loaded: their keys are this step's largest transient memory
    new_edges = sink.edge_table()
    stored_edges = state.edges
    new_key, old_key = _edge_key(new_edges), _edge_key(stored_edges)
    gone_edges = stored_edges.filter(pc.invert(_is_in(old_key, new_key)))
    added_edges = new_edges.filter(pc.invert(_is_in(new_key, old_key)))
    del new_key, old_key
    memory.release()

    table = state.table
    nodes = sink.nodes
    file_ids = nodes["id"] if nodes is not None else pa.array([], pa.string())
    ph_ids = pa.array(sink.placeholder_ids, pa.string())
    current = dag.plain(table["id"])
    # each file row's stored row (null: none), and each stored row's presence in the file: one
    # lookup table over the stored ids serves every comparison below (building one is the cost)
    where = pc.index_in(file_ids, value_set=current)
    memory.release()  # the lookup's hash table is not needed again
    in_file = np.zeros(len(current), bool)
    in_file[where.drop_null().to_numpy()] = True
    # the placeholder ids the stored graph holds, found through the few stored rows that are one
    stored_ph = set(current.filter(_is_in(current, ph_ids)).to_pylist())

    # rows to write: new to the current graph, a placeholder before, history to clear, or any
    # property differs (first: its column reads are the phase's largest transient memory)
    rows, moved = _changed_rows(sink, state, where, node_ids) if sink.model_count else (None, None)
    memory.release()
    first_seen = date if first is not None else None

    # ids the new graph holds that the current graph lacks: deleted models come back
    unknown = file_ids.filter(pc.is_null(where)).to_pylist()
    unknown += [i for i in sink.placeholder_ids if i not in stored_ph]
    known_history = set()
    for start in range(0, len(unknown), 50_000):
        known_history.update(r["id"] for r in graph.read("snapshot/history_ids", ids=unknown[start:start + 50_000]))
    ph_set = set(sink.placeholder_ids)
    revive = [{"id": i, "missing": i in ph_set} for i in sorted(known_history)]
    new_placeholders = [i for i in sink.placeholder_ids if i not in stored_ph and i not in known_history]
    del unknown, where

    missing = table["missing"].to_numpy(zero_copy_only=False)
    gone = ~missing & ~in_file
    deleted = state.rows(pa.array(np.flatnonzero(gone)), ["id", *PROPS, *LATER_PROPS, "createdAt", "lastModified"])
    memory.release()
    to_missing = deleted.filter(_is_in(deleted["id"], ph_ids))
    to_history = deleted.filter(pc.invert(_is_in(deleted["id"], ph_ids)))
    placeholders = current.filter(pa.array(missing & ~in_file))
    retire = placeholders.filter(pc.invert(_is_in(placeholders, ph_ids))).to_pylist()

    counts = {"revived": len(revive), "placeholders": len(new_placeholders),
              "models": rows.num_rows if rows is not None else 0,
              "counters": moved.num_rows if moved is not None else 0, "edges_deleted": gone_edges.num_rows,
              "to_missing": to_missing.num_rows, "to_history": to_history.num_rows,
              "edges_created": added_edges.num_rows, "placeholders_retired": len(retire)}
    # what is written is computed: the rest goes before the writes, which take a while
    del table, nodes, current, file_ids, new_edges, gone, deleted, in_file, missing
    state.unload()
    sink.unload()
    memory.release()
    if meanwhile is not None:
        meanwhile()
    bar = tqdm(total=sum(v for v in counts.values()), unit="items", desc="writing", disable=not progress, dynamic_ncols=True)
    history = {"date": date, "last_seen": latest, "first_seen": first}
    with Writer(graph, workers) as writer:
        def put(name, items, key="rows", **params):
            clock = time.monotonic()
            for start in range(0, len(items), batch_size):
                chunk = items[start:start + batch_size]
                writer.put(name, **{key: chunk}, **params)
                bar.update(len(chunk))
            writer.join()
            seconds[name.split("/")[-1]] = round(time.monotonic() - clock, 3)
            _crash_point(name)

        seconds = counts["seconds"] = {}
        put("snapshot/revive", revive)
        put("load/create_missing", new_placeholders, key="ids")
        if rows is not None:
            clock = time.monotonic()
            for start in range(0, rows.num_rows, batch_size):
                chunk = rows.slice(start, batch_size).to_pylist()
                for row in chunk:
                    row["first_seen"] = first_seen if row.pop("_added") else None
                writer.put("snapshot/write_models", rows=chunk)
                bar.update(len(chunk))
            writer.join()
            seconds["write_models"] = round(time.monotonic() - clock, 3)
            _crash_point("snapshot/write_models")
            clock = time.monotonic()
            for start in range(0, moved.num_rows, COUNTER_BATCH):
                chunk = moved.slice(start, COUNTER_BATCH)
                writer.put("snapshot/set_counters", ids=chunk["id"].to_pylist(), nodes=chunk["node"].to_pylist(),
                           **{n: chunk[n].to_pylist() for n in COUNTERS})
                bar.update(chunk.num_rows)
            writer.join()
            seconds["set_counters"] = round(time.monotonic() - clock, 3)
            _crash_point("snapshot/set_counters")
        # deleted models before the other edges go: each conversion takes its model's last bases
        # along in one transaction, so a re-run after a failure still finds them
        put("snapshot/delete_to_missing", _last(to_missing, stored_edges), **history)
        put("snapshot/delete_to_history", _last(to_history, stored_edges), **history)
        put("snapshot/delete_edges", gone_edges.select(["child", "base", "type"]).to_pylist())
        put("load/write_edges", added_edges.to_pylist())
        put("snapshot/retire_placeholders", retire, key="ids")
    bar.close()
    return counts


_NOBODY = "\x00hflineage-warm-up"  # an unlikely id; were a model to have it, the rollback still writes nothing


def _warm_up(graph: Graph) -> None:
    """Run the write phase's queries once, rolled back (Graph.warm_up), on rows shaped like the
    real ones; a failure here only means no warm-up."""
    row = {"id": _NOBODY}
    last = {"id": _NOBODY, "properties": "{}", "bases": [_NOBODY], "relations": ["finetune"]}
    edge = {"child": _NOBODY, "base": _NOBODY, "type": "FINETUNE_OF", "declared": True, "rule": None}
    history = {"date": "1970-01-01", "last_seen": None, "first_seen": None}
    steps = [
        ("snapshot/revive", {"rows": [{**row, "missing": False}]}),
        ("load/create_missing", {"ids": [_NOBODY]}),
        ("snapshot/write_models", {"rows": [{**row, "props": {"author": "a", "downloads": 0, "trendingScore": 0.0},
                                             "createdAt": 0, "lastModified": 0, "first_seen": None}]}),
        ("snapshot/set_counters", {"ids": [_NOBODY], "nodes": [-1], "downloads": [0], "downloadsAllTime": [0], "likes": [0],
                                   "trendingScore": [0.0]}),
        ("snapshot/delete_to_missing", {"rows": [last], **history}),
        ("snapshot/delete_to_history", {"rows": [last], **history}),
        ("snapshot/delete_edges", {"rows": [{k: edge[k] for k in ("child", "base", "type")}]}),
        ("load/write_edges", {"rows": [edge]}),
        ("snapshot/retire_placeholders", {"ids": [_NOBODY]}),
        ("load/set_derived", {"rows": [{**row, **{c: None for c in VALUES}}]}),
    ]
    try:
        graph.warm_up(steps)
    except Exception:  # noqa: BLE001 - an optimisation; the real writes report real errors
        pass


def _crash_point(step: str) -> None:
    """Die like ``kill -9`` once ``step`` is written when HFLINEAGE_TEST_KILL_AFTER names it: the
    test that a killed snapshot load converges when run again stops the loader at a known point."""
    if os.environ.get("HFLINEAGE_TEST_KILL_AFTER") == step:
        os.kill(os.getpid(), signal.SIGKILL)


READ_BATCH = 50_000  # rows per batch an interval's plan reads
COUNTERS = ("downloads", "downloadsAllTime", "likes", "trendingScore")  # drift on most models every week
COUNTER_BATCH = 25_000  # counter rows are small: larger transactions, fewer round trips


def _changed_rows(sink: Collect, state: State, where: pa.Array, node_ids: np.ndarray | None = None
                  ) -> tuple[pa.Table, pa.Table]:
    """The file's node rows that the stored graph lacks or holds otherwise, in two tables:
    rows for snapshot/write_models (new to the current graph, a placeholder or history before,
    or any property but the counters differs; plus ``_added``: the id was no model before), and
    rows for snapshot/set_counters (a current model whose counters alone moved: the bulk of a
    week, as downloads drift everywhere; a lighter write). Both in the file's row order.

    ``where``: each file row's position in the stored table (null: not there); ``node_ids``: each
    stored row's node id (-1: unknown), which the counter rows take along (``node``). The rows are
    compared one column at a time, each read from the two copies when it is compared, so only
    one column pair is held at once."""
    nodes, table = sink.nodes, state.table
    known = pc.is_valid(where)
    missing = pc.fill_null(table["missing"].take(where), True)
    history = pc.fill_null(table["history"].take(where), False)
    full = pc.or_(missing, history)  # new to the current graph, or a placeholder or history before
    counters = pa.array(np.zeros(nodes.num_rows, bool))
    for n in COMPARED:
        a, b = sink.column(n), state.column(n).take(where)
        differs = pc.invert(same_values(a, b))
        if n in COUNTERS:
            counters = pc.or_(counters, differs)
        else:
            full = pc.or_(full, differs)
        del a, b
        memory.release()  # a column pair at a time: what one pair freed is not kept for the next
    added = pc.or_(pc.invert(known), pc.fill_null(table["missing"].take(where), True))
    chosen = pc.indices_nonzero(full)
    props = [sink.column(p).take(chosen) for p in (*PROPS, *LATER_PROPS)]
    rows = pa.table({
        "id": nodes["id"].take(chosen),
        "props": pa.StructArray.from_arrays([dag.plain(p) for p in props], names=[*PROPS, *LATER_PROPS]),
        "createdAt": sink.column("createdAt").take(chosen), "lastModified": nodes["lastModified"].take(chosen),
        "_added": added.take(chosen),
    })
    moved = pc.and_(pc.invert(full), counters)
    node = pa.nulls(pc.sum(moved).as_py() or 0, pa.int64())
    if node_ids is not None:
        at = node_ids[where.filter(moved).to_numpy(zero_copy_only=False)]
        node = pa.array(at, pa.int64(), mask=at < 0)
    moved = pa.table({"id": nodes["id"].filter(moved), "node": node,
                      **{n: sink.column(n).filter(moved) for n in COUNTERS}})
    return rows, moved


COMPARED = (*PROPS, *LATER_PROPS, "createdAt", "lastModified")  # the columns a model's row is compared by


def _edge_key(edges: pa.Table) -> pa.Array:
    if not edges.num_rows:
        return pa.array([], pa.string())
    declared = pc.if_else(edges["declared"], "1", "0")
    key = pc.binary_join_element_wise(edges["child"], edges["base"], edges["type"], declared,
                                      pc.fill_null(edges["rule"], ""), "\x00")
    return dag.plain(key)


def _last(deleted: pa.Table, stored_edges: pa.Table) -> list[dict]:
    """Per deleted model: its last properties (JSON text) and its last bases with relation."""
    if not deleted.num_rows:
        return []
    mine = stored_edges.filter(_is_in(stored_edges["child"], deleted["id"]))
    bases: dict[str, list] = {}
    for child, base, typ in zip(mine["child"].to_pylist(), mine["base"].to_pylist(), mine["type"].to_pylist()):
        bases.setdefault(child, []).append((base, RELATION_OF[typ]))
    out = []
    for row in deleted.select(["id", *PROPS, *LATER_PROPS, "createdAt", "lastModified"]).to_pylist():
        props = {k: row[k] for k in (*PROPS, *LATER_PROPS)}
        for k in ("createdAt", "lastModified"):
            props[k] = (dt.datetime.fromtimestamp(row[k] / 1000, dt.timezone.utc).isoformat()
                        if row[k] is not None else None)
        last = sorted(bases.get(row["id"], []))
        out.append({"id": row["id"], "properties": json.dumps(props, sort_keys=True),
                    "bases": [b for b, _ in last], "relations": [r for _, r in last]})
    return out


def record_bulk_snapshot(graph: Graph, source_path: str, date: str | None, report: LoadReport,
                         progress: bool = True) -> SnapshotReport:
    """After ``--bulk`` into an empty database: the first snapshot's record, from the loaded graph."""
    started = time.monotonic()
    source = open_source(source_path)
    date = parse_date(date) if date else file_date(source)
    state = read_state(graph, progress=progress)
    out = SnapshotReport(**{k: getattr(report, k) for k in LoadReport.__dataclass_fields__})
    out.snapshot = {"date": date, "previous": None, "kind": "first"}
    graph.write("snapshot/begin", record={"date": date, "source": source_path, "kind": "first"})
    out = _commit(graph, out, state.view, None, None, started, lambda v: save_state(state, v),
                  state_version(source_path))
    out.seconds = round(report.seconds + out.seconds, 3)
    return out


def check_new_snapshot(graph: Graph, date: str) -> None:
    """Refuse a snapshot date not later than the latest stored one (before --bulk touches anything)."""
    latest = graph.read("snapshot/dates")[0]["latest"]
    if latest is not None and date <= latest:
        raise SnapshotRefused(f"snapshot {date} is not later than the latest stored snapshot {latest}; nothing written")



EMPTY_HISTORY = {"first_seen": None, "last_seen": None, "deleted_at": None, "last_bases": None,
                 "last_properties": None}
# the node properties that hold history (show reports them apart from ``properties``)
HISTORY_PROPERTIES = ("firstSeen", "lastSeen", "deletedAt", "lastProperties", "lastBases", "lastRelations")


def snapshot_history(graph: Graph, model_id: str) -> dict | None:
    """``show``'s history fields of a model (EMPTY_HISTORY's keys, plus ``last_properties`` for a
    deleted one), or None when no node has the id. A current model was last seen by the latest
    snapshot; one without ``firstSeen`` was there at the first."""
    row = graph.read("snapshot/history", model_id=model_id)[0]
    if not row["known"]:
        return None
    deleted = row["deleted_at"] is not None
    out = dict(EMPTY_HISTORY)
    if row["latest"] is None and not deleted:
        return out
    if deleted:
        out["first_seen"] = row["first_seen"]
        out["last_seen"] = row["last_seen"]
        out["deleted_at"] = row["deleted_at"]
        out["last_bases"] = [{"id": b, "relation": r} for b, r in zip(row["last_bases"] or [], row["last_relations"] or [])]
        out["last_properties"] = json.loads(row["last_properties"]) if row["last_properties"] else {}
    elif not row["missing"]:
        out["first_seen"] = row["first_seen"] or row["first"]
        out["last_seen"] = row["latest"]
    return out


def deleted_show(model_id: str, history: dict) -> dict:
    """``show`` of a deleted model that left the current graph: no bases, children or
    descendants now; what it last was under ``last_properties`` and ``last_bases``."""
    last = history.get("last_properties") or {}
    return {
        "id": model_id, "license": last.get("license"), "missing": False, "parents": [],
        "children": {rel: 0 for rel in RELATIONS}, "descendants": 0, "subtree_downloads": 0,
        "subtree_downloads_all_time": 0, "depth": 0, "properties": {"id": model_id},
        **history,
    }
