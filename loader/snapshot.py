"""Snapshot loads: a complete hub-stats dump of a date, applied as the difference to the graph.

``snapshot_load`` keeps the stored graph equal to a fresh load of the latest snapshot (docs/graph.md and docs/snapshots.md,
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
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..lineage import changes as ch
from ..store.db import Graph
from .derive import compute, write_changed
from ..store.errors import InputError, SnapshotRefused
from .fresh import FreshSink
from .links import reconcile
from .load import model_count
from .report import LoadReport
from .plan import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, Source, open_source, plan
from ..store.schema import ensure_schema
from ..store import memory
from .kept_copy import (MARK, Collect, State, drop_states, new_copy_folder, name_read_copy, open_copy, read_state,
                        save_state, state_folder, state_version, stored_nodes, kept_folder)
from .snapshot_write import apply, warm_up


@dataclass
class SnapshotReport(LoadReport):
    """The load report with the snapshot's date, the interval's figures and the phase times."""

    snapshot: dict = field(default_factory=dict)  # {date, previous, kind}
    changes: dict | None = None  # the interval's figures (changes.Interval.figures), None on a first snapshot
    phases: dict = field(default_factory=dict)  # read, compare, write, derive, report: seconds
    writes: dict = field(default_factory=dict)  # what the write phase wrote, by kind


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def parse_date(text: str) -> str:
    """A snapshot date given by the user: YYYY-MM-DD, not after today (UTC). A date in the future
    would be later than every real weekly dump to come, which would all be refused."""
    if not text:
        raise InputError("--snapshot: the date is empty",
                         hint="give it as YYYY-MM-DD, or --snapshot alone for the file's own date")
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--snapshot date '{text}' is not a date", hint="give it as YYYY-MM-DD") from None
    if date > today():
        raise InputError(f"--snapshot date {date.isoformat()} is after today ({today().isoformat()}, UTC)",
                         hint="a snapshot is a dump already taken; nothing written")
    return date.isoformat()


def file_date(source: Source) -> str:
    """The latest createdAt/lastModified of the file, at day precision (the default date).
    Timestamps after today (UTC) are uploaders' text, not the dump's date: they are passed over,
    so that a row dated 2099 cannot date the snapshot into the future."""
    columns = [c for c in ("createdAt", "lastModified") if c in source.columns]
    latest = None
    end_of_today = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    for batch in source.pf.iter_batches(batch_size=200_000, columns=columns):
        for column in batch.columns:
            if not pa.types.is_timestamp(column.type):
                continue
            bound = pa.scalar(end_of_today, pa.timestamp("us", tz="UTC")).cast(column.type)
            value = pc.max(column.filter(pc.less(column, bound))).as_py()
            if value is not None and (latest is None or value > latest):
                latest = value
    if latest is None:
        raise InputError(f"{source.path}: no createdAt/lastModified value to date the snapshot by",
                         hint="give the date: --snapshot YYYY-MM-DD")
    return latest.date().isoformat()


def _pending(graph: Graph) -> dict | None:
    rows = graph.read("snapshot/pending")
    return dict(rows[0]["record"]) if rows else None


def snapshot_load(graph: Graph, path: str, date: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                  progress: bool = True, workers: int = DEFAULT_WORKERS) -> SnapshotReport:
    """Load ``path`` as the complete dump of ``date`` (default: the file's own date); see the module doc.

    Raises InputError (the file, the date) or SnapshotRefused (not later than the latest stored
    snapshot; another snapshot load unfinished) before anything is written.
    """
    started = time.monotonic()
    clock = started
    source = open_source(path)
    date = parse_date(date) if date is not None else file_date(source)
    done = graph.read("snapshot/dates")[0]
    latest, first = done["latest"], done["first"]
    pending = _pending(graph)
    # the file's content names the load: a resumed load may name the same file by another path
    content = state_version(path)
    if pending is not None and (pending["date"], pending.get("content") or pending["source"]) != (
            date, content if pending.get("content") else path):
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
                graph.write("snapshot/begin", record={"date": date, "source": path, "kind": "first",
                                                       "content": content})
                derived = fresh.finish()
                report.links = reconcile(graph, workers, batch_size, progress, written=True)
            phases["write"] = time.monotonic() - clock
            report.depth_updates, report.max_depth = derived.nodes_with_edges, derived.max_depth
            report.snapshot["kind"] = "first"
            edges = sink.edge_table()
            return _commit(graph, report, sink.view, None, None, started,
                           lambda version: sink.keep(version, edges, derived.table), content)
        sink = Collect(new_copy_folder())
        return _interval_load(graph, source, sink, report, pending, date, latest, first, started, batch_size,
                              workers, progress, content)
    except BaseException:
        if sink is not None:
            sink.discard()
        raise


def _interval_load(graph: Graph, source: Source, sink: Collect, report: SnapshotReport, pending: dict | None,
                   date: str, latest: str | None, first: str | None, started: float, batch_size: int, workers: int,
                   progress: bool, version: str) -> SnapshotReport:
    """A snapshot load into a graph that holds models: compare, write the difference, derive."""
    phases = report.phases
    path = source.path
    # before anything of this load reaches the server (the warm-up's rolled-back writes included):
    # whether the kept copy may stand for the graph (store/commits.py)
    trusted = kept_folder(graph)
    warming = threading.Thread(target=warm_up, args=(graph,), daemon=True)
    warming.start()  # the server plans the write queries while the file is read
    reading = ThreadPoolExecutor(1, thread_name_prefix="node-ids")
    nodes = reading.submit(stored_nodes, graph, trusted)  # and it sends the models' node ids
    reading.shutdown(wait=False)
    # the sink writes nothing to the graph, so the batches can be larger than a transaction:
    # each batch's read has a fixed cost (BENCHMARKS.md, "Design measurements")
    with memory.reusing():
        plan(source, sink, report, max(batch_size, READ_BATCH), progress)
        sink.close()
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
            state.folder = name_read_copy(state.folder)
        base = state
        graph.write("snapshot/begin", record={"date": date, "source": path, "kind": kind, "previous": latest,
                                               "base": state.folder.name, "content": version})
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

        report.writes = apply(graph, state, sink, date, latest, first, batch_size, workers, progress,
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
        clock = time.monotonic()
        report.links = reconcile(graph, workers, batch_size, progress)
        phases["links"] = time.monotonic() - clock
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
        "content": version,
    }
    for key in ("added", "deleted", "updated", "rebased", "new_version"):
        record[key] = figures[key]["total"] if figures is not None else None
    graph.write("snapshot/begin", record=record)
    keep(version)
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


READ_BATCH = 50_000  # rows per batch an interval's plan reads


def record_bulk_snapshot(graph: Graph, source_path: str, date: str | None, report: LoadReport,
                         progress: bool = True) -> SnapshotReport:
    """After ``--bulk`` into an empty database: the first snapshot's record, from the loaded graph."""
    started = time.monotonic()
    source = open_source(source_path)
    date = parse_date(date) if date is not None else file_date(source)
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
