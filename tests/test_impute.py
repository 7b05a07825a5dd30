"""kNN / hub attribute imputation: known answers on small hand-built graphs, the --write path,
the evaluation on the real family trees, and the bound on the search in a huge family."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections import defaultdict

import pyarrow as pa
import pytest

from hflineage.impute import knn as lib
from hflineage.impute import evaluate as ev
from hflineage.store.errors import ModelNotFound
from hflineage.loader.load import load
from hflineage.lineage.results import Evaluation

from conftest import FAMILIES, graph_edges, node_count


def model(model_id, base=None, relation="finetune", license=None, **extra):
    """A hub-stats row: ``base`` a list of base ids, ``license`` becomes a license:<id> tag."""
    row = {"id": model_id, "tags": [f"license:{license}"] if license else [], **extra}
    if base:
        row["base"], row["relation"] = base, relation
    return row


def params(total):
    """The safetensors column holding a parameter count (the ``parameters`` property)."""
    return {"safetensors": {"parameters": None, "total": total}}


@pytest.fixture
def load_rows(graph, make_parquet):
    def run(rows):
        load(graph, make_parquet(rows), progress=False)
    return run


def ids_distances(result):
    return [(n.id, n.distance) for n in result.neighbours]


def properties(graph) -> dict[str, dict]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, properties(m) AS p", database_=graph.database)
    return {r["id"]: r["p"] for r in records}


def level_reads(graph):
    """Spy on the stored queries a Graph runs (the database stays real): returns the call log."""
    calls = []
    read = graph.read

    def spy(name, **kw):
        rows = read(name, **kw)
        calls.append((name, kw, rows))
        return rows

    graph.read = spy
    return calls


# --- known answers -------------------------------------------------------------------------


def test_clear_majority_vote(graph, load_rows):
    load_rows([
        model("org/B", license="apache-2.0"),
        model("org/M", base=["org/B"]),
        model("s/1", base=["org/B"], license="apache-2.0"),
        model("s/2", base=["org/B"], license="mit"),
        model("s/3", base=["org/B"], license="apache-2.0"),
        model("s/4", base=["org/B"], license="apache-2.0"),
        model("s/5", base=["org/B"], license="mit"),  # distance 2 as well, but beyond K by id
    ])
    result = lib.impute(graph, "org/M", "license")
    assert result.prediction == "apache-2.0"
    assert result.confidence == pytest.approx(4 / 5)
    assert ids_distances(result) == [("org/B", 1), ("s/1", 2), ("s/2", 2), ("s/3", 2), ("s/4", 2)]
    assert [(t.value, t.votes) for t in result.tallies] == [("apache-2.0", 4), ("mit", 1)]
    assert result.declared is None


def test_equally_distant_candidates_beyond_k_smallest_ids_win(graph, load_rows):
    """Three of seven siblings fit in K=3: the three smallest ids, whose majority differs from
    the majority of all seven."""
    siblings = {"s/a": "mit", "s/b": "mit", "s/c": "mit", "s/d": "apache-2.0", "s/e": "apache-2.0",
                "s/f": "apache-2.0", "s/g": "apache-2.0"}
    load_rows([model("org/B"), model("org/M", base=["org/B"])]
              + [model(i, base=["org/B"], license=v) for i, v in reversed(siblings.items())])
    result = lib.impute(graph, "org/M", "license", k=3)
    assert ids_distances(result) == [("s/a", 2), ("s/b", 2), ("s/c", 2)]
    assert (result.prediction, result.confidence) == ("mit", 1.0)
    assert lib.impute(graph, "org/M", "license", k=7).prediction == "apache-2.0"


def test_vote_tie_goes_to_the_nearest_supporter(graph, load_rows):
    """1 vote each: mit at distance 1 beats apache-2.0 at distance 2, although 'apache-2.0'
    sorts first."""
    load_rows([model("org/P", license="mit"), model("org/M", base=["org/P"]),
               model("org/S", base=["org/P"], license="apache-2.0")])
    result = lib.impute(graph, "org/M", "license", k=2)
    assert ids_distances(result) == [("org/P", 1), ("org/S", 2)]
    assert (result.prediction, result.confidence) == ("mit", 0.5)
    assert [(t.value, t.votes, t.nearest) for t in result.tallies] == [("mit", 1, 1), ("apache-2.0", 1, 2)]


def test_vote_tie_at_equal_distance_goes_to_the_smallest_value(graph, load_rows):
    """Same votes, same distance: the lexicographically smallest value, not the smallest id."""
    load_rows([model("org/P"), model("org/M", base=["org/P"]),
               model("org/S1", base=["org/P"], license="mit"),
               model("org/S2", base=["org/P"], license="apache-2.0")])
    result = lib.impute(graph, "org/M", "license", k=2)
    assert ids_distances(result) == [("org/S1", 2), ("org/S2", 2)]
    assert (result.prediction, result.confidence) == ("apache-2.0", 0.5)


def test_a_neighbour_at_distance_2_beats_nothing_at_distance_1(graph, load_rows):
    load_rows([model("org/G", license="llama2"), model("org/P", base=["org/G"]),
               model("org/M", base=["org/P"]), model("org/C", base=["org/M"])])
    result = lib.impute(graph, "org/M", "license", k=1)
    assert ids_distances(result) == [("org/G", 2)]
    assert (result.prediction, result.confidence) == ("llama2", 1.0)


def test_missing_placeholders_are_walked_through_but_never_vote(graph, load_rows):
    load_rows([model("org/A", base=["ghost/base"]), model("org/B", base=["ghost/base"], license="mit")])
    result = lib.impute(graph, "org/A", "license")
    assert ids_distances(result) == [("org/B", 2)]  # ghost/base (distance 1) holds nothing
    assert result.prediction == "mit"


def test_numeric_attribute_is_the_mean(graph, load_rows):
    load_rows([model("org/P", **params(10)), model("org/M", base=["org/P"]),
               model("org/S1", base=["org/P"], **params(20)), model("org/S2", base=["org/P"], **params(60)),
               model("org/S3", base=["org/P"], **params(1000))])
    result = lib.impute(graph, "org/M", "parameters", k=3)
    assert ids_distances(result) == [("org/P", 1), ("org/S1", 2), ("org/S2", 2)]
    assert result.prediction == pytest.approx(30.0)
    assert result.confidence == 0.0  # no neighbour within 10% of 30
    assert result.as_dict()["votes"] is None
    close = lib.impute(graph, "org/S3", "parameters", k=3)  # 10, 20, 60 -> nobody near 30 either
    assert close.prediction == pytest.approx(30.0)


def test_numeric_confidence_is_the_share_within_ten_percent(graph, load_rows):
    load_rows([model("org/P", likes=100), model("org/M", base=["org/P"], likes=None),
               model("org/S1", base=["org/P"], likes=110), model("org/S2", base=["org/P"], likes=150)])
    result = lib.impute(graph, "org/M", "likes", k=3)
    assert result.prediction == pytest.approx(120.0)
    assert result.confidence == pytest.approx(1 / 3)  # only 110 lies within 10% of 120


def test_any_numeric_property_is_accepted_other_names_are_one_line_errors(graph, load_rows, cli):
    load_rows([model("org/P"), model("org/M", base=["org/P"])])
    graph.driver.execute_query("MATCH (m:Model {id: 'org/P'}) SET m.evalScore = 0.75", database_=graph.database)
    assert lib.impute(graph, "org/M", "evalScore").prediction == pytest.approx(0.75)
    for name, code, text in [("author", 2, "attribute 'author' is not numeric"),
                             ("nope", 2, "unknown attribute 'nope'"),
                             ("depth", 2, "'depth' is derived from the graph"),
                             ("license_imputed", 2, "unknown attribute 'license_imputed'")]:
        result = cli("impute", "org/M", "--attribute", name)
        assert result.exit_code == code, (name, result.stderr)
        assert result.stderr.startswith(f"error: {text}") and len(result.stderr.strip().splitlines()) == 1


def test_an_attribute_is_never_cypher(graph, load_rows, cli):
    load_rows([model("org/P", license="mit"), model("org/M", base=["org/P"])])
    evil = "license] = 1 DETACH DELETE m //"
    result = cli("impute", "org/M", "--attribute", evil)
    assert result.exit_code == 2 and "unknown attribute" in result.stderr
    assert node_count(graph) == 2


def test_hub_votes_among_all_siblings_only(graph, load_rows):
    """Hub ignores the labelled parent and child and K; knn would not."""
    load_rows([
        model("org/P", license="llama2"),
        model("org/M", base=["org/P"]),
        model("org/C", base=["org/M"], license="mit"),
        model("s/1", base=["org/P"], license="apache-2.0"),
        model("s/2", base=["org/P"], license="apache-2.0"),
        model("s/3", base=["org/P"], license="mit"),
        model("s/4", base=["org/P"]),  # an unlabelled sibling does not vote
    ])
    hub = lib.impute(graph, "org/M", "license", method="hub", k=1)
    assert (hub.prediction, hub.confidence) == ("apache-2.0", pytest.approx(2 / 3))
    assert ids_distances(hub) == [("s/1", 2), ("s/2", 2), ("s/3", 2)]
    assert hub.neighbours_total == 3 and hub.k is None
    knn = lib.impute(graph, "org/M", "license", k=3)
    assert ids_distances(knn) == [("org/C", 1), ("org/P", 1), ("s/1", 2)]
    assert knn.prediction == "llama2"  # 1-1-1; llama2 and mit both at 1; 'llama2' < 'mit'


def test_hub_siblings_of_a_merge_count_once_and_roots_have_none(graph, load_rows):
    load_rows([
        model("org/A"), model("org/B"),
        model("org/M", base=["org/A", "org/B"], relation="merge"),
        model("org/X", base=["org/A", "org/B"], relation="merge", license="mit"),  # via both bases
        model("org/Y", base=["org/B"], license="apache-2.0"),
        model("org/Z", base=["org/A"], license="apache-2.0"),
    ])
    hub = lib.impute(graph, "org/M", "license", method="hub")
    assert hub.neighbours_total == 3
    assert (hub.prediction, hub.confidence) == ("apache-2.0", pytest.approx(2 / 3))
    root = lib.impute(graph, "org/A", "license", method="hub")
    assert (root.prediction, root.confidence, root.neighbours) == (None, None, [])


def test_k_larger_than_the_candidates_uses_them_all(graph, load_rows):
    load_rows([model("org/P", license="mit"), model("org/M", base=["org/P"]),
               model("org/C", base=["org/M"]), model("org/D", base=["org/C"], license="apache-2.0"),
               model("org/Q", base=["org/D"])])
    result = lib.impute(graph, "org/M", "license", k=5)
    assert ids_distances(result) == [("org/P", 1), ("org/D", 2)]
    assert result.neighbours_total == 2
    assert (result.prediction, result.confidence) == ("mit", 0.5)  # tie: mit is nearer


def test_k1_and_k3_are_prefixes_of_k5(graph, load_rows):
    load_rows([model("org/P", license="a"), model("org/M", base=["org/P"])]
              + [model(f"s/{i}", base=["org/P"], license="bc"[i % 2]) for i in range(6)])
    five = lib.impute(graph, "org/M", "license", k=5).neighbours
    for k in (1, 3):
        assert lib.impute(graph, "org/M", "license", k=k).neighbours == five[:k]


def test_no_labelled_neighbour_is_a_null_prediction(graph, load_rows, cli):
    load_rows([model("org/P"), model("org/M", base=["org/P"]), model("org/alone", license="mit")])
    result = cli("impute", "org/M", "--attribute", "license", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["prediction"], doc["confidence"], doc["neighbours"]) == (None, None, [])
    table = cli("impute", "org/M", "--attribute", "license").stdout
    assert "no model with a declared license is reachable" in table


def test_unknown_model_is_one_line_exit_1(graph, cli):
    result = cli("impute", "nobody/nothing", "--attribute", "license")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: model 'nobody/nothing' is not in the graph"
    with pytest.raises(ModelNotFound):
        lib.impute(graph, "nobody/nothing", "license")


def test_hidden_values_are_ignored(graph, load_rows):
    """What the evaluation relies on: a value passed as hidden is not a candidate."""
    load_rows([model("org/P", license="mit"), model("org/M", base=["org/P"]),
               model("org/S", base=["org/P"], license="apache-2.0")])
    attr = lib.resolve_attribute(graph, "license")
    assert lib.nearest(graph, "org/M", "license", 1, hidden=["org/P"]).found == [lib.Neighbour("org/S", 2, "apache-2.0")]
    tallies, _, total = lib.siblings(graph, "org/M", attr.prop, hidden=["org/S"])
    assert (tallies, total) == ([], 0)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_json_keys_and_csv(graph, load_rows, cli):
    load_rows([model("org/P", license="mit", pipeline_tag="text-generation", library_name="peft"),
               model("org/M", base=["org/P"], pipeline_tag="text-generation")])
    result = cli("impute", "org/M", "--attribute", "pipeline_tag", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"id", "attribute", "prediction", "confidence", "neighbours"} <= set(doc)
    assert (doc["id"], doc["attribute"], doc["property"], doc["prediction"], doc["confidence"]) == \
        ("org/M", "pipeline_tag", "pipelineTag", "text-generation", 1.0)
    assert doc["neighbours"] == [{"id": "org/P", "distance": 1, "value": "text-generation"}]
    assert doc["declared"] == "text-generation"
    rows = list(csv.DictReader(io.StringIO(cli("impute", "org/M", "--attribute", "library_name",
                                               "--method", "hub", "--format", "csv").stdout)))
    assert rows[0]["prediction"] == "" and rows[0]["method"] == "hub"  # no sibling: no prediction
    rows = list(csv.DictReader(io.StringIO(cli("impute", "org/M", "--attribute", "library_name",
                                               "--format", "csv").stdout)))
    assert [(r["neighbour"], r["distance"], r["value"], r["prediction"]) for r in rows] == \
        [("org/P", "1", "peft", "peft")]


def test_evaluate_is_a_subcommand_only_in_first_place(graph, cli):
    result = cli("impute", "--attribute", "license", "evaluate")  # a model named 'evaluate'
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: model 'evaluate' is not in the graph"
    result = cli("impute", "evaluate", "--attribute", "license")
    assert result.exit_code == 1 and "nothing to evaluate" in result.stderr  # an empty graph


def test_cli_usage_errors(graph, cli):
    for args, text in [(["impute", "--all", "--attribute", "license"], "pass --write"),
                       (["impute", "org/M", "--all", "--write", "--attribute", "license"], "either MODEL or --all"),
                       (["impute", "org/M"], "--attribute is required"),
                       (["impute", "org/M", "--attribute", "license", "--write"], "--write goes with --all"),
                       (["impute", "evaluate", "--attribute", "license", "--holdout", "1.5"], "--holdout"),
                       (["impute", "--attribute", "license"], "give a MODEL")]:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert text in result.stderr, (args, result.stderr)


# --- --all --write ---------------------------------------------------------------------------


def write_tree():
    """Two families and an isolated model; declared licenses in both families."""
    return [
        model("a/root", license="llama2", pipeline_tag="text-generation"),
        model("a/m1", base=["a/root"]),
        model("a/m2", base=["a/root"], license="apache-2.0"),
        model("a/m3", base=["a/m1"]),
        model("a/m4", base=["a/m1"]),
        model("b/root", base=["ghost/base"]),  # a family with no declared license at all
        model("b/c1", base=["b/root"]),
        model("c/root", license="mit"),
        model("c/q1", base=["c/root"], relation="quantized"),
        model("c/q2", base=["c/root"], relation="quantized"),
        model("lonely/one"),
    ]


def test_write_stores_beside_declared_and_is_idempotent(graph, load_rows, cli):
    load_rows(write_tree())
    before = properties(graph)
    result = cli("impute", "--all", "--attribute", "license", "--write", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("lacking", "already_imputed", "isolated", "considered", "imputed", "no_prediction")} == \
        {"lacking": 8, "already_imputed": 0, "isolated": 1, "considered": 7, "imputed": 5, "no_prediction": 2}
    assert report["stored_as"] == {"value": "license_imputed", "method": "license_imputed_method",
                                   "confidence": "license_imputed_confidence"}
    after = properties(graph)
    imputed = {i for i, p in after.items() if "license_imputed" in p}
    assert imputed == {"a/m1", "a/m3", "a/m4", "c/q1", "c/q2"}
    for model_id, props in after.items():  # declared values untouched, nothing else changed
        assert {k: v for k, v in props.items() if not k.startswith("license_imputed")} == before[model_id]
    assert after["c/q1"]["license_imputed"] == "mit"
    assert after["c/q1"]["license_imputed_method"] == "knn"
    assert after["c/q1"]["license_imputed_confidence"] == 1.0
    for model_id in imputed:  # what is stored is what `impute MODEL` says
        one = lib.impute(graph, model_id, "license")
        assert (after[model_id]["license_imputed"], after[model_id]["license_imputed_confidence"]) == \
            (one.prediction, one.confidence)
        assert one.imputed == one.prediction and one.declared is None
    # a re-run writes nothing and changes nothing
    again = json.loads(cli("impute", "--all", "--attribute", "license", "--write", "--format", "json").stdout)
    assert (again["already_imputed"], again["considered"], again["imputed"], again["no_prediction"]) == (5, 2, 0, 2)
    assert properties(graph) == after


def test_imputed_values_never_vote(graph, load_rows):
    load_rows([model("r/root", license="mit"), model("r/a", base=["r/root"]), model("r/b", base=["r/a"]),
               model("r/c", base=["r/b"], license="apache-2.0")])
    lib.impute_all(graph, "license")
    assert "license_imputed" in properties(graph)["r/a"]
    result = lib.impute(graph, "r/b", "license")
    assert ids_distances(result) == [("r/c", 1), ("r/root", 2)]  # r/a (imputed only) is skipped


def test_write_resumes_after_an_interruption(graph, load_rows):
    load_rows(write_tree())
    write = graph.write
    calls = []

    def interrupted(name, **kw):
        if calls:
            raise KeyboardInterrupt
        calls.append(name)
        return write(name, **kw)

    graph.write = interrupted
    with pytest.raises(KeyboardInterrupt):
        lib.impute_all(graph, "license", batch_size=2)
    graph.write = write
    first = {i for i, p in properties(graph).items() if "license_imputed" in p}
    assert first == {"a/m1", "a/m3"}  # the first batch by id
    report = lib.impute_all(graph, "license", batch_size=2)
    assert (report["already_imputed"], report["imputed"]) == (2, 3)
    assert {i for i, p in properties(graph).items() if "license_imputed" in p} == \
        {"a/m1", "a/m3", "a/m4", "c/q1", "c/q2"}


def test_write_hub_method_and_numeric_property(graph, load_rows):
    load_rows([model("p/base", **params(8)), model("p/a", base=["p/base"], **params(10)),
               model("p/b", base=["p/base"], **params(20)), model("p/c", base=["p/base"])])
    report = lib.impute_all(graph, "parameters", method="hub")
    assert (report["imputed"], report["k"]) == (1, None)
    stored = properties(graph)["p/c"]
    assert stored["parameters_imputed"] == pytest.approx(15.0)
    assert stored["parameters_imputed_method"] == "hub"
    assert stored["parameters_imputed_confidence"] == 0.0  # neither 10 nor 20 is within 10% of 15
    assert stored.get("parameters") is None


def family_rows(labelled: dict[str, str]):
    """f/root, ten children f/m00..f/m09, and twenty grandchildren below them; ``labelled``
    gives some of them a license."""
    rows = [model("f/root")] + [model(f"f/m{i:02d}", base=["f/root" if i < 10 else f"f/m{i - 10:02d}"])
                                for i in range(30)]
    for row in rows:
        if row["id"] in labelled:
            row["tags"] = [f"license:{labelled[row['id']]}"]
    return rows


def test_families_with_fewer_labelled_than_k_give_the_same_answers(graph, load_rows):
    """--all remembers small labelled counts per family; the answers equal one-by-one imputes."""
    rows = family_rows({"f/m04": "mit", "f/m24": "apache-2.0"})
    load_rows(rows)
    expected = {m["id"]: lib.impute(graph, m["id"], "license") for m in rows if not m["tags"]}
    report = lib.impute_all(graph, "license", k=5)
    assert report["imputed"] == len(expected) == 29
    stored = properties(graph)
    for model_id, one in expected.items():
        assert len(one.neighbours) == 2
        assert (stored[model_id]["license_imputed"], stored[model_id]["license_imputed_confidence"]) == \
            (one.prediction, one.confidence)


def test_a_family_without_labels_is_walked_once_not_once_per_model(graph, load_rows):
    load_rows(family_rows({}) + [model("x/labelled", license="mit")])
    calls = level_reads(graph)
    report = lib.impute_all(graph, "license", k=5)
    assert (report["considered"], report["imputed"], report["no_prediction"]) == (31, 0, 31)
    levels = [c for c in calls if c[0] == "impute_knn_level"]
    assert 0 < len(levels) <= 5  # one breadth-first walk of the family (depth 2 each way), no more


# --- bounded search ------------------------------------------------------------------------


def test_thirty_thousand_siblings_stop_at_the_sibling_level(graph, make_parquet):
    n = 30_000
    rows = [model("big/base", license="llama3.1")]
    rows += [model(f"big/s{i:05d}", base=["big/base"], license="apache-2.0" if i % 3 else None) for i in range(n)]
    rows += [model("big/s00000-child", base=["big/s00000"], relation="quantized")]
    load(graph, make_parquet(rows), progress=False)
    calls = level_reads(graph)
    result = lib.impute(graph, "big/s00000", "license", k=5)
    levels = [c for c in calls if c[0] == "impute_knn_level"]
    assert len(levels) == 2  # distance 1 (base, child), distance 2 (siblings): stop
    assert len(levels[-1][2][0]["labelled"]) == 4 and levels[-1][2][0]["next"] == []  # not 30,000 ids
    assert ids_distances(result) == [("big/base", 1), ("big/s00001", 2), ("big/s00002", 2),
                                     ("big/s00004", 2), ("big/s00005", 2)]
    assert (result.prediction, result.confidence) == ("apache-2.0", 0.8)
    hub = lib.impute(graph, "big/s00000", "license", method="hub")
    assert hub.neighbours_total == 20_000 and len(hub.neighbours) == lib.HUB_LISTED
    assert (hub.prediction, hub.confidence) == ("apache-2.0", 1.0)


def _oracle(edges: list[tuple[str, str]], labels: dict[str, str], model_id: str, k: int) -> list[tuple[str, int]]:
    """The k nearest labelled models by (distance, id), by a plain BFS in Python."""
    adjacent = defaultdict(set)
    for child, base in edges:
        adjacent[child].add(base)
        adjacent[base].add(child)
    distance, frontier = {model_id: 0}, [model_id]
    while frontier:
        nxt = []
        for node in frontier:
            for n in adjacent[node]:
                if n not in distance:
                    distance[n] = distance[node] + 1
                    nxt.append(n)
        frontier = nxt
    found = sorted((d, i) for i, d in distance.items() if i != model_id and i in labels)
    return [(i, d) for d, i in found[:k]]


def test_hubs_walked_through_the_id_index_give_the_bfs_answer(graph, make_parquet):
    """Two hubs (300 and 150 children) among 900 models: the level query walks the id index for
    a hub instead of expanding it. Whether the walk finds its K (mostly labelled hub), gives up
    and expands the hub (the sparsely labelled one: 2 labelled children, largest ids), or is
    turned off (a model count so large no model is a hub), the answer is the plain BFS's."""
    rng = random.Random(7)
    name = lambda prefix: f"{prefix}{rng.randrange(16**6):06x}/m{rng.randrange(10**6)}"
    rows, edges, labels = [], [], {}

    def add(model_id, bases=(), label=None):
        rows.append(model(model_id, base=list(bases) or None, license=label))
        edges.extend((model_id, b) for b in bases)
        if label:
            labels[model_id] = label

    add("hub/dense", label="llama3.1")
    add("hub/sparse")
    dense = [name("") for _ in range(300)]
    for i in dense:
        add(i, ["hub/dense"], rng.choice(["mit", "apache-2.0", None]))
    sparse = sorted(name("") for _ in range(148)) + ["zzz/late-1", "zzz/late-2"]
    for i in sparse:
        add(i, ["hub/sparse"], "mit" if i.startswith("zzz/") else None)
    for parent in rng.sample(dense + sparse, 150):  # grandchildren, some labelled
        add(name("g"), [parent], rng.choice(["mit", "gemma", None, None]))
    add("bridge/merge", ["hub/dense", "hub/sparse"], None)
    for _ in range(900 - len(rows)):  # unrelated models make the id index longer than the hubs
        add(name("u"), (), rng.choice(["mit", None]))
    load(graph, make_parquet(rows), progress=False)
    models = graph.read("load/model_count")[0]["models"]
    assert lib.walk_limits(5, models)["hub_degree"] <= 150  # both hubs are walked by default

    probes = ["hub/dense", "hub/sparse", "bridge/merge", *sparse[:3], *dense[:5], rows[-1]["id"]]
    for probe in probes:
        expected = _oracle(edges, labels, probe, 5)
        for count in (models, 1, 10**12):  # default; everything a hub, tiny walks; no hub at all
            got = lib.nearest(graph, probe, "license", 5, models=count).found
            assert [(n.id, n.distance) for n in got] == expected, (probe, count)


# --- evaluation ----------------------------------------------------------------------------


def test_evaluate_family_majority_known_answer(graph, load_rows):
    """One family all 'mit', ten isolated 'apache-2.0' models: the baseline and knn are right
    exactly on the hidden family members (as long as one member stays visible)."""
    rows = [model("fam/root", license="mit")] + [model(f"fam/m{i}", base=["fam/root"], license="mit") for i in range(9)]
    rows += [model(f"iso/m{i}", license="apache-2.0") for i in range(10)]
    load_rows(rows)
    report = ev.evaluate(graph, "license", holdout=0.5, seed=7)
    hidden = ev.holdout_ids([r["id"] for r in rows], 0.5, 7)
    in_family = sum(h.startswith("fam/") for h in hidden)
    assert report["hidden"] == len(hidden) == 10
    assert 0 < in_family < 10  # the seed keeps the test meaningful: some family members stay visible
    for name in ("family_majority", "knn_1", "knn_3", "knn_5"):
        assert report["scores"][name] == pytest.approx(in_family / 10), name
        assert report["coverage"][name] == pytest.approx(in_family / 10), name
    hub_members = sum(h.startswith("fam/m") for h in hidden)  # the root has no siblings
    assert hub_members < 9
    assert report["scores"]["hub"] == pytest.approx(hub_members / 10)


def test_evaluate_on_the_real_family_trees(graph, cli):
    assert cli("load", str(FAMILIES)).exit_code == 0
    before = properties(graph)
    first = cli("impute", "evaluate", "--attribute", "license", "--holdout", "0.2", "--seed", "3", "--format", "json")
    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert {"attribute", "metric", "holdout", "seed", "declared", "hidden", "scores", "coverage"} <= set(doc)
    assert (doc["attribute"], doc["metric"], doc["holdout"], doc["seed"]) == ("license", "accuracy", 0.2, 3)
    assert doc["declared"] > 100 and doc["hidden"] == round(0.2 * doc["declared"])
    assert set(doc["scores"]) == {"family_majority", "hub", "knn_1", "knn_3", "knn_5"}
    for name, score in doc["scores"].items():
        assert 0 <= score <= 1 and 0 <= doc["coverage"][name] <= 1, name
        assert score <= doc["coverage"][name]  # a missing prediction is never right
    again = cli("impute", "evaluate", "--attribute", "license", "--holdout", "0.2", "--seed", "3", "--format", "json")
    assert json.loads(again.stdout) == doc
    other = json.loads(cli("impute", "evaluate", "--attribute", "license", "--seed", "4", "--format", "json").stdout)
    assert other["hidden"] == doc["hidden"]
    assert properties(graph) == before  # evaluation writes nothing
    table = cli("impute", "evaluate", "--attribute", "pipeline_tag", "--seed", "3")
    assert table.exit_code == 0, table.stderr
    header, rule, row = table.stdout.splitlines()[:3]
    assert header.split() == ["Attribute", "Family", "majority", "Hub", "1-NN", "3-NN", "5-NN"]
    assert row.startswith("pipeline_tag") and ("(+" in row or "(-" in row)
    numeric = json.loads(cli("impute", "evaluate", "--attribute", "parameters", "--format", "json").stdout)
    assert numeric["metric"] == "mae" and all(v is None or v >= 0 for v in numeric["scores"].values())


# --- Table 1: the paper's populations --------------------------------------------------------


def seed_hiding(ids: list[str], wanted: set[str]) -> tuple[float, int]:
    """(holdout, seed) whose draw hides exactly ``wanted`` among ``ids``: the known answers
    below are worked out for that holdout, and the draw stays the library's own."""
    holdout = len(wanted) / len(ids)
    for seed in range(100_000):
        if set(ev.holdout_ids(ids, holdout, seed)) == wanted:
            return holdout, seed
    raise AssertionError("no seed hides exactly these ids")


def hub_rows():
    """Family p: a hub vote tied 1-1 (mit, apache-2.0 at distance 2: the smaller value wins);
    family q: a hub with one labelled sibling (and one unlabelled); r/alone: an isolated model;
    t/root: a root (no base, so no siblings) with a labelled child."""
    return [
        model("p/base", license="llama2"),
        model("p/h1", base=["p/base"], license="mit"),  # hidden
        model("p/s1", base=["p/base"], license="mit"),
        model("p/s2", base=["p/base"], license="apache-2.0"),
        model("q/base"),
        model("q/h2", base=["q/base"], license="gemma"),  # hidden
        model("q/s", base=["q/base"], license="gemma"),
        model("q/u", base=["q/base"]),
        model("q/c", base=["q/h2"], license="mit"),
        model("q/c2", base=["q/h2"], license="mit"),
        model("r/alone", license="apache-2.0"),  # hidden
        model("t/root", license="mit"),  # hidden
        model("t/c1", base=["t/root"], license="mit"),
    ]


HUB_HIDDEN = {"p/h1", "q/h2", "r/alone", "t/root"}


def test_hub_population_known_answer(graph, load_rows):
    """Hand-worked: hub answers p/h1 (tie -> apache-2.0, wrong) and q/h2 (its one labelled
    sibling: gemma, right); r/alone (isolated) and t/root (no base) are outside the hub
    population. The graph-level majority is apache-2.0 in p (a 1-1-1 tie: llama2, mit,
    apache-2.0 -> the smallest) and mit in q (2 of 3), wrong on both; the global majority
    (mit, 4 of 7 visible) is right on p/h1 only."""
    rows = hub_rows()
    load_rows(rows)
    declared = sorted(r["id"] for r in rows if r["tags"])
    holdout, seed = seed_hiding(declared, HUB_HIDDEN)
    result = ev.evaluate(graph, "license", holdout=holdout, seed=seed)
    assert result["hidden"] == 4 and result["declared"] == 11
    pop = result["hub_population"]
    assert (pop["hidden"], pop["share"], pop["definition"]) == (2, 0.5, ev.HUB_POPULATION)
    assert pop["scores"] == {"graph_majority": 0.0, "hub": 0.5, "global_majority": 0.5}
    assert pop["coverage"] == {"graph_majority": 1.0, "hub": 1.0, "global_majority": 1.0}
    # the all-declared view over the same four hidden models: only t/root's family majority is right
    assert (result["scores"]["family_majority"], result["coverage"]["family_majority"]) == (0.25, 0.75)
    assert (result["scores"]["hub"], result["coverage"]["hub"]) == (0.25, 0.5)
    assert result["regression"] is None


def test_relation_type_is_the_declared_base_relation_and_is_predicted_from_siblings(graph, load_rows):
    """relationType is stored from baseModels.relation (not from a card-inferred edge, not on a
    root). x/h's siblings are two quantizations and a finetune: hub says quantized (right); the
    family's visible relations are finetune 4, quantized 2: the graph majority is wrong."""
    rows = [model("x/root"), model("x/base", base=["x/root"]), model("x/f1", base=["x/root"]),
            model("x/f2", base=["x/root"]), model("x/f3", base=["x/f2"]),
            model("x/h", base=["x/base"], relation="quantized"),
            model("x/q1", base=["x/base"], relation="quantized"), model("x/q2", base=["x/base"], relation="quantized"),
            model("x/f", base=["x/base"]),
            model("y/card", card={"base_model": "x/root"})]  # an edge inferred from the card only
    load_rows(rows)
    stored = {i: p.get("relationType") for i, p in properties(graph).items()}
    assert stored["x/h"] == "quantized" and stored["x/f"] == "finetune"
    assert stored["x/root"] is None and stored["y/card"] is None
    assert any(c == "y/card" for c, _, _ in graph_edges(graph))
    declared = sorted(i for i, v in stored.items() if v is not None)
    assert len(declared) == 8
    holdout, seed = seed_hiding(declared, {"x/h"})
    result = ev.evaluate(graph, "relation_type", holdout=holdout, seed=seed)
    assert result["property"] == "relationType"
    assert result["hub_population"]["scores"] == {"graph_majority": 0.0, "hub": 1.0, "global_majority": 0.0}
    assert lib.impute(graph, "x/h", "relation_type", method="hub").prediction == "quantized"


def test_model_type_is_the_top_level_model_type_of_config(graph, make_parquet, hub_schema):
    schema = hub_schema.append(pa.field("config", pa.string()))
    nested = '{"architectures": ["X"], "audio_config": {"model_type": "whisper"}, "model_type": "llava"}'
    load(graph, make_parquet([
        {"id": "m/plain", "config": json.dumps({"model_type": "llama", "hidden_size": 8})},
        {"id": "m/nested", "config": nested},
        {"id": "m/none", "config": json.dumps({"hidden_size": 8})},
        {"id": "m/null"},
    ], schema=schema), progress=False)
    stored = {i: p.get("modelType") for i, p in properties(graph).items()}
    assert stored == {"m/plain": "llama", "m/nested": "llava", "m/none": None, "m/null": None}


def test_knn_regression_known_answer(graph, load_rows):
    """Two families, one hidden model each. n/m (130): distance 1 holds n/base 100 and
    n/child 160 (by id), distance 2 n/sib 200; o/m (12): o/base 10 and o/child 14. So
    1-NN: 100, 10; 2-NN: 130, 12 (exact); 3-NN and 5-NN (all three): 153.33, 12 = the family mean."""
    load_rows([model("n/base", likes=100), model("n/m", base=["n/base"], likes=130),
               model("n/sib", base=["n/base"], likes=200), model("n/child", base=["n/m"], likes=160),
               model("o/base", likes=10), model("o/m", base=["o/base"], likes=12),
               model("o/child", base=["o/m"], likes=14)])
    holdout, seed = seed_hiding(sorted(["n/base", "n/m", "n/sib", "n/child", "o/base", "o/m", "o/child"]),
                                {"n/m", "o/m"})
    result = ev.evaluate(graph, "likes", holdout=holdout, seed=seed)
    reg = result["regression"]
    assert (reg["scale"], reg["hidden"], reg["share"]) == ("raw", 2, 1.0)
    third = 460 / 3 - 130  # 153.33 - 130
    assert reg["methods"]["knn_1"] == pytest.approx({"mse": (900 + 4) / 2, "mae": 16.0, "correlation": 1.0})
    assert reg["methods"]["knn_2"] == pytest.approx({"mse": 0.0, "mae": 0.0, "correlation": 1.0})
    for name in ("knn_3", "knn_5", "family_mean"):
        assert reg["methods"][name] == pytest.approx({"mse": third ** 2 / 2, "mae": third / 2, "correlation": 1.0}), name
    assert result["scores"]["knn_1"] == pytest.approx(16.0) and result["hub_population"] is None
    logged = ev.evaluate(graph, "likes", holdout=holdout, seed=seed, scale="log10")["regression"]
    errors = [math.log10(101) - math.log10(131), math.log10(11) - math.log10(13)]
    assert logged["methods"]["knn_1"]["mse"] == pytest.approx(sum(e * e for e in errors) / 2)
    typed = Evaluation.from_dict(result)
    assert list(typed.regression_frame["method"]) == list(ev.REGRESSION_METHODS)
    assert typed.regression_frame["mae"].tolist()[1:3] == pytest.approx([16.0, 0.0])  # 1-NN, 2-NN


def test_table1_cli_layout_and_json(graph, load_rows, cli):
    load_rows(hub_rows())
    result = cli("impute", "evaluate", "--table1", "--holdout", "0.4", "--seed", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"holdout", "seed", "table1b", "table1a", "absent", "evaluations"} <= set(doc)
    assert [r["attribute"] for r in doc["table1b"]] == list(ev.TABLE1B)
    assert {r["attribute"]: (r["paper_graph_majority"], r["paper_hub"]) for r in doc["table1b"]} == ev.PAPER_1B
    # only licenses and relations (every child's: finetune) are declared here
    assert doc["absent"] == ["pipeline_tag", "library_name", "model_type", "parameters", "downloads"]
    lic = doc["evaluations"]["license"]
    assert {"scores", "coverage", "hub_population", "regression"} <= set(lic)
    assert lic["scores"]["knn_5"] is None and lic["coverage"]["knn_5"] is None  # --table1 runs no knn for 1b
    assert doc["table1b"][0]["hub"] == lic["hub_population"]["scores"]["hub"]
    assert [(r["method"], r["paper_mse"]) for r in doc["table1a"][:5]] == \
        [(m, ev.PAPER_1A[m][0]) for m in ev.REGRESSION_METHODS]
    again = json.loads(cli("impute", "evaluate", "--table1", "--holdout", "0.4", "--seed", "1", "--format", "json").stdout)
    assert again == doc
    text = cli("impute", "evaluate", "--table1", "--holdout", "0.4", "--seed", "1").stdout
    assert text.startswith("Table 1b: hub vote vs graph-level majority")
    header = text.splitlines()[1]
    for column in ("Graph avg.", "Hub avg.", "Paper graph", "Paper hub", "Hub population"):
        assert column in header
    assert "0.49" in text and "0.85 (+0.36)" in text  # the paper's license row beside ours
    assert "no model declares it" in text and "Table 1a" in text and "100.217" in text
    for args in (["--table1", "--attribute", "license"], ["--table1", "--scale", "log10"]):
        bad = cli("impute", "evaluate", *args)
        assert bad.exit_code == 2 and "--table1" in bad.stderr
