"""Datasets and successors against the real server: TRAINED_ON, SUPERSEDED_BY, Dataset nodes,
``load --datasets``, ``show``'s new keys, ``dataset``, ``impact --dataset``; known answers worked
out by hand, hostile cards, and the real sample's counts against an independent computation."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hflineage.lineage import analyses, datasets
from hflineage.loader.datasets_file import load_datasets
from hflineage.loader.load import load
from hflineage.store.errors import DatasetNotFound, InputError

from conftest import SAMPLE

FIXTURE = Path(__file__).parent / "fixtures" / "datasets.parquet"

DOWNLOADS = {"org/A": 1000, "org/B": 100, "org/C": 10, "org/C2": 20, "org/C3": 30, "org/D": 5, "org/E": 1}


def family() -> list[dict]:
    """A -> B -> {C, C2, C3}, A -> D -> E (base edges point up). Datasets: A names d/one and d/two
    in its card and d/two, d/three in tags; B names d/one as a plain string; D names d/two.
    Successors: C -> C2 -> C3 -> C2 (a cycle), S -> S (itself), M -> an absent model."""
    return [
        {"id": "org/A", "card": {"datasets": ["d/one", "d/two"]}, "tags": ["dataset:d/two", "dataset:d/three"]},
        {"id": "org/B", "base": ["org/A"], "relation": "finetune", "card": {"datasets": "d/one"}},
        {"id": "org/C", "base": ["org/B"], "relation": "finetune", "card": {"new_version": "org/C2"}},
        {"id": "org/C2", "base": ["org/B"], "relation": "finetune", "card": {"new_version": "org/C3"}},
        {"id": "org/C3", "base": ["org/B"], "relation": "finetune", "card": {"new_version": "org/C2"}},
        {"id": "org/D", "base": ["org/A"], "relation": "adapter", "card": {"datasets": ["d/two"]}},
        {"id": "org/E", "base": ["org/D"], "relation": "finetune"},
        {"id": "org/S", "card": {"new_version": "org/S"}},
        {"id": "org/M", "card": {"new_version": "ghost/none"}},
    ]


def rows_with_downloads(rows):
    return [{**r, "downloads": DOWNLOADS.get(r["id"], 0), "downloadsAllTime": 2 * DOWNLOADS.get(r["id"], 0)}
            for r in rows]


def trained_pairs(graph) -> set[tuple[str, str]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (m)-[:TRAINED_ON]->(d:Dataset) RETURN m.id AS m, d.id AS d", database_=graph.database)
    return {(r["m"], r["d"]) for r in records}


def successor_pairs(graph) -> set[tuple[str, str]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (m)-[:SUPERSEDED_BY]->(t) RETURN m.id AS m, t.id AS t", database_=graph.database)
    return {(r["m"], r["t"]) for r in records}


def dataset_ids(graph) -> set[str]:
    records, _, _ = graph.driver.execute_query("MATCH (d:Dataset) RETURN d.id AS id", database_=graph.database)
    return {r["id"] for r in records}


def test_known_answer_family(graph, make_parquet):
    report = load(graph, make_parquet(rows_with_downloads(family())), progress=False)
    assert trained_pairs(graph) == {("org/A", "d/one"), ("org/A", "d/two"), ("org/A", "d/three"),
                                    ("org/B", "d/one"), ("org/D", "d/two")}
    assert dataset_ids(graph) == {"d/one", "d/two", "d/three"}
    assert successor_pairs(graph) == {("org/C", "org/C2"), ("org/C2", "org/C3"), ("org/C3", "org/C2")}
    assert report.links == {"models_with_datasets": 3, "trained_on": 5, "datasets": 3,
                            "new_version": {"declared": 5, "superseded_by": 3, "self": 1, "absent": 1, "on_cycle": 2}}
    # base lineage is untouched by either edge kind
    assert analyses.show(graph, "org/C")["depth"] == 2
    assert analyses.show(graph, "org/A")["descendants"] == 6

    show = {i: analyses.show(graph, i) for i in ("org/A", "org/C", "org/C2", "org/C3", "org/S", "org/M", "org/E")}
    assert show["org/A"]["datasets"] == [{"id": "d/one", "license": None}, {"id": "d/three", "license": None},
                                         {"id": "d/two", "license": None}]
    assert show["org/E"]["datasets"] == []
    assert {i: (s["newer_version"], s["latest"]) for i, s in show.items()} == {
        "org/A": (None, None),
        "org/C": ("org/C2", "org/C3"),  # C -> C2 -> C3 -> C2: the last before the first repeat
        "org/C2": ("org/C3", "org/C3"),  # C2 -> C3 -> C2
        "org/C3": ("org/C2", "org/C2"),
        "org/S": ("org/S", None),  # itself: no edge, no successor
        "org/M": ("ghost/none", None),  # absent: no edge
        "org/E": (None, None),
    }

    one = datasets.dataset(graph, "d/one")
    assert [m["id"] for m in one["trained"]] == ["org/A", "org/B"]  # most downloaded first
    # descendants of A and B that are not trained on d/one: C, C2, C3, D, E
    assert (one["downstream"], one["downloads"], one["downloads_all_time"], one["families"]) == (5, 1166, 2332, 1)
    three = datasets.dataset(graph, "d/three")
    assert (three["downstream"], three["downloads"]) == (6, 1166)
    impact = datasets.dataset_impact(graph, ["d/two", "nope/x", "d/two"], with_list=True)
    assert impact == {"datasets": ["d/two"], "unknown": ["nope/x"], "trained": 2, "downstream": 5,
                      "downloads": 1166, "downloads_all_time": 2332, "families_touched": 1,
                      "models": {"trained": ["org/A", "org/D"],
                                 "downstream": ["org/B", "org/C", "org/C2", "org/C3", "org/E"]}}
    with pytest.raises(DatasetNotFound):
        datasets.dataset(graph, "nope/x")


def test_a_newer_file_moves_the_edges_and_drops_unnamed_datasets(graph, make_parquet):
    load(graph, make_parquet(family()), progress=False)
    newer = family()
    newer[0] = {"id": "org/A", "card": {"datasets": ["d/one"]}}  # d/two stays (D names it), d/three goes
    newer[2] = {"id": "org/C", "base": ["org/B"], "relation": "finetune"}  # no successor any more
    newer[7] = {"id": "org/S", "card": {"new_version": "org/E"}}
    report = load(graph, make_parquet(newer), progress=False)
    assert trained_pairs(graph) == {("org/A", "d/one"), ("org/B", "d/one"), ("org/D", "d/two")}
    assert dataset_ids(graph) == {"d/one", "d/two"}
    assert successor_pairs(graph) == {("org/C2", "org/C3"), ("org/C3", "org/C2"), ("org/S", "org/E")}
    assert report.links["datasets"] == 2


def test_a_load_converges_after_outside_writes(graph, make_parquet):
    """Edges deleted or added behind the loader's back (a killed load leaves the same) are put
    right by the next load of the same file."""
    path = make_parquet(family())
    load(graph, path, progress=False)
    want = (trained_pairs(graph), successor_pairs(graph), dataset_ids(graph))
    graph.driver.execute_query(
        "MATCH (:Model {id: 'org/A'})-[e:TRAINED_ON]->() DELETE e WITH 1 AS x LIMIT 1 "
        "MATCH (m:Model {id: 'org/E'}) MERGE (d:Dataset {id: 'stray/one'}) MERGE (m)-[:TRAINED_ON]->(d) "
        "WITH m MATCH (s:Model {id: 'org/S'}) MERGE (s)-[:SUPERSEDED_BY]->(m)", database_=graph.database)
    assert trained_pairs(graph) != want[0]
    load(graph, path, progress=False)
    assert (trained_pairs(graph), successor_pairs(graph), dataset_ids(graph)) == want


def test_hostile_cards_are_counted_and_left_out(graph, make_parquet, cli):
    deep = '{"datasets": ' + "[" * 50_000 + "]" * 50_000 + "}"
    rows = [
        {"id": "h/dict", "card": {"datasets": {"a": 1}}},
        {"id": "h/many", "card": {"datasets": [f"x/d{i}" for i in range(300)]}},
        {"id": "h/mixed", "card": {"datasets": ["ok/one", "has space", "https://huggingface.co/datasets/x/y",
                                                "ctl\x07x", "a" * 5000, 123, None, ["nested"], " ok/one "]},
         "tags": ["dataset:ok/two", "dataset:bad id"]},
        {"id": "h/nv-dict", "card": {"new_version": {"id": "x"}}},
        {"id": "h/nv-url", "card": {"new_version": "https://x/y"}},
        {"id": "h/not-json", "cardData": "{{{ \"datasets\"", "tags": ["dataset:ok/three"]},
        {"id": "h/deep", "cardData": deep},
    ]
    result = cli("--no-progress", "load", make_parquet(rows), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dropped_links"] == {
        "datasets_not_a_list": 1, "datasets_too_many": 1,
        "dataset_id_malformed": 4,  # a space, a URL, a control character, "bad id" from a tag
        "dataset_id_too_long": 1, "dataset_not_a_string": 3,  # 123, None, a nested list
        "new_version_not_a_string": 1, "new_version_id_malformed": 1,
    }
    assert report["models"] == 7
    assert trained_pairs(graph) == {("h/mixed", "ok/one"), ("h/mixed", "ok/two"), ("h/not-json", "ok/three")}
    assert successor_pairs(graph) == set()


def test_datasets_file(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet(rows_with_downloads(family()) + [
        {"id": "org/NC", "card": {"datasets": ["teknium/OpenHermes-2.5", "netcat420/MFANN", "x-org/undescribed"]}}]),
        progress=False)
    before = dataset_ids(graph)
    # a models file and a file without id: one line, exit 2, nothing written
    for bad, why in ((SAMPLE, "has the models column 'baseModels'"), (_no_id(tmp_path), "no 'id' column")):
        result = cli("load", "--datasets", str(bad))
        assert result.exit_code == 2 and why in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert dataset_ids(graph) == before
    report = load_datasets(graph, str(FIXTURE), progress=False)
    assert (report.rows_read, report.duplicate_ids, report.datasets, report.with_license) == (26, 1, 25, 24)
    assert report.named_by_models == 2  # OpenHermes and MFANN
    hermes = datasets.dataset(graph, "teknium/OpenHermes-2.5")
    assert hermes["license"] == "cc-by-nc-4.0" and hermes["properties"]["downloads"] == 22_000
    assert datasets.dataset(graph, "microsoft/orca-math-word-problems-200k")["properties"]["downloads"] == 4242
    assert analyses.show(graph, "org/NC")["datasets"] == [{"id": "netcat420/MFANN", "license": None},
                                                         {"id": "teknium/OpenHermes-2.5", "license": "cc-by-nc-4.0"},
                                                         {"id": "x-org/undescribed", "license": None}]
    # described datasets stay when no model names them, and a reload keeps the licenses
    load(graph, make_parquet([{"id": "org/NC"}]), progress=False)  # its datasets are gone from its card
    assert "teknium/OpenHermes-2.5" in dataset_ids(graph) and "example-org/unused-dataset" in dataset_ids(graph)
    assert "x-org/undescribed" not in dataset_ids(graph)  # named by nobody now, never described
    assert "netcat420/MFANN" in dataset_ids(graph)  # described (without a license)
    hermes = datasets.dataset(graph, "teknium/OpenHermes-2.5")
    assert hermes["license"] == "cc-by-nc-4.0" and hermes["trained"] == []


def test_a_first_load_after_a_datasets_file_adds_to_its_nodes(graph, make_parquet):
    # the first load of models creates the Dataset nodes no datasets file described, beside those
    # it did (one node per id); the models' edges go to both, in the transactions of the models
    load_datasets(graph, str(FIXTURE), progress=False)
    described = dataset_ids(graph)
    rows = [{"id": "org/root", "card": {"datasets": ["teknium/OpenHermes-2.5", "x-org/new"]}},
            {"id": "org/child", "base": ["org/root"], "relation": "finetune",
             "card": {"datasets": ["x-org/new", "netcat420/MFANN"]}}]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.links["trained_on"] == 4 and report.links["datasets"] == len(described) + 1
    records, _, _ = graph.driver.execute_query("MATCH (d:Dataset) RETURN d.id AS id, count(*) AS n ORDER BY n DESC LIMIT 1",
                                               database_=graph.database)
    assert records[0]["n"] == 1
    assert dataset_ids(graph) == described | {"x-org/new"}
    assert analyses.show(graph, "org/root")["datasets"] == [{"id": "teknium/OpenHermes-2.5", "license": "cc-by-nc-4.0"},
                                                          {"id": "x-org/new", "license": None}]
    assert [d["id"] for d in analyses.show(graph, "org/child")["datasets"]] == ["netcat420/MFANN", "x-org/new"]


def _no_id(tmp_path) -> Path:
    import pyarrow as pa

    path = tmp_path / "no_id.parquet"
    pq.write_table(pa.table({"name": ["x"], "downloads": [1]}), path)
    return path


def independent_links(path) -> tuple[set, set]:
    """(model, dataset) pairs and (model, successor) pairs of a hub-stats file, computed here with
    plain json: the card's datasets (a string or a list) and the dataset: tags; new_version where
    it names another model of the file."""
    rows = pq.read_table(path, columns=["id", "tags", "cardData"]).to_pylist()
    last = {r["id"]: r for r in rows}
    pairs, succ = set(), set()
    for model, r in last.items():
        card = json.loads(r["cardData"]) if r["cardData"] else {}
        named = card.get("datasets") or []
        named = [named] if isinstance(named, str) else named
        for d in named + [t[len("dataset:"):] for t in r["tags"] or [] if t.startswith("dataset:")]:
            pairs.add((model, d.strip()))
        nv = card.get("new_version")
        if nv and nv in last and nv != model:
            succ.add((model, nv))
    return pairs, succ


def test_real_sample_counts(graph):
    report = load(graph, str(SAMPLE), progress=False)
    pairs, succ = independent_links(SAMPLE)
    assert trained_pairs(graph) == pairs
    assert successor_pairs(graph) == succ
    assert report.links["models_with_datasets"] == len({m for m, _ in pairs}) == 1052
    assert report.links["datasets"] == len({d for _, d in pairs}) == 999
    assert report.dropped_links == {}
    # a rename whose target is not in the sample: the id is kept, no edge, no latest
    show = analyses.show(graph, "zai-org/glm-4-9b-chat-hf")
    assert (show["newer_version"], show["latest"]) == ("THUDM/glm-4-9b-chat-hf", None)
    # one pointing to itself
    show = analyses.show(graph, "Kimargin/GPT-NEO-1.3B-wiki")
    assert (show["newer_version"], show["latest"]) == ("Kimargin/GPT-NEO-1.3B-wiki", None)
    assert report.links["new_version"]["superseded_by"] == len(succ)
