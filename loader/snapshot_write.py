"""A snapshot load's writes: the difference between the stored graph (a State) and the file (a
Collect), written step by step so that a load killed midway and run again converges.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from ..lineage import dag
from ..store.db import Graph, Writer
from .derive import VALUES, same_values
from ..store.relations import RELATION_OF
from ..store import memory
from ..store.properties import COUNTERS
from .kept_copy import PROPS, Collect, State


def apply(graph: Graph, state: State, sink: Collect, date: str, latest: str | None,
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
    deleted = state.rows(pa.array(np.flatnonzero(gone)), ["id", *PROPS, "createdAt", "lastModified"])
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
            clock = time.monotonic()
            for start in range(0, moved.num_rows, COUNTER_BATCH):
                chunk = moved.slice(start, COUNTER_BATCH)
                writer.put("snapshot/set_counters", ids=chunk["id"].to_pylist(), nodes=chunk["node"].to_pylist(),
                           **{n: chunk[n].to_pylist() for n in COUNTERS})
                bar.update(chunk.num_rows)
            writer.join()
            seconds["set_counters"] = round(time.monotonic() - clock, 3)
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


def warm_up(graph: Graph) -> None:
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
    props = [sink.column(p).take(chosen) for p in PROPS]
    rows = pa.table({
        "id": nodes["id"].take(chosen),
        "props": pa.StructArray.from_arrays([dag.plain(p) for p in props], names=[*PROPS]),
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


COMPARED = (*PROPS, "createdAt", "lastModified")  # the columns a model's row is compared by


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
    for row in deleted.select(["id", *PROPS, "createdAt", "lastModified"]).to_pylist():
        props = {k: row[k] for k in PROPS}
        for k in ("createdAt", "lastModified"):
            props[k] = (dt.datetime.fromtimestamp(row[k] / 1000, dt.timezone.utc).isoformat()
                        if row[k] is not None else None)
        last = sorted(bases.get(row["id"], []))
        out.append({"id": row["id"], "properties": json.dumps(props, sort_keys=True),
                    "bases": [b for b, _ in last], "relations": [r for _, r in last]})
    return out


def _is_in(values, ids) -> pa.Array:
    return pc.is_in(values, value_set=ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string()))

