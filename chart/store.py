"""Charting the graph: read its models and known edges, suggest, store SUSPECTED_BASE edges.

``chart`` reads the graph rather than a load's source file: the graph is what the other
commands answer from (after snapshot loads and updates it is no single file), and its models
carry the signals the loader kept (author, dates, parameter total, model type, library,
pipeline tag). The file-only signals (tags, gguf header, file names) are not there, so in the
graph quantization is recognised by name alone; ``chart evaluate`` runs on files and sees all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store.db import Graph

from .chart import METHOD, MIN_SCORE, TOP, chart_models
from .models import read_models

WRITE_BATCH = 10_000
_MODEL_COLUMNS = ["id", "author", "created", "parameters", "model_type", "library_name", "pipeline_tag",
                  "downloads", "likes"]
_MODEL_TYPES = [pa.string(), pa.string(), pa.int64(), pa.int64(), pa.string(), pa.string(), pa.string(),
                pa.int64(), pa.int64()]


@dataclass
class ChartReport:
    models: int  # current models read
    charted: int  # of them without a base
    suggested: int  # of them with at least one suggestion
    edges: int  # SUSPECTED_BASE edges written (the previous run's removed)
    removed: int
    trained_on: int  # models with known bases the scorer learned from
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


def graph_table(graph: Graph) -> pa.Table:
    """The graph's current models as hub-stats columns, their known bases in ``baseModels``
    (built with Arrow compute: no Python object per model)."""
    models = graph.fetch_table("chart_models", _MODEL_COLUMNS, _MODEL_TYPES)
    edges = graph.fetch_table("chart_edges", ["child", "base", "relation"], [pa.string()] * 3)
    return pa.table({
        "id": models["id"],
        "author": models["author"],
        "createdAt": models["created"].cast(pa.timestamp("ms", tz="UTC")),
        "downloads": models["downloads"],
        "likes": models["likes"],
        "pipeline_tag": models["pipeline_tag"],
        "library_name": models["library_name"],
        "safetensors": pa.StructArray.from_arrays([models["parameters"].combine_chunks()], names=["total"]),
        "config": _configs(models["model_type"]),
        "baseModels": _base_models(models["id"], edges),
    })


def _configs(model_type: pa.ChunkedArray) -> pa.Array:
    """``{"model_type": ...}`` as JSON per row (null without one): each distinct value dumped once."""
    enc = pc.dictionary_encode(model_type.combine_chunks())
    dumped = pa.array([json.dumps({"model_type": v}) for v in enc.dictionary.to_pylist()], pa.string())
    return dumped.take(enc.indices)


_BASE_MODELS = pa.struct([("relation", pa.string()),
                          ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())])))])


def _base_models(ids: pa.ChunkedArray, edges: pa.Table) -> pa.Array:
    """Each model's ``baseModels``: its bases (in the edges' order) and the first edge's relation;
    null for a model without one."""
    if not edges.num_rows:
        return pa.nulls(len(ids), _BASE_MODELS)
    order = pc.sort_indices(edges, [("child", "ascending")])  # stable: each child's edges keep their order
    e = edges.take(order).combine_chunks()
    child = e["child"].chunk(0) if isinstance(e["child"], pa.ChunkedArray) else e["child"]
    start = np.r_[0, np.flatnonzero(pc.not_equal(child[1:], child[:-1]).to_numpy(zero_copy_only=False)) + 1]
    offsets = pa.array(np.r_[start, len(child)].astype(np.int32))
    base = e["base"].combine_chunks()
    listed = pa.ListArray.from_arrays(offsets, pa.StructArray.from_arrays(
        [pa.nulls(len(base), pa.string()), base], names=["_id", "id"]))
    per_child = pa.StructArray.from_arrays([e["relation"].combine_chunks().take(pa.array(start)), listed],
                                           fields=list(_BASE_MODELS))
    at = pc.index_in(ids.combine_chunks(), value_set=child.take(pa.array(start)))
    return per_child.take(at)


def chart(graph: Graph, seed: int = 0, top: int = TOP, min_score: float = MIN_SCORE) -> ChartReport:
    """Chart the graph and replace the stored suggestions: the previous run's edges are removed,
    then the new ones written, ``WRITE_BATCH`` per transaction (a million suggestions in one
    transaction outgrow the server's transaction memory). A run killed midway leaves a partial
    set; the next run removes it like any other."""
    models = read_models(graph_table(graph), "the graph")
    charted = chart_models(models, seed=seed, top=top, min_score=min_score)
    removed = graph.read("chart_count")[0]["edges"]
    while graph.write("chart_clear_write", limit=WRITE_BATCH)[0]["removed"]:
        pass
    for part in charted.batches(WRITE_BATCH):
        graph.write("chart_write", rows=[
            {"id": r.id, "base": r.base, "score": float(r.score), "relation": r.relation,
             "evidence": list(r.evidence), "method": METHOD, "rank": int(r.rank)} for r in part.itertuples()])
    s = charted.frame
    return ChartReport(models=len(models), charted=charted.charted, suggested=int(s["row"].nunique()) if len(s) else 0,
                       edges=len(s), removed=removed, trained_on=charted.scorer.trained_children, method=METHOD)


def listing(graph: Graph, min_score: float = 0.0) -> list[dict]:
    """One row per model with a suggestion scored ≥ ``min_score``: its best, best first."""
    return graph.read("chart_list", min_score=float(min_score))


def suspected(graph: Graph, model_id: str) -> list[dict]:
    return graph.read("chart_suspected", model_id=model_id)


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "base", "score", "relation", "evidence"])
