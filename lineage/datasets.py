"""Datasets and successors: a dataset's reach, the impact of withdrawing datasets, latest(M).

Definitions are docs/datasets.md's (SPEC "Datasets and successors"). Neither TRAINED_ON nor
SUPERSEDED_BY takes part in any lineage definition: the reach of a dataset goes down base edges
from the models trained on it.
"""

from __future__ import annotations

from . import ID_BATCH
from ..store.db import Graph, gc_paused
from ..store.errors import DatasetNotFound, HFLineageError
from ..store.relations import RELATIONS


def latest(successors: list[str]) -> str | None:
    """SPEC's latest(M) from M's successor walk ``[M, next, next, ...]`` (each edge once, so a
    cycle shows as a repeat): the last model before the first repeat; None without a successor."""
    seen: set[str] = set()
    last = None
    for node in successors:
        if node in seen:
            break
        seen.add(node)
        last = node
    return last if len(successors) > 1 else None


def dataset(graph: Graph, dataset_id: str) -> dict:
    """One dataset: its license and properties, the models trained on it, their downstream and
    downloads, the families touched."""
    rows = graph.read("dataset", dataset_id=dataset_id)
    if not rows:
        raise DatasetNotFound(f"dataset '{dataset_id}' is not in the graph",
                       hint="a dataset is in the graph when a loaded model names it, or after 'load --datasets'")
    row = rows[0]
    reach = _reach(graph, [dataset_id])
    props = {k: v for k, v in sorted(row["properties"].items()) if k not in ("id", "described")}
    return {"id": row["id"], "license": row["license"], "properties": props, "trained": reach["trained"],
            "downstream": len(reach["downstream"]), "downloads": reach["downloads"],
            "downloads_all_time": reach["downloads_all_time"], "families": reach["families"]}


def dataset_impact(graph: Graph, ids: list[str], with_list: bool = False) -> dict:
    """What withdrawing the datasets ``ids`` reaches (``impact --dataset``): the models trained on
    them, their downstream, the downloads of both, the families touched; ids that are no
    dataset of the graph are reported and ignored."""
    ids = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if not ids:
        raise HFLineageError("no dataset ids given")
    found: set[str] = set()
    for start in range(0, len(ids), ID_BATCH):
        found.update(r["id"] for r in graph.read("known_datasets", ids=ids[start:start + ID_BATCH]))
    reach = _reach(graph, sorted(found))
    unknown = [i for i in ids if i not in found]
    result = {
        "datasets": sorted(found),
        "unknown": unknown,
        "trained": len(reach["trained"]),
        "downstream": len(reach["downstream"]),
        "downloads": reach["downloads"],
        "downloads_all_time": reach["downloads_all_time"],
        "families_touched": reach["families"],
    }
    if with_list:
        result["models"] = {"trained": sorted(m["id"] for m in reach["trained"]),
                            "downstream": sorted(reach["downstream"])}
    return result


def _reach(graph: Graph, ids: list[str]) -> dict:
    with gc_paused():
        row = graph.read("dataset_reach", ids=ids)[0]
    row["trained"] = sorted(row["trained"], key=lambda m: (-(m["downloads"] or 0), m["id"]))
    return row


# --- statistics ----------------------------------------------------------------------------

DATASET_CLASSES = (*RELATIONS, "none")  # "none": no base


def dataset_stats(graph: Graph, top: int = 10) -> dict:
    """``stats``' dataset tables: the share of models declaring training datasets by relation
    class (stats_datasets_by_relation defines the class; placeholders are no model of the dump
    and are left out), and the ``top`` datasets by models trained and by downstream reach."""
    counts = {c: {"models": 0, "with_datasets": 0} for c in (*DATASET_CLASSES, "all")}
    for row in graph.read("stats_datasets_by_relation"):
        for key in (row["relation"], "all"):
            counts[key]["models"] += row["models"]
            if row["with_datasets"]:
                counts[key]["with_datasets"] += row["models"]
    for c in counts.values():
        c["share"] = round(c["with_datasets"] / c["models"], 4) if c["models"] else 0.0
    return {
        "datasets_by_relation": counts,
        "top_datasets": graph.read("stats_top_datasets", limit=top),
        "top_dataset_reach": graph.read("stats_dataset_reach", limit=top),
    }
