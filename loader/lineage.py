"""Lookups over the stored graph; each wraps one stored query and shapes its answer."""

from __future__ import annotations

from .db import Graph
from .derive import DERIVED_PROPERTIES
from .errors import ModelNotFound
from .relations import RELATIONS
from .snapshot import EMPTY_HISTORY, HISTORY_PROPERTIES, deleted_show, snapshot_history



def show(graph: Graph, model_id: str) -> dict:
    """A model's properties, bases, Hub-style model tree, descendant count and depth."""
    rows = graph.read("show", model_id=model_id)
    history = snapshot_history(graph, model_id)
    if not rows:
        if history is None:
            raise ModelNotFound(f"model '{model_id}' is not in the graph")
        return deleted_show(model_id, history)
    row = rows[0]
    properties = {k: v for k, v in sorted(row["properties"].items()) if k not in DERIVED_PROPERTIES.values() and k not in HISTORY_PROPERTIES}
    return {
        "id": row["id"],
        "license": row["license"],
        "missing": row["missing"],
        "parents": row["parents"],
        "children": {rel: row["children"][rel] for rel in RELATIONS},
        "descendants": row["descendants"],
        "subtree_downloads": row["subtree_downloads"],
        "subtree_downloads_all_time": row["subtree_downloads_all_time"],
        "depth": row["depth"],
        "properties": properties,
        **(history or EMPTY_HISTORY),
    }
