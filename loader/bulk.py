"""``hflineage load --bulk``: the same graph as the online loader, through Neo4j's offline importer.

The online loader tops out at the server's transaction rate (~70k items/s, NEO4J.md); the
offline importer (``neo4j-admin database import full``) writes the store files directly. It
only works on a stopped server and replaces the whole database, so this mode is limited to the
local server (``hflineage db start``) holding no models yet. The steps:

1. Refuse unless the connection is the local server, it is running, and it holds no models.
2. Run the shared plan (plan.plan: read, normalise, dedupe, cycles, placeholders) with a
   ``CsvSink``: node batches (Arrow tables, never Python dicts) are converted to their CSV
   columns and spooled to an Arrow IPC file, the cleaned edges stream to CSV. At the end the
   sink computes the derived properties (``depth``, ``depthVia``, ``family``, ``descendants`` and
   their download sums) from the final edge list
   (derive.compute, the rules of the online derive pass, placeholders included) and writes the
   node files with those columns: the graph is complete when the importer is done, so no
   derive pass runs over Bolt afterwards. The Dataset nodes, TRAINED_ON and SUPERSEDED_BY
   edges (loader/links.py) are import files too, and the load report's ``links`` counts come
   from the sink.
3. Stop the server, move the old store aside, import, start the server again. If the import
   fails, the partial store is removed, the old one moved back and the server restarted on it.
   (neo4j.conf.template drops the Bolt thread pool's shutdown wait, so the stop is quick.)
4. Schema (schema.ensure_schema): the indexes in one transaction, then the constraints, so
   their populations run side by side; it returns when every index is online.

Each phase's seconds are printed on stderr at the end (``bulk load: files ... s, stop ... s,
import ... s, start ... s, schema ... s``) unless progress is off. What is left above the bare
importer is the server's restart (a JVM start) and the index populations, which
Community cannot do inside the importer (``--schema`` needs the Enterprise block format:
"Record format batch import does not support schema changes").

Why CSV and not ``--input-type=parquet``: parquet input is beta, reported to corrupt labels
before 5.26.26, and on our Maven-assembled lib/ it does not start at all on 5.26.30
(NoClassDefFoundError com/ctc/wstx/io/InputBootstrapper: Hadoop's configuration needs
woodstox-core, which neo4j-import-tool's runtime dependencies do not bring). CSV works on every
version, and Arrow's C++ CSV writer is fast enough that the importer, not the files, sets the
pace. Types are named in the header (``downloads:long``, ``createdAt:datetime``, ...) so each
property gets the type the online loader gives it; tests/test_bulk.py compares both graphs.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..store.db import Graph
from .derive import DERIVED_PROPERTIES, Derived, Pending
from ..store.errors import HFLineageError
from ..store.lock import LoadLock, ensure_lock_schema, remove_dead_folders
from .links import links_report
from .load import model_count
from .report import LoadReport
from .plan import DEFAULT_BATCH_SIZE, open_source, plan
from ..store.schema import ensure_schema
from ..store.properties import ARROW, MODEL_PROPERTIES, NODE_PROPERTIES, TIMES
from ..store.settings import environment

ID_SPACE = "Model"
# Arrow types of the node rows read.normalise produces; timestamps travel as epoch ms.
PROPERTY_TYPES: dict[str, pa.DataType] = {p.name: ARROW[p.kind] for p in MODEL_PROPERTIES}
_TIMES = TIMES
_HEADER_TYPE = {pa.string(): "", pa.int64(): ":long", pa.float64(): ":double", pa.bool_(): ":boolean",
                pa.list_(pa.string()): ":string[]"}
# the importer's default array delimiter, which no dataset id holds (loader/cards.py)
_ARRAY_DELIMITER = ";"
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False)
# derived properties (derive.compute, in derive.VALUES order), the last columns of both node files;
# depthVia and family are ids of nodes in the files, so they need no line-break check of their own
DERIVED_COLUMNS = [prop + ("" if column in ("via", "family") else ":long") for column, prop in DERIVED_PROPERTIES.items()]
_NEWLINE = r"[\r\n]"


class CsvSink:
    """Writes the plan's graph as three CSV files for ``neo4j-admin database import full``.

    models.csv (label Model), missing.csv (labels Model, Missing) and edges.csv, each with its
    own header naming the Neo4j types. Conventions the importer reads back exactly: strings are
    always quoted (``""`` is an empty string, an unquoted empty field is null: no property),
    quotes doubled, backslashes literal; doubles are written as Arrow's shortest round-trip text
    with NaN/Infinity spelled as Java parses them; timestamps as ISO-8601 UTC with milliseconds,
    the value ``datetime({epochMillis: ...})`` gives online. A field holding a line break turns
    on the importer's (slower) multi-line parsing.

    Node rows also carry the derived properties (derive.compute, derive.DERIVED_PROPERTIES),
    which need the whole, cleaned edge list: node batches arrive before it. So each batch is
    converted to its CSV columns at once and spooled to an Arrow IPC file beside the CSVs
    (bounded memory); edges stream to edges.csv and are kept as (child, base) arrays; when the
    sink is finished (``finish``, or leaving the ``with`` block without an error) the derived
    table is computed, joined onto the spooled batches in one hash lookup, and models.csv and
    missing.csv are written. ``derived`` then holds the result (for the load report).
    """

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.models_path = folder / "models.csv"
        self.missing_path = folder / "missing.csv"
        self.edges_path = folder / "edges.csv"
        self.datasets_path = folder / "datasets.csv"  # (:Dataset {id}) nodes the models name
        self.trained_path = folder / "trained.csv"  # their TRAINED_ON edges
        self.superseded_path = folder / "superseded.csv"  # SUPERSEDED_BY edges (newVersion)
        self._dataset_ids: list[pa.Array] = []
        self._new_version: list[pa.Table] = []  # (id, newVersion) of the models naming another
        self._links = {"models_with_datasets": 0, "declared": 0, "self": 0}
        self.successors: dict[str, str] = {}  # model -> its SUPERSEDED_BY target, set by finish
        self.pending = Pending(folder / "models.arrow")
        self.multiline = False
        self.counts = {"models": 0, "placeholders": 0, "edges": 0, "datasets": 0, "trained_on": 0}
        self.derived: Derived | None = None
        self._props = [p for p in NODE_PROPERTIES if p != "id" and p not in _TIMES]
        # the node-row table models() takes (read.normalise's Batch.node_table)
        self.rows_schema = pa.schema([
            ("id", pa.string()),
            ("props", pa.struct([(p, PROPERTY_TYPES[p]) for p in self._props])),
            *[(t, pa.int64()) for t in _TIMES],
        ])
        model_columns = [f"id:ID({ID_SPACE})"]
        model_columns += [p + (":datetime" if p in _TIMES else _HEADER_TYPE[PROPERTY_TYPES[p]]) for p in
                          [*self._props, *_TIMES]]
        self._models = _Csv(self.models_path, model_columns + DERIVED_COLUMNS)
        self._missing = _Csv(self.missing_path, [f"id:ID({ID_SPACE})"] + DERIVED_COLUMNS)
        self._edges = _Csv(self.edges_path, [f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})", ":TYPE",
                                             "declared:boolean", "rule"])
        self._datasets = _Csv(self.datasets_path, ["id:ID(Dataset)"])
        self._trained = _Csv(self.trained_path, [f":START_ID({ID_SPACE})", ":END_ID(Dataset)"])
        self._superseded = _Csv(self.superseded_path, [f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})"])

    def __enter__(self) -> "CsvSink":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if exc_type is None and self.derived is None:
                self.finish()
        finally:
            self.close()

    def close(self) -> None:
        self.pending.close()
        for f in (self._models, self._missing, self._edges, self._datasets, self._trained, self._superseded):
            f.close()

    # --- the Sink protocol (plan.Sink) --------------------------------------------------------
    def models(self, table: pa.Table) -> None:
        """A batch of node rows: read.normalise's table."""
        extra = {f.name for f in table.schema.field("props").type} - set(self._props)
        if extra:  # they would be dropped silently
            raise RuntimeError(f"read.normalise produced properties bulk.py does not know: {sorted(extra)}")
        props = table["props"].combine_chunks()
        columns = [table["id"].cast(pa.string())]
        for name in self._props:
            column = props.field(name).cast(PROPERTY_TYPES[name])
            if pa.types.is_list(column.type):
                column = pc.binary_join(column, _ARRAY_DELIMITER)
            columns.append(_double_text(column) if pa.types.is_floating(column.type) else column)
        for name in _TIMES:
            columns.append(_iso_utc(table[name]))
        self.pending.models(table, spooled=self._table(columns))
        self.counts["models"] += table.num_rows
        ids = table["id"].combine_chunks().cast(pa.string())
        newer = props.field("newVersion")
        named = pc.is_valid(newer)
        self._links["declared"] += pc.sum(named.cast(pa.int64())).as_py() or 0
        itself = pc.fill_null(pc.equal(newer, ids), False)
        self._links["self"] += pc.sum(itself.cast(pa.int64())).as_py() or 0
        other = pc.and_(named, pc.invert(itself))
        if pc.any(other).as_py():
            self._new_version.append(pa.table({"id": ids.filter(other), "target": newer.filter(other)}))
        datasets = props.field("datasets")
        self._links["models_with_datasets"] += pc.sum(pc.greater(pc.fill_null(pc.list_value_length(datasets), 0), 0)
                                                      .cast(pa.int64())).as_py() or 0
        if pc.sum(pc.list_value_length(datasets)).as_py():
            flat = pc.list_flatten(datasets)
            child = ids.take(pc.list_parent_indices(datasets))
            self._trained.write(pa.table([child, flat], names=["c0", "c1"]))
            self._dataset_ids.append(pc.unique(flat))
            self.counts["trained_on"] += len(flat)

    def placeholders(self, ids: list[str]) -> None:
        array = pa.array(ids, pa.string())
        self._table([array])  # checked for line breaks; written by finish, with the derived columns
        self.pending.placeholders(array)
        self.counts["placeholders"] += len(ids)

    def edges(self, rows: pa.Table) -> None:
        self._edges.write(self._table([rows[c] for c in ("child", "base", "type", "declared", "rule")]))
        self.pending.edges(rows)
        self.counts["edges"] += rows.num_rows

    def flush(self) -> None:
        self._edges.flush()

    # --- the end: derived properties, then the node files ------------------------------------
    def finish(self) -> Derived:
        """Compute the derived properties from the edges handed over, write the node files."""
        self.derived = derived = self.pending.derive()
        # SUPERSEDED_BY goes only to another model of the file (a placeholder is no current
        # model); the spool's ids are every model's, until the node files consume them
        successors = pa.concat_tables(self._new_version) if self._new_version else pa.table(
            {"id": pa.array([], pa.string()), "target": pa.array([], pa.string())})
        self._new_version = []
        models = self.pending.spool.ids().combine_chunks()
        successors = successors.filter(pc.is_in(successors["target"], value_set=models))
        del models
        if successors.num_rows:
            self._superseded.write(pa.table([successors["id"], successors["target"]], names=["c0", "c1"]))
        self.successors = dict(zip(successors["id"].to_pylist(), successors["target"].to_pylist()))
        for batch, values in self.pending.nodes(derived):
            self._write_derived(self._models, batch.columns, values)
        placeholders = self.pending.placeholders_with_values(derived)
        if placeholders.num_rows:
            self._write_derived(self._missing, [placeholders["id"]], placeholders.drop_columns(["id"]))
        ids = pc.unique(pa.concat_arrays(self._dataset_ids)) if self._dataset_ids else pa.array([], pa.string())
        if len(ids):
            self._datasets.write(pa.table([ids], names=["c0"]))
        self.counts["datasets"] = len(ids)
        for f in (self._models, self._missing, self._datasets, self._trained, self._superseded):
            f.flush()
        return derived

    def links(self) -> dict:
        """The load report's ``links`` for the imported graph (what links.counts would read from it)."""
        counts = self._links
        return links_report(counts["models_with_datasets"], self.counts["trained_on"], self.counts["datasets"],
                            counts["declared"], counts["self"], self.successors)

    def _write_derived(self, target: "_Csv", columns: list, values: pa.Table) -> None:
        """Rows with the derived columns appended (null where a model has no such property)."""
        columns = [*columns, *values.columns]
        target.write(pa.table(columns, names=[f"c{i}" for i in range(len(columns))]))

    def _table(self, columns: list) -> pa.Table:
        """The columns as a table; notes whether a string field holds a line break."""
        table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
        if not self.multiline:
            self.multiline = any(
                pc.any(pc.match_substring_regex(col, _NEWLINE)).as_py() is True
                for col in table.columns if pa.types.is_string(col.type)
            )
        return table


class _Csv:
    """One import file: our own unquoted header line, then Arrow-written rows."""

    def __init__(self, path: Path, header: list[str]):
        self.stream = pa.OSFile(str(path), "wb")
        self.stream.write((",".join(header) + "\n").encode("utf-8"))
        self.width = len(header)
        self.writer: pacsv.CSVWriter | None = None
        self.schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        assert table.num_columns == self.width
        if self.writer is None:
            self.schema = table.schema
            self.writer = pacsv.CSVWriter(self.stream, self.schema, write_options=_CSV_OPTIONS)
        self.writer.write_table(table.cast(self.schema))

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if not self.stream.closed:
            self.stream.close()


def _double_text(values: pa.Array) -> pa.Array:
    """Doubles as text Java's Double.parseDouble reads back to the same value."""
    text = pc.cast(values, pa.string())  # shortest round-trip digits
    text = pc.if_else(pc.fill_null(pc.is_nan(values), False), "NaN", text)
    infinite = pc.fill_null(pc.is_inf(values), False)
    signed = pc.if_else(pc.greater(values, 0), "Infinity", "-Infinity")
    return pc.if_else(infinite, signed, text)


def _iso_utc(millis) -> pa.Array:
    """Epoch milliseconds as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (null stays null).

    Formatted as a zone-less timestamp plus a literal Z: three times faster than strftime.
    """
    stamps = pc.cast(millis, pa.int64()).cast(pa.timestamp("ms"))
    text = pc.replace_substring(stamps.cast(pa.string()), " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, "Z", "")


def bulk_load(graph: Graph, path: str, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True,
              force: bool = False) -> LoadReport:
    """Load ``path`` into the empty local database with the offline importer, holding the load
    lock (store/lock.py) until the import starts; see ``_bulk_load``."""
    with LoadLock(graph, path, force=force):
        return _bulk_load(graph, path, batch_size, progress)


def _bulk_load(graph: Graph, path: str, batch_size: int, progress: bool) -> LoadReport:
    """Load ``path`` into the empty local database with the offline importer; see the module doc.

    Returns the same report as ``load.load`` (mode ``bulk``). Raises HFLineageError (one line)
    when the connection is not the local server, the server is not running, the database holds
    models, or the import fails (the server then runs again on its previous store).
    """
    from ..server.manage import LocalServer

    started = time.monotonic()
    if not graph.connection.local:
        raise HFLineageError(f"--bulk works only with the local server, not {graph.connection.uri}",
                             hint="drop --bulk, or drop --uri / NEO4J_URI to use 'hflineage db start'")
    server = LocalServer()
    if server.pid() is None:
        raise HFLineageError(f"--bulk needs the local server in {server.home} running",
                             hint="hflineage db start")
    held = model_count(graph)
    if held:
        raise HFLineageError(f"--bulk needs an empty database; '{graph.database}' holds {held:,} models",
                             hint="load without --bulk, or start from an empty database")
    described = graph.read("links/described_counts")[0]["described"]
    if described:  # the import replaces the whole store: they would be lost
        raise HFLineageError(f"--bulk needs an empty database; '{graph.database}' holds {described:,} datasets "
                             f"from 'load --datasets'", hint="run the bulk load first, then 'load --datasets'")
    source = open_source(path)  # InputError before the server is touched
    report = LoadReport(source=path, mode="bulk")
    # import files of bulk loads killed while writing them; never a store not put back
    remove_dead_folders(server.home / "import", "bulk-", keep=lambda work: (work / "previous").exists())
    work = server.home / "import" / f"bulk-{os.getpid()}"
    phases: dict[str, float] = {}
    try:
        clock = time.monotonic()
        with CsvSink(work) as sink:
            plan(source, sink, report, batch_size, progress)
        phases["files"] = time.monotonic() - clock
        _say(progress, f"import files written in {phases['files']:.1f} s; importing "
                       f"{sink.counts['models'] + sink.counts['placeholders']:,} nodes and "
                       f"{sink.counts['edges']:,} edges offline (the local server restarts)")
        import_files(server, graph.database, sink, phases)
    finally:
        if work.exists() and not (work / "previous").exists():  # never delete a store not put back
            shutil.rmtree(work, ignore_errors=True)
        graph.reconnect()
    _say(progress, "creating the constraint and indexes")
    clock = time.monotonic()
    ensure_schema(graph, wait=True)
    ensure_lock_schema(graph)  # the imported store replaced the one that held it
    phases["schema"] = time.monotonic() - clock
    report.links = sink.links()  # the Dataset nodes and both edge kinds came with the import
    # the derived properties came in with the nodes: what refresh_derived would write into
    # this graph, which held none of them
    report.depth_updates = sink.derived.nodes_with_edges
    report.max_depth = sink.derived.max_depth
    report.seconds = round(time.monotonic() - started, 3)
    _say(progress, "bulk load: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
         + f", total {report.seconds:.1f} s")
    return report


def import_files(server, database: str, files: CsvSink, phases: dict | None = None) -> None:
    """Stop the server, import the files into ``database``, start the server again.

    The old store (its database folder and transaction logs) is moved aside first, not
    overwritten: the importer deletes the destination before it reads a line, so a failed
    import with ``--overwrite-destination`` alone would lose it. On failure the partial store
    is removed and the old one moved back before the restart. Only this database is touched;
    ``system`` (users, the password) stays. ``phases`` (when given) receives the seconds of
    ``stop``, ``import`` and ``start``.
    """
    phases = {} if phases is None else phases
    store = server.home / "data" / "databases" / database  # the layout neo4j.conf.template sets
    logs = server.home / "data" / "transactions" / database
    previous = files.folder / "previous"
    args = [
        "database", "import", "full", "--verbose",  # --verbose: the cause of a failure, not just "failed"
        f"--nodes={ID_SPACE}={files.models_path}",
        f"--nodes={ID_SPACE}:Missing={files.missing_path}",
        f"--relationships={files.edges_path}",
        f"--nodes=Dataset={files.datasets_path}",
        f"--relationships=TRAINED_ON={files.trained_path}",
        f"--relationships=SUPERSEDED_BY={files.superseded_path}",
        "--overwrite-destination=true",
        f"--multiline-fields={'true' if files.multiline else 'false'}",
        # the stopped server's memory is free: the importer may use the page cache's share
        f"--max-off-heap-memory={environment().pagecache}",
        f"--report-file={files.folder / 'import.report'}",
        database,
    ]
    clock = time.monotonic()
    server.stop()
    phases["stop"] = time.monotonic() - clock
    try:
        previous.mkdir()
        for path in (store, logs):
            if path.exists():
                path.rename(previous / path.parent.name)
        try:
            clock = time.monotonic()
            proc = server.admin(*args)
            phases["import"] = time.monotonic() - clock
        except BaseException:  # interrupted (subprocess.run kills the importer) or no java
            _put_back(previous, store, logs)
            raise
        if proc.returncode != 0:
            _put_back(previous, store, logs)
            raise HFLineageError(f"the offline import failed: {_importer_message(proc)}",
                                 hint="the local server runs again on its previous store")
        shutil.rmtree(previous)
    finally:
        clock = time.monotonic()
        server.start()
        phases["start"] = time.monotonic() - clock


def _put_back(previous: Path, store: Path, logs: Path) -> None:
    """Remove a partial import and move the old store back where it was."""
    for path in (store, logs):
        shutil.rmtree(path, ignore_errors=True)
        if (previous / path.parent.name).exists():
            (previous / path.parent.name).rename(path)
    previous.rmdir()


def _importer_message(proc) -> str:
    """The importer's own explanation on one line: the root cause of its (--verbose) stack trace,
    e.g. ``DuplicateInputIdException: Id 'a' is defined more than once in group 'Model'``."""
    lines = [line.strip() for line in proc.stderr.splitlines()]
    causes = [line[len("Caused by: "):] for line in lines if line.startswith("Caused by: ")]
    if causes:
        return re.sub(r"^(?:[\w$]+\.)+", "", causes[-1])[:300]  # the class without its package
    noise = ("at ", "...", "Critical error", "WARNING", "Run with")
    useful = [line for line in lines if line and not line.startswith(noise)]
    return (useful[-1] if useful else f"exit code {proc.returncode}")[:300]


def _say(progress: bool, message: str) -> None:
    """A status line on stderr (stdout stays a clean report); silent with --no-progress."""
    if progress:
        print(message, file=sys.stderr, flush=True)
