"""Charting (SPEC "Suspected lineage"): known answers on hand-built families, the cases where no
suggestion may appear, hostile input in bounded time, and the graph side on the real server."""

from __future__ import annotations

import datetime as dt
import json
import time

import pyarrow as pa
import pytest

from hflineage.chart.chart import chart_models
from hflineage.chart.evaluate import evaluate_component, evaluate_hidden, components
from hflineage.chart.models import name_key, read_models

DAY0 = dt.datetime(2024, 1, 1)
FAMILIES = 6
CHILDREN = 5


def day(n: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=n)


def params(k: int) -> dict:
    return {"parameters": None, "total": 7_000_000_000 + 1_000_003 * k}


def family_rows() -> list[dict]:
    """Six families: a base 'org{k}/Base{k}-7B' and five declared finetunes named after it, each
    with the base's parameter total, created after it."""
    rows = []
    for k in range(FAMILIES):
        rows.append({"id": f"org{k}/Base{k}-7B", "createdAt": day(k), "safetensors": params(k),
                     "pipeline_tag": "text-generation", "library_name": "transformers", "downloads": 1000})
        for j in range(CHILDREN):
            rows.append({"id": f"user{j}/Base{k}-7B-tuned-v{j}", "createdAt": day(20 + k + j), "safetensors": params(k),
                         "pipeline_tag": "text-generation", "library_name": "transformers", "downloads": 10,
                         "base": [f"org{k}/Base{k}-7B"], "relation": "finetune"})
    return rows


def table(rows: list[dict], hub_schema: pa.Schema) -> pa.Table:
    from conftest import _row

    return pa.Table.from_pylist([_row(r) for r in rows], schema=hub_schema)


def suggestions_of(charted, model_id: str) -> list[tuple[str, str]]:
    s = charted.suggestions
    return [(b, r) for b, r in zip(s[s["id"] == model_id]["base"], s[s["id"] == model_id]["relation"])]


@pytest.fixture
def world(hub_schema):
    """The families plus the undeclared models each test asks about."""
    rows = family_rows()
    rows += [
        # obvious: the base's name inside, its parameter total, created later
        {"id": "newuser/Base2-7B-chat-extra", "createdAt": day(60), "safetensors": params(2),
         "pipeline_tag": "text-generation", "library_name": "transformers"},
        # a quantization named after its base, with a gguf tag
        {"id": "quanter/Base3-7B-GGUF", "createdAt": day(61), "tags": ["gguf"], "safetensors": params(3),
         "pipeline_tag": "text-generation"},
        # a lone model with a unique name and nothing else in common with anyone
        {"id": "solo/Zyxwvut", "createdAt": day(62)},
        # named after Base4 and its size, but created before it: Base4 may not be its base
        {"id": "early/Base4-7B-precursor", "createdAt": day(4) - dt.timedelta(hours=1), "safetensors": params(4)},
        # the only model its name points to is a quantization: quantized models are leaves
        {"id": "tq/Special-9B-GPTQ", "createdAt": day(30), "safetensors": {"parameters": None, "total": 9_000_000_001}},
        {"id": "y/Special-9B-GPTQ-tuned", "createdAt": day(70), "safetensors": {"parameters": None, "total": 9_000_000_001}},
    ]
    return read_models(table(rows, hub_schema))


def test_the_obvious_base_is_the_top_suggestion(world):
    charted = chart_models(world)
    best = charted.best().set_index("id")
    assert best.loc["newuser/Base2-7B-chat-extra", "base"] == "org2/Base2-7B"
    assert best.loc["newuser/Base2-7B-chat-extra", "relation"] == "finetune"
    assert best.loc["quanter/Base3-7B-GGUF", "base"] == "org3/Base3-7B"
    assert best.loc["quanter/Base3-7B-GGUF", "relation"] == "quantized"
    evidence = best.loc["newuser/Base2-7B-chat-extra", "evidence"]
    assert "name contains the candidate's name 'Base2-7B'" in evidence
    assert f"same parameter total ({params(2)['total']:,})" in evidence
    score = best.loc["newuser/Base2-7B-chat-extra", "score"]
    assert 0.0 <= score <= 1.0
    # the declared children are not charted; every suggestion is for an undeclared model
    assert not set(charted.suggestions["id"]) & {r["id"] for r in family_rows() if "base" in r}


def test_no_suggestion_where_none_may_appear(world):
    charted = chart_models(world)
    s = charted.suggestions
    assert suggestions_of(charted, "solo/Zyxwvut") == []
    # never a candidate created after the child
    assert "org4/Base4-7B" not in set(s[s["id"] == "early/Base4-7B-precursor"]["base"])
    # never a quantized-looking candidate, never the model itself
    assert "tq/Special-9B-GPTQ" not in set(s["base"])
    assert "quanter/Base3-7B-GGUF" not in set(s["base"])
    assert not (s["id"] == s["base"]).any()


def test_fewer_signals_fewer_suggestions(hub_schema):
    """Ids only (as in seed 003's weekly lists): the name still ties a model to its base, and the
    score is lower than with parameter totals and dates."""
    rows = [{k: v for k, v in r.items() if k in ("id", "base", "relation")} for r in family_rows()]
    rows.append({"id": "newuser/Base2-7B-chat-extra"})
    rich = chart_models(read_models(table(family_rows() + [
        {"id": "newuser/Base2-7B-chat-extra", "createdAt": day(60), "safetensors": params(2),
         "pipeline_tag": "text-generation", "library_name": "transformers"}], hub_schema))).best().set_index("id")
    poor = chart_models(read_models(table(rows, hub_schema))).best().set_index("id")
    assert poor.loc["newuser/Base2-7B-chat-extra", "base"] == "org2/Base2-7B"
    assert not any("parameter" in e for e in poor.loc["newuser/Base2-7B-chat-extra", "evidence"])


def test_evaluations_on_hand_built_families(world):
    hidden = evaluate_hidden(world, hide=0.2, seed=0)
    assert hidden["hidden"] == round(0.2 * FAMILIES * CHILDREN)
    overall = hidden["groups"]["overall"]
    assert overall["hidden"] == hidden["hidden"] and overall["reachable"] == 1.0
    # each hidden finetune carries its base's name and size: every top suggestion is right
    assert overall["at"]["0"]["precision"] == 1.0 and overall["at"]["0"]["recall"] == 1.0
    family = next(c for c in components(world) if "org1/Base1-7B" in c)
    assert len(family) == CHILDREN + 1
    comp = evaluate_component(world, family, seed=0)
    assert comp["models"] == CHILDREN + 1 and comp["stem"] == 1
    [stem] = comp["stem_ids"]
    # the stem (10% of 6, rounded up: one model) keeps its base; every other child is judged
    assert comp["evaluated"] == (CHILDREN - 1 if stem != "org1/Base1-7B" else CHILDREN)
    assert comp["accuracy"]["ours"] == 100.0
    # random: the one right parent among the 5 other models of the family
    assert comp["accuracy"]["random"] == 20.0
    if stem != "org1/Base1-7B":
        # the stem's one edge makes the base the majority; Price's weights: base 1 + 1, the
        # 4 other children 1 each (the judged model itself is not a choice): 2 / 6
        assert comp["accuracy"]["majority"] == 100.0
        assert comp["accuracy"]["prices"] == round(100 * 2 / 6, 2)
    else:
        assert comp["accuracy"]["majority"] == 0.0 and comp["majority_model"] is None


# --- hostile input: bounded time, no traceback ------------------------------------------------


def test_one_character_ids_and_a_prefix_of_thousands(hub_schema):
    rows = family_rows() + [{"id": "a", "createdAt": day(1)}, {"id": "p/a", "createdAt": day(1)}]
    # 10,000 models whose names start with the token 'a', declared children of 'p/a', and 300 undeclared
    rows += [{"id": f"u{i}/a-{i}", "createdAt": day(30), "base": ["p/a"], "relation": "finetune"} for i in range(10_000)]
    rows += [{"id": f"w{i}/a-x{i}", "createdAt": day(40)} for i in range(300)]
    start = time.monotonic()
    charted = chart_models(read_models(table(rows, hub_schema)))
    assert time.monotonic() - start < 120
    s = charted.suggestions
    assert (s.groupby("id").size() <= 5).all()  # at most --top suggestions per model
    assert "a" not in set(s["id"]) or set(s[s["id"] == "a"]["base"]) <= {"p/a"}


def test_many_siblings_and_a_merge_of_hundreds(hub_schema):
    rows = family_rows() + [{"id": "hub/Big-1B", "createdAt": day(0), "pipeline_tag": "text-generation"}]
    rows += [{"id": f"s{i}/Big-1B-ft{i}", "createdAt": day(10), "pipeline_tag": "text-generation",
              "base": ["hub/Big-1B"], "relation": "finetune"} for i in range(20_000)]
    rows += [{"id": "m/Merge-of-300", "createdAt": day(50), "tags": ["merge"],
              "base": [f"s{i}/Big-1B-ft{i}" for i in range(300)], "relation": "merge"}]
    rows += [{"id": f"n{i}/Big-1B-new{i}", "createdAt": day(60), "pipeline_tag": "text-generation"} for i in range(200)]
    start = time.monotonic()
    charted = chart_models(read_models(table(rows, hub_schema)))
    assert time.monotonic() - start < 180
    best = charted.best().set_index("id")
    assert best.loc["n7/Big-1B-new7", "base"] == "hub/Big-1B"


def test_bad_files_are_one_line_errors(cli, tmp_path, make_parquet):
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("not parquet")
    r = cli("chart", "evaluate", str(not_parquet))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "not a readable parquet file" in r.stderr
    r = cli("chart", "evaluate", str(tmp_path / "absent.parquet"))
    assert r.exit_code == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    # rows without any declared base: nothing to learn from, said in one line
    path = make_parquet([{"id": f"o{i}/M{i}"} for i in range(20)])
    r = cli("chart", "evaluate", path, "--hide", "0.2")
    assert r.exit_code == 2 and r.stderr.startswith("error: too few declared bases to learn from")
    r = cli("chart", "evaluate", make_parquet(family_rows()), "--component", "no/such-model")
    assert r.exit_code == 2 and r.stderr.strip() == "error: --component no/such-model: no such model in the file(s)"


# --- the graph: chart, --list, show --------------------------------------------------------


def graph_world_rows() -> list[dict]:
    return family_rows() + [
        {"id": "newuser/Base2-7B-chat-extra", "createdAt": day(60), "safetensors": params(2),
         "pipeline_tag": "text-generation", "library_name": "transformers"},
        {"id": "quanter/Base3-7B-GGUF", "createdAt": day(61), "safetensors": params(3), "pipeline_tag": "text-generation"},
        {"id": "solo/Zyxwvut", "createdAt": day(62)},
        # declares a base that is not in the file: the placeholder is never a suspected base
        {"id": "z/Ghost-7B-tuned", "createdAt": day(63), "base": ["ghost/Ghost-7B"], "relation": "finetune"},
        {"id": "z2/Ghost-7B-other", "createdAt": day(64)},
    ]


def suspected_edges(graph) -> list[dict]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (c:Model)-[s:SUSPECTED_BASE]->(b:Model) RETURN c.id AS c, b.id AS b, s.score AS score, "
        "s.relation AS relation, s.evidence AS evidence, s.method AS method, s.rank AS rank ORDER BY c, rank",
        database_=graph.database)
    return [r.data() for r in records]


def test_chart_writes_suspected_bases_and_show_lists_them(graph, cli, make_parquet):
    path = make_parquet(graph_world_rows())
    assert cli("load", path).exit_code == 0
    before = json.loads(cli("show", "user1/Base2-7B-tuned-v1", "--format", "json").stdout)
    r = cli("chart", "--format", "json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["models"] == len(graph_world_rows()) and report["removed"] == 0
    # charted: the models with no base edge (6 family bases + 4 undeclared)
    assert report["charted"] == FAMILIES + 4
    edges = suspected_edges(graph)
    assert report["edges"] == len(edges) > 0
    assert {e["method"] for e in edges} == {"metadata-v1"}
    assert all(0 <= e["score"] <= 1 and e["evidence"] for e in edges)
    assert "ghost/Ghost-7B" not in {e["b"] for e in edges}
    assert "solo/Zyxwvut" not in {e["c"] for e in edges}

    shown = json.loads(cli("show", "newuser/Base2-7B-chat-extra", "--format", "json").stdout)
    assert shown["parents"] == []  # declared answers unchanged
    top = shown["suspected_bases"][0]
    assert top["id"] == "org2/Base2-7B" and top["relation"] == "finetune"
    assert "name contains the candidate's name 'Base2-7B'" in top["evidence"]
    scores = [s["score"] for s in shown["suspected_bases"]]
    assert scores == sorted(scores, reverse=True)
    assert json.loads(cli("show", "solo/Zyxwvut", "--format", "json").stdout)["suspected_bases"] == []
    after = json.loads(cli("show", "user1/Base2-7B-tuned-v1", "--format", "json").stdout)
    assert after == before

    listed = json.loads(cli("chart", "--list", "--format", "json").stdout)
    assert [row["id"] for row in listed] == sorted({e["c"] for e in edges},
                                                   key=lambda c: (-max(e["score"] for e in edges if e["c"] == c), c))
    assert set(listed[0]) == {"id", "base", "score", "relation", "evidence"}
    best = {row["id"]: row for row in listed}
    assert best["newuser/Base2-7B-chat-extra"]["base"] == "org2/Base2-7B"
    cut = best["newuser/Base2-7B-chat-extra"]["score"]
    above = json.loads(cli("chart", "--list", "--min-score", str(cut), "--format", "json").stdout)
    assert "newuser/Base2-7B-chat-extra" in {row["id"] for row in above}
    assert all(row["score"] >= cut for row in above)
    csv_out = cli("chart", "--list", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "id,base,score,relation,evidence" and len(csv_out) == len(listed) + 1

    # a re-run replaces the previous run's edges (same answer, not twice as many)
    again = json.loads(cli("chart", "--format", "json").stdout)
    assert again["removed"] == len(edges) and suspected_edges(graph) == edges


def test_chart_on_a_graph_without_declared_bases_says_so(graph, cli, make_parquet):
    assert cli("load", make_parquet([{"id": f"o{i}/M{i}"} for i in range(5)])).exit_code == 0
    r = cli("chart")
    assert r.exit_code == 2 and r.stderr.startswith("error: too few declared bases to learn from")
    assert suspected_edges(graph) == []


def test_evaluation_does_not_depend_on_string_hashing():
    # Python salts str hashes per process: any tie broken by a set's iteration order would make
    # two runs of the same evaluation disagree (it did: candidate order, summed token weights)
    import os
    import subprocess
    import sys

    from conftest import SAMPLE

    outputs = []
    for salt in ("1", "2"):
        run = subprocess.run([sys.executable, "-m", "hflineage.cli", "chart", "evaluate", str(SAMPLE), "--hide", "0.2",
                              "--seed", "0", "--format", "json"], env=dict(os.environ, PYTHONHASHSEED=salt),
                             capture_output=True, text=True, check=True)
        outputs.append(json.loads(run.stdout))
    assert outputs[0]["hidden"] == 530
    assert outputs[0] == outputs[1]


def test_pair_features_agree_with_their_definitions_on_strings():
    # candidates and the compiled kernel compare names as token ids and prefix hashes; every
    # name-based feature of every real-sample pair must equal its definition on the strings
    import math

    import numpy as np
    import pyarrow.parquet as pq
    from conftest import SAMPLE

    from hflineage.chart.candidates import FEATURES, Index
    from hflineage.chart.chart import known_edges

    models = read_models(pq.read_table(SAMPLE))
    index = Index(models, known_edges(models), require_signal=False)
    pairs = index.pairs(np.arange(len(models)))
    assert len(pairs) > 50_000
    col = {name: pairs.x[:, i] for i, name in enumerate(FEATURES)}
    for name in ("name_contained", "child_in_candidate", "author_in_name", "same_author"):
        assert col[name].sum() > 10, name  # each definition is tested where it holds, not only where it does not
    keys = name_key(pa.array(models.frame["name"].tolist(), pa.string())).to_pylist()
    authors = [a if isinstance(a, str) else "" for a in models.frame["author"].tolist()]
    toks = [k.split("-") if k else [] for k in keys]
    idf = dict(zip(index.vocab, index.idf_w))
    for k, (c, r) in enumerate(zip(pairs.child.tolist(), pairs.cand.tolist())):
        contained = bool(keys[r]) and f"-{keys[r]}-" in f"-{keys[c]}-"
        assert col["name_contained"][k] == contained, (keys[c], keys[r])
        sc, sr = set(toks[c]), set(toks[r])
        shared = math.fsum(idf[t] for t in sc & sr)
        union = math.fsum(idf[t] for t in sc) + math.fsum(idf[t] for t in sr) - shared
        assert col["token_overlap"][k] == pytest.approx(shared / union if union > 0 else 0.0, abs=1e-12)
        assert col["child_in_candidate"][k] == (bool(sc) and sc < sr)
        prefix = next((i for i, (a, b) in enumerate(zip(toks[c], toks[r])) if a != b), min(len(toks[c]), len(toks[r])))
        assert col["common_prefix"][k] == pytest.approx(prefix / max(1, len(toks[c]), len(toks[r])))
        assert col["same_author"][k] == (authors[c] == authors[r] != "")
        assert col["author_in_name"][k] == (authors[r] != "" and authors[r] != authors[c] and authors[r] in sc)
        # the hard rules: never itself, never later, never a quantized-looking candidate
        assert c != r and not index.quantized[r]
        assert not (index.created[r] > index.created[c])


def test_graph_rows_carry_each_models_bases_in_order_with_the_first_relation():
    from hflineage.chart.store import _base_models, _configs

    ids = pa.chunked_array([["a/x", "b/y"], ["c/m", "d/z"]])
    edges = pa.table({"child": pa.chunked_array([["c/m", "b/y"], ["c/m"]]),
                      "base": pa.chunked_array([["p/1", "q/2"], ["p/0"]]),
                      "relation": pa.chunked_array([["merge", "finetune"], ["merge"]])})
    assert _base_models(ids, edges).to_pylist() == [
        None,
        {"relation": "finetune", "models": [{"_id": None, "id": "q/2"}]},
        {"relation": "merge", "models": [{"_id": None, "id": "p/1"}, {"_id": None, "id": "p/0"}]},
        None,
    ]
    empty = pa.table({"child": pa.array([], pa.string()), "base": pa.array([], pa.string()),
                      "relation": pa.array([], pa.string())})
    assert _base_models(ids, empty).to_pylist() == [None] * 4
    assert _configs(pa.chunked_array([["llama", None], ['we"ird']])).to_pylist() == [
        '{"model_type": "llama"}', None, '{"model_type": "we\\"ird"}']


def test_chart_writes_in_batches_and_a_rerun_after_a_partial_write_converges(graph, cli, make_parquet, monkeypatch):
    import hflineage.chart.store as chart_store

    assert cli("load", make_parquet(graph_world_rows())).exit_code == 0
    assert cli("chart").exit_code == 0
    whole = suspected_edges(graph)
    assert len(whole) >= 2
    # as a run killed while writing leaves them: the first batch only, plus an edge no run would make
    graph.driver.execute_query("MATCH ()-[s:SUSPECTED_BASE]->() WITH s SKIP 1 DELETE s", database_=graph.database)
    graph.driver.execute_query(
        "MATCH (a:Model {id: 'solo/Zyxwvut'}), (b:Model {id: 'org2/Base2-7B'}) "
        "CREATE (a)-[:SUSPECTED_BASE {score: 0.5, relation: 'finetune', evidence: ['stale'], method: 'old', rank: 1}]->(b)",
        database_=graph.database)
    monkeypatch.setattr(chart_store, "WRITE_BATCH", 1)  # several transactions to remove and to write
    report = json.loads(cli("chart", "--format", "json").stdout)
    assert report["removed"] == 2 and report["edges"] == len(whole)
    assert suspected_edges(graph) == whole
