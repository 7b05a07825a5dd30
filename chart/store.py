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

import pandas as pd
import pyarrow as pa

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
    """The graph's current models as hub-stats columns, their known bases in ``baseModels``."""
    models = graph.fetch_table("chart_models", _MODEL_COLUMNS, _MODEL_TYPES)
    edges = graph.fetch_table("chart_edges", ["child", "base", "relation"], [pa.string()] * 3).to_pandas()
    ids = models["id"].to_pylist()
    grouped = {child: (g["relation"].iat[0], g["base"].tolist()) for child, g in edges.groupby("child", sort=False)}
    base_models = [
        {"relation": grouped[i][0], "models": [{"_id": None, "id": b} for b in grouped[i][1]]} if i in grouped else None
        for i in ids
    ]
    config = [json.dumps({"model_type": t}) if t else None for t in models["model_type"].to_pylist()]
    return pa.table({
        "id": models["id"],
        "author": models["author"],
        "createdAt": models["created"].cast(pa.timestamp("ms", tz="UTC")),
        "downloads": models["downloads"],
        "likes": models["likes"],
        "pipeline_tag": models["pipeline_tag"],
        "library_name": models["library_name"],
        "safetensors": pa.StructArray.from_arrays([models["parameters"].combine_chunks()], names=["total"]),
        "config": pa.array(config, pa.string()),
        "baseModels": pa.array(base_models, pa.struct([
            ("relation", pa.string()),
            ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())]))),
        ])),
    })


def chart(graph: Graph, seed: int = 0, top: int = TOP, min_score: float = MIN_SCORE) -> ChartReport:
    """Chart the graph and replace the stored suggestions, in one transaction."""
    models = read_models(graph_table(graph), "the graph")
    charted = chart_models(models, seed=seed, top=top, min_score=min_score)
    steps = [("chart_clear_write", {})]
    for part in charted.batches(WRITE_BATCH):
        steps.append(("chart_write", {"rows": [
            {"id": r.id, "base": r.base, "score": float(r.score), "relation": r.relation,
             "evidence": list(r.evidence), "method": METHOD, "rank": int(r.rank)} for r in part.itertuples()]}))
    removed = graph.read("chart_count")[0]["edges"]
    graph.write_many(steps)
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
