"""History reads: what the snapshot loads kept of a model (first and last seen, deleted, what it
last was), for ``show`` of a current or deleted model.
"""

from __future__ import annotations

import json


from ..store.db import Graph
from ..store.relations import RELATIONS


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
