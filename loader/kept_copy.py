"""The copy of the graph a snapshot load keeps, and the sink that writes it.

``Collect`` keeps the file a snapshot load reads (G_N) as Arrow files on disk; ``State`` is a
copy of a graph (kept by the last snapshot load, or read from the stored graph) laid out the
same way. ``kept_folder`` says whether the last kept copy may stand for the stored graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import feather
from tqdm import tqdm

from ..lineage import changes as ch
from ..store.db import Graph, gc_paused
from .derive import DERIVED_SCHEMA, DOWNLOADS_SCHEMA, VALUES as DERIVED_VALUES
from ..store.relations import RELATION_OF
from ..store import memory
from ..store.commits import read_mark
from ..store.properties import VALUES as MODEL_VALUES, arrow_type
from ..store.settings import cache_home

PROPS = MODEL_VALUES  # every model property but the timestamps (store/properties.py)
EDGE_COLUMNS = pa.schema([("child", pa.string()), ("base", pa.string()), ("type", pa.string()),
                          ("declared", pa.bool_()), ("rule", pa.string())])


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
            new_version=nodes["newVersion"] if nodes is not None else pa.array([], pa.string()),
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
    columns = [rows["id"], none, none, *(props.field(p) for p in PROPS), rows["createdAt"], rows["lastModified"]]
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
            downloads_all_time=models["downloadsAllTime"], new_version=models["newVersion"])

    def counts(self) -> dict:
        """What ``snapshot/version`` counts in the graph this state describes."""
        return {"models": self.table.num_rows, "missing": pc.sum(self.table["missing"]).as_py() or 0,
                "edges": self.edges.num_rows}


STATE_SCHEMA = pa.schema([("id", pa.string()), ("missing", pa.bool_()), ("history", pa.bool_()),
                          *((p, arrow_type(p)) for p in PROPS),
                          ("createdAt", pa.int64()), ("lastModified", pa.int64())])
TABLE_SCHEMA = STATE_SCHEMA
OLD_SCHEMA = pa.schema([("id", pa.string()), *((f"old_{c}", DERIVED_SCHEMA.field(c).type) for c in DERIVED_VALUES)])
# the columns a snapshot load holds of a kept copy from the start: the interval's figures read them
LIGHT = ("id", "missing", "history", "lastModified", "downloads", "downloadsAllTime", "newVersion")
NODE_LIGHT = ("id", "lastModified", "downloads", "downloadsAllTime", "newVersion")  # the same of the new graph's models


def read_state(graph: Graph, chunk: int = 20_000, progress: bool = True) -> State:
    """The stored current graph, read in one pass (``snapshot/state``: the models, then the
    placeholders) into a copy in a new folder as the records come, laid out as a kept copy: the
    rows go to ``table.arrow`` record by record, then the edges and the derived values follow.
    The State holds what one over a kept copy holds (the LIGHT columns and the edges), so a
    load that compares with the stored graph stays within the same memory. The folder is a
    ``.tmp-*`` one until ``save_state`` or ``name_read_copy`` names it."""
    folder = new_copy_folder()
    try:
        edges, derived = [], []
        bar = tqdm(unit="models", desc="stored graph", disable=not progress, dynamic_ncols=True)
        with pa.ipc.new_file(str(folder / "table.arrow"), TABLE_SCHEMA,
                             options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer, gc_paused():
            for names, rows in graph.stream("snapshot/state", fetch_size=1, chunk=chunk, props=list(PROPS)):
                cols = dict(zip(names, zip(*rows)))
                ids = pa.array(cols["id"], pa.string())
                writer.write_table(pa.table([pa.array(cols[f.name], f.type) for f in TABLE_SCHEMA], schema=TABLE_SCHEMA))
                bases = cols["bases"]
                lengths = [len(b) for b in bases]
                if sum(lengths):
                    flat = [e for b in bases for e in b]
                    children = ids.take(pa.array(np.repeat(np.arange(len(ids)), lengths)))
                    fc = list(zip(*flat))
                    edges.append(pa.table([children, pa.array(fc[0], pa.string()), pa.array(fc[1], pa.string()),
                                           pa.array(fc[2], pa.bool_()), pa.array(fc[3], pa.string())],
                                          schema=EDGE_COLUMNS))
                old = pa.table([ids, *(pa.array(cols[c], f.type) for c, f in zip(DERIVED_VALUES, list(OLD_SCHEMA)[1:]))],
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
    seal(folder)
    return State(folder, edges)


def _holds_any(old: pa.Table) -> pa.Array:
    held = pc.is_valid(old[1])
    for name in old.column_names[2:]:
        held = pc.or_(held, pc.is_valid(old[name]))
    return held


# --- the kept copy ------------------------------------------------------------------------------
#
# Reading the stored graph back through Bolt was most of a weekly refresh, and after a snapshot load the current graph is exactly what the load computed: G_N's
# rows, placeholders and edges, and the derived values of G_N. So the load keeps that as Arrow
# files in the cache, named by a version that its commit stores in the graph (``:GraphVersion``),
# beside the number of that commit's transaction (``commit.json``). The copy is trusted only
# while nobody has committed anything to the database since but our own bookkeeping (the load
# lock), whoever the writer (store/commits.py); the counts are checked as well. An untrusted or
# absent copy only means the graph is read instead.
#
# Layout: a folder of Arrow IPC files (zstd): ``table.arrow`` (TABLE_SCHEMA, the models, then the
# placeholders), ``edges.arrow`` (EDGE_COLUMNS), ``derived.arrow`` (OLD_SCHEMA) and ``counts.json``.
# A load holds only the LIGHT columns of it and reads the others one at a time: the copies are
# what keeps a 2.5M-model refresh under 1.5 GB (BENCHMARKS.md §5).

STATE_FORMAT = "4"  # the copy's layout; another layout is another version


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
    its version names the copy, the counts agree, its files are as they were written, and nobody
    has committed anything to the database since the transaction the copy names but bookkeeping
    (store/commits.py)."""
    row = graph.read("snapshot/version")[0]
    if row["version"] is None:
        return None
    folder = state_folder() / row["version"]
    try:
        counts = json.loads((folder / "counts.json").read_text())
    except (OSError, ValueError):
        return None
    if counts != {k: row[k] for k in ("models", "missing", "edges")} or not intact(folder):
        return None
    return folder if graph.unchanged_since(read_mark(folder / MARK)) else None


def kept_state(graph: Graph) -> State | None:
    """The copy of the current graph the last snapshot load kept, when the graph still is that."""
    folder = kept_folder(graph)
    return open_copy(folder) if folder is not None else None


COPY_FILES = ("table.arrow", "edges.arrow", "derived.arrow")
SEAL = "files.json"  # each file's size and digest, written last


def seal(folder: Path) -> None:
    """Record the size and digest of each of the copy's files (``files.json``), so that a copy
    damaged since (truncated, emptied, edited) is found before any of it is used."""
    (folder / SEAL).write_text(json.dumps({name: _fingerprint(folder / name) for name in COPY_FILES}))


def intact(folder: Path) -> bool:
    """True when every file of the copy in ``folder`` is as ``seal`` recorded it."""
    try:
        recorded = json.loads((folder / SEAL).read_text())
        return isinstance(recorded, dict) and all(
            recorded.get(name) == _fingerprint(folder / name) for name in COPY_FILES)
    except (OSError, ValueError):
        return False


def _fingerprint(path: Path) -> list:
    digest = hashlib.blake2b(digest_size=16)
    size = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
            size += len(block)
    return [size, digest.hexdigest()]


def open_copy(folder: Path) -> State | None:
    """The copy in ``folder`` as a State (None: no complete, undamaged copy there)."""
    if not intact(folder):
        return None
    try:
        with pa.memory_map(str(folder / "table.arrow")) as source:
            if not pa.ipc.open_file(source).schema.equals(TABLE_SCHEMA):
                return None  # kept by a release with other model properties: the graph is read instead
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


def name_read_copy(folder: Path) -> Path:
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
    """Write a complete copy's counts and seal, then rename ``folder`` into place as ``version``."""
    seal(folder)
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
