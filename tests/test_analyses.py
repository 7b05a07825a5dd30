"""Known-answer tests of chain, impact and stats on hand-built graphs and the real files."""

from __future__ import annotations

import json
from collections import Counter

import networkx as nx
import pyarrow.parquet as pq
import pytest

from hflineage.lineage import analyses
from hflineage.loader.load import load

from conftest import FAMILIES, SAMPLE
from graphs import merge_diamond as diamond




@pytest.fixture
def loaded(graph, make_parquet):
    load(graph, make_parquet(diamond()), progress=False)
    return graph


def test_chain_follows_the_longest_path_with_relations(loaded):
    doc = analyses.chain(loaded, "t/L1")
    assert doc["depth"] == 3
    # C's bases A and B are both at depth 1: the tie goes to the smaller id, t/A
    assert doc["path"] == [
        {"id": "t/L1", "relation": "finetune"},
        {"id": "t/C", "relation": "merge"},
        {"id": "t/A", "relation": "finetune"},
        {"id": "t/R1", "relation": None},
    ]
    assert doc["roots"] == ["t/R1", "t/R2"]


def test_chain_of_a_root_is_itself(loaded):
    assert analyses.chain(loaded, "t/R2") == {"id": "t/R2", "depth": 0, "path": [{"id": "t/R2", "relation": None}],
                                              "roots": ["t/R2"]}
    assert analyses.chain(loaded, "u/M")["roots"] == ["ghost/base"]  # a Missing placeholder is a root


@pytest.mark.parametrize("deleted, expected", [
    (["t/A"], dict(affected_derived=2, affected_downstream=4, orphaned=1, merges_losing_parent=1,
                   downstream_downloads=35, downstream_downloads_all_time=600, disrupted_chains=3, families_touched=1)),
    (["t/A", "t/B"], dict(affected_derived=2, affected_downstream=4, orphaned=4, merges_losing_parent=1,
                          downstream_downloads=35, downstream_downloads_all_time=600, disrupted_chains=7,
                          families_touched=1)),
    (["t/C", "nobody/x"], dict(affected_derived=2, affected_downstream=2, orphaned=2, merges_losing_parent=0,
                               downstream_downloads=20, downstream_downloads_all_time=500, disrupted_chains=6,
                               families_touched=1)),
    (["t/R2"], dict(affected_derived=1, affected_downstream=4, orphaned=0, merges_losing_parent=1,
                    downstream_downloads=32, downstream_downloads_all_time=600, disrupted_chains=2, families_touched=1)),
    (["t/L1", "t/C"], dict(affected_derived=1, affected_downstream=1, orphaned=1, merges_losing_parent=0,
                           downstream_downloads=0, downstream_downloads_all_time=300, disrupted_chains=6,
                           families_touched=1)),  # a member below another member
    (["t/L1"], dict(affected_derived=0, affected_downstream=0, orphaned=0, merges_losing_parent=0,
                    downstream_downloads=0, downstream_downloads_all_time=0, disrupted_chains=0, families_touched=1)),
    (["t/A", "u/S"], dict(affected_derived=3, affected_downstream=5, orphaned=2, merges_losing_parent=1,
                          downstream_downloads=35, downstream_downloads_all_time=600, disrupted_chains=4,
                          families_touched=2)),
    (["ghost/base"], dict(affected_derived=1, affected_downstream=1, orphaned=1, merges_losing_parent=0,
                          downstream_downloads=0, downstream_downloads_all_time=0, disrupted_chains=1,
                          families_touched=1)),
])
def test_impact_known_answers(loaded, deleted, expected):
    doc = analyses.impact(loaded, deleted)
    assert {k: doc[k] for k in expected} == expected
    assert doc["unknown"] == [i for i in deleted if i == "nobody/x"]


def test_impact_lists_the_models(loaded):
    doc = analyses.impact(loaded, ["t/A"], with_list=True)
    assert doc["models"] == {
        "affected_derived": ["t/C", "t/Q"],
        "affected_downstream": ["t/C", "t/L1", "t/L2", "t/Q"],
        "orphaned": ["t/Q"],
        "merges_losing_parent": ["t/C"],
    }


def test_show_reports_subtree_downloads(loaded):
    doc = analyses.show(loaded, "t/R1")
    assert doc["descendants"] == 6
    assert doc["subtree_downloads"] == 1000 + 1 + 2 + 10 + 20 + 5  # each model once, not per path
    assert doc["subtree_downloads_all_time"] == 5000 + 100 + 200 + 300


def test_stats_known_answers(loaded):
    s = analyses.stats(loaded)
    assert {r: (v["declared"], v["inferred"]) for r, v in s["relation_mix"].items()} == {
        "adapter": (1, 0), "finetune": (4, 0), "quantized": (1, 0), "merge": (4, 0)}
    assert s["models"] == 13 and s["isolated_models"] == 1
    assert s["depth_histogram"] == {0: 4, 1: 4, 2: 2, 3: 2}
    # the diamond's 7 chains, u/S-u/T and ghost/base-u/M
    assert s["chains"] == 9
    assert {k: v["chains"] for k, v in s["chain_length"].items()} == {"<=2": 2, "<=5": 9, "6-15": 0, ">15": 0}
    assert [(c["leaf"], c["length"]) for c in s["top_chains"][:2]] == [("t/L1", 4), ("t/L2", 4)]
    assert s["top_chains"][0]["shares"] == {"adapter": 0.0, "finetune": 0.6667, "quantized": 0.0, "merge": 0.3333}
    assert [(r["id"], r["in_degree"]) for r in s["top_in_degree"][:5]] == [
        ("t/A", 2), ("t/C", 2), ("t/R1", 2), ("ghost/base", 1), ("t/B", 1)]
    assert [(r["id"], r["out_degree"]) for r in s["top_out_degree"][:2]] == [("t/B", 2), ("t/C", 2)]
    big = s["top_families"][0]
    assert big == {"root": "t/R1", "size": 8, "chains": 7, "pipeline_tag": None,
                   "shares": {"adapter": 0.125, "finetune": 0.25, "quantized": 0.125, "merge": 0.5}}


def test_deep_snake_lands_in_the_longest_bucket(graph, make_parquet):
    rows = [{"id": "s/0"}] + [{"id": f"s/{i}", "base": [f"s/{i - 1}"], "relation": "finetune"} for i in range(1, 20)]
    load(graph, make_parquet(rows), progress=False)
    s = analyses.stats(graph)
    assert s["chains"] == 1 and s["chain_length"][">15"]["chains"] == 1
    assert analyses.chain(graph, "s/19")["depth"] == 19
    assert analyses.impact(graph, ["s/10"])["orphaned"] == 9


def test_cli_chain_impact_stats(loaded, cli):
    doc = json.loads(cli("chain", "t/L2", "--format", "json").stdout)
    assert set(doc) == {"id", "depth", "path", "roots"} and doc["path"][0] == {"id": "t/L2", "relation": "quantized"}
    result = cli("impact", "t/A", "nobody/x", "--format", "json")
    doc = json.loads(result.stdout)
    assert {"deleted", "affected_derived", "affected_downstream", "orphaned", "merges_losing_parent",
            "downstream_downloads", "downstream_downloads_all_time", "disrupted_chains"} <= set(doc)
    assert "unknown (ignored): nobody/x" in result.stderr
    result = cli("impact", "--file", "-", "--format", "json", input="t/A\n# a comment\nt/B\n")
    assert json.loads(result.stdout)["orphaned"] == 4
    assert cli("impact").exit_code == 2
    assert json.loads(cli("stats", "--format", "json").stdout)["chains"] == 9
    assert "largest families" in cli("stats").stdout
    assert cli("chain", "nobody/x").exit_code == 1


# --- the real files -------------------------------------------------------------------------

def test_family_trees_depths_and_sizes(graph):
    load(graph, str(FAMILIES), progress=False)
    expected = {"deepseek-ai/DeepSeek-R1": (298, {0: 1, 1: 283, 2: 15}),
                "meta-llama/Llama-2-7b-chat-hf": (464, {0: 1, 1: 437, 2: 27}),
                "mistralai/Mistral-Small-24B-Base-2501": (66, {0: 1, 1: 22, 2: 36, 3: 8})}
    s = analyses.stats(graph)
    families = {f["root"]: f["size"] for f in s["top_families"]}
    assert families == {root: n + 1 for root, (n, _) in expected.items()}
    for root, (descendants, _) in expected.items():
        assert analyses.show(graph, root)["descendants"] == descendants
    total = Counter()
    for _, by_depth in expected.values():
        total.update(by_depth)
    assert s["depth_histogram"] == dict(sorted(total.items()))


def _networkx_graph(path) -> nx.DiGraph:
    """An independent reading of the declared edges (the loader is not used)."""
    g = nx.DiGraph()
    for row in pq.read_table(path, columns=["id", "baseModels"]).to_pylist():
        g.add_node(row["id"])
        bm = row["baseModels"]
        if bm and bm["relation"] in ("finetune", "adapter", "quantized", "merge"):
            for parent in {m["id"] for m in bm["models"]}:
                if parent != row["id"]:
                    g.add_edge(row["id"], parent)  # child -> base
    return g


def test_real_sample_against_an_independent_count(graph, tmp_path):
    """Chains, orphans and components on the real 4,167-row slice (merge ladders 75 deep),
    checked against networkx over the same declared edges, without the inferred ones."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pq.read_table(SAMPLE)
    declared_only = table.set_column(table.schema.get_field_index("cardData"), "cardData",
                                     pa.nulls(table.num_rows, pa.string()))
    path = tmp_path / "declared.parquet"
    pq.write_table(declared_only, path)
    report = load(graph, str(path), progress=False)
    assert report.dropped_edges == {"self_reference": 6}
    g = _networkx_graph(SAMPLE)
    assert report.missing_placeholders == sum(1 for n in g if n not in set(pc.unique(table["id"]).to_pylist()))

    # chains: root-to-leaf paths, counted by networkx-independent recursion over g
    memo: dict = {}

    def paths_up(n):  # paths from any root down to n
        if n not in memo:
            bases = list(g.successors(n))
            memo[n] = 1 if not bases else sum(paths_up(b) for b in bases)
        return memo[n]

    lineage_nodes = [n for n in g if g.degree(n) > 0]
    leaves = [n for n in lineage_nodes if g.in_degree(n) == 0]
    s = analyses.stats(graph)
    assert s["chains"] == sum(paths_up(n) for n in leaves)
    assert s["chains"] > 10 ** 13
    assert s["families"] == sum(1 for f in nx.weakly_connected_components(g) if len(f) > 1)
    assert s["families"] + s["isolated_models"] == nx.number_weakly_connected_components(g) == 1699

    # orphans when deleting a big base: models with no path to an original root avoiding it
    deleted = "meta-llama/Llama-3.1-8B"
    roots = {n for n in g if g.out_degree(n) == 0} - {deleted}
    h = g.copy()
    h.remove_node(deleted)
    below = nx.ancestors(g, deleted)  # in child->base edges, ancestors are the descendants
    orphans = {n for n in below if not (nx.descendants(h, n) | {n}) & roots}
    doc = analyses.impact(graph, [deleted], with_list=True)
    assert set(doc["models"]["orphaned"]) == orphans
    assert doc["affected_downstream"] == len(below)
    assert doc["disrupted_chains"] == paths_up(deleted) * _paths_down(g, deleted)


def _paths_down(g, node, memo=None):
    memo = {} if memo is None else memo
    if node not in memo:
        kids = list(g.predecessors(node))
        memo[node] = 1 if not kids else sum(_paths_down(g, k, memo) for k in kids)
    return memo[node]


def test_one_model_impact_from_stored_properties_equals_the_subgraph_walk(graph):
    """impact of one model reads stored counts (impact_one); the subgraph walk (what --list and
    sets of models run) must give the same numbers for every model with a derived model in the
    real sample, and for 200 others."""
    import random

    load(graph, str(SAMPLE), progress=False)
    records, _, _ = graph.driver.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, COUNT { (m)<--() } > 0 AS based_on ORDER BY id", database_=graph.database)
    bases = [r["id"] for r in records if r["based_on"]]
    others = random.Random(0).sample([r["id"] for r in records if not r["based_on"]], 200)
    assert len(bases) > 300
    for model in bases + others:
        fast = analyses.impact(graph, [model])
        walked = analyses.impact(graph, [model], with_list=True)
        walked.pop("models")
        assert fast == walked, model
