"""``stats``' training-dataset tables: the share of models declaring datasets by relation class,
the datasets most models were trained on and those with the widest downstream reach, on a
hand-built lineage (graphs.trained_lineage, answers worked out by hand) and on the real sample
against an independent reading of the parquet."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.parquet as pq

from hflineage.lineage import analyses, datasets
from hflineage.loader.load import load

from conftest import SAMPLE, declared_datasets
from graphs import load_trained

FOUR = ("finetune", "adapter", "quantized", "merge")



def test_dataset_tables_known_answers(graph, make_parquet, make_datasets):
    load_trained(graph, make_parquet, make_datasets)
    s = analyses.stats(graph)
    # ghost/x, the placeholder u/g names, is no model of the dump; y/card's finetune is inferred
    assert s["datasets_by_relation"] == {
        "adapter": {"models": 1, "with_datasets": 1, "share": 1.0},
        "finetune": {"models": 3, "with_datasets": 2, "share": 0.6667},
        "quantized": {"models": 2, "with_datasets": 1, "share": 0.5},
        "merge": {"models": 1, "with_datasets": 1, "share": 1.0},
        "none": {"models": 3, "with_datasets": 2, "share": 0.6667},
        "all": {"models": 10, "with_datasets": 7, "share": 0.7},
    }
    assert s["top_datasets"] == [
        {"id": "d/two", "license": "cc-by-nc-4.0", "trained": 3},
        {"id": "d/one", "license": "mit", "trained": 2},
        {"id": "d/shared", "license": "apache-2.0", "trained": 2},
        {"id": "d/nc", "license": "other", "trained": 1},
        {"id": "d/own", "license": None, "trained": 1},  # never described
    ]
    # downloads: each model reached once, e.g. d/one: base/a 100 + u/g 7 + org/ft 10 + org/other 20
    # + org/m 1000 + org/q (none) + org/leaf 5
    assert s["top_dataset_reach"] == [
        {"id": "d/one", "license": "mit", "trained": 2, "downstream": 5, "reach": 7, "downloads": 1142},
        {"id": "d/shared", "license": "apache-2.0", "trained": 2, "downstream": 4, "reach": 6, "downloads": 1135},
        {"id": "d/two", "license": "cc-by-nc-4.0", "trained": 3, "downstream": 3, "reach": 6, "downloads": 1038},
        {"id": "d/nc", "license": "other", "trained": 1, "downstream": 4, "reach": 5, "downloads": 1058},
        {"id": "d/own", "license": None, "trained": 1, "downstream": 2, "reach": 3, "downloads": 1005},
    ]
    # the same reach as `hflineage dataset ID` answers it
    for row in s["top_dataset_reach"]:
        one = datasets.dataset(graph, row["id"])
        assert (len(one["trained"]), one["downstream"], one["downloads"]) == (
            row["trained"], row["downstream"], row["downloads"])
    short = analyses.stats(graph, top=2)
    assert [r["id"] for r in short["top_datasets"]] == ["d/two", "d/one"]
    assert [r["id"] for r in short["top_dataset_reach"]] == ["d/one", "d/shared"]


def test_a_graph_without_datasets_has_empty_tables(graph, make_parquet):
    load(graph, make_parquet([{"id": "a/root"}, {"id": "a/ft", "base": ["a/root"], "relation": "finetune"}]),
         progress=False)
    s = analyses.stats(graph)
    assert s["datasets_by_relation"]["finetune"] == {"models": 1, "with_datasets": 0, "share": 0.0}
    assert s["datasets_by_relation"]["merge"] == {"models": 0, "with_datasets": 0, "share": 0.0}
    assert s["top_datasets"] == [] and s["top_dataset_reach"] == []


def relation_classes(path) -> dict[str, str]:
    """Each row's relation class read from the parquet alone: its declared baseModels.relation
    when it names a base other than itself (a declared list is never completed from the card);
    else, for a card naming a base other than itself, seed 000's rules as docs/graph.md lists
    them (base_model_relation; two bases merge; adapter signals; quantized signals; finetune);
    else none."""
    adapter_tags, quantized_tags = {"lora", "adapter", "peft"}, {"quantized", "gguf", "int8", "int4", "4bit", "8bit"}
    out = {}
    columns = ["id", "baseModels", "cardData", "tags", "gguf", "library_name"]
    for r in pq.read_table(path, columns=columns).to_pylist():
        declared = r["baseModels"]
        if declared and declared["models"]:
            bases = {m["id"].strip() for m in declared["models"]} - {r["id"], ""}
            out[r["id"]] = declared["relation"] if bases and declared["relation"] in FOUR else "none"
            continue
        card = json.loads(r["cardData"]) if r["cardData"] else {}
        card = card if isinstance(card, dict) else {}
        named = card.get("base_model")
        named = [named] if isinstance(named, str) else [b for b in named if isinstance(b, str)] if isinstance(named, list) else []
        bases = {b.strip() for b in named} - {r["id"], ""}
        tags = {t.lower() for t in r["tags"] or []}
        if not bases:
            out[r["id"]] = "none"
        elif card.get("base_model_relation") in FOUR:
            out[r["id"]] = card["base_model_relation"]
        elif len(bases) >= 2:
            out[r["id"]] = "merge"
        elif tags & adapter_tags or (r["library_name"] or "").lower() == "peft":
            out[r["id"]] = "adapter"
        elif tags & quantized_tags or r["gguf"]:
            out[r["id"]] = "quantized"
        else:
            out[r["id"]] = "finetune"
    return out


def test_real_sample_shares_match_the_parquet(graph):
    """The 4,167 rows of the real sample (1,052 name datasets): every class's counts equal a
    reading of the parquet with pyarrow and json, and so do the datasets most models name."""
    load(graph, str(SAMPLE), progress=False)
    s = analyses.stats(graph)
    classes = relation_classes(SAMPLE)
    named = declared_datasets(SAMPLE)
    expected = {}
    for c in (*FOUR, "none", "all"):
        ids = [i for i, cls in classes.items() if c in ("all", cls)]
        with_datasets = sum(1 for i in ids if named[i])
        expected[c] = {"models": len(ids), "with_datasets": with_datasets,
                       "share": round(with_datasets / len(ids), 4)}
    assert {c: s["datasets_by_relation"][c] for c in expected} == expected
    assert expected["all"] == {"models": 4167, "with_datasets": 1052, "share": 0.2525}
    counts = Counter(d for ds in named.values() for d in ds)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(r["id"], r["trained"]) for r in s["top_datasets"]] == top
    # reach counts the trained models and their descendants: never fewer than the trained
    assert all(r["reach"] == r["trained"] + r["downstream"] >= r["trained"] for r in s["top_dataset_reach"])
    widest = s["top_dataset_reach"][0]
    one = datasets.dataset(graph, widest["id"])
    assert (len(one["trained"]), one["downstream"]) == (widest["trained"], widest["downstream"])
