"""Known-answer tests of the loader on small hand-built files, against the real server."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from hflineage.lineage import analyses
from hflineage.store.errors import InputError
from hflineage.loader.load import load

from conftest import graph_edges, node_count
from graphs import small_tree

D = dt.datetime




def test_depth_tree_and_descendants(graph, make_parquet):
    rows = small_tree()
    report = load(graph, make_parquet(rows), progress=False)
    assert report.models == 6
    assert report.edges == {
        "FINETUNE_OF": {"declared": 2, "inferred": 0},
        "ADAPTER_OF": {"declared": 1, "inferred": 0},
        "QUANTIZATION_OF": {"declared": 1, "inferred": 0},
        "MERGE_OF": {"declared": 2, "inferred": 0},
    }
    depths = {m: analyses.show(graph, f"org/{m}")["depth"] for m in "ABCDEF"}
    assert depths == {"A": 0, "B": 1, "C": 1, "D": 2, "E": 2, "F": 3}
    a = analyses.show(graph, "org/A")
    assert a["children"] == {"adapter": 1, "finetune": 1, "quantized": 0, "merge": 0}
    assert a["descendants"] == 5
    assert a["license"] == "apache-2.0"
    b = analyses.show(graph, "org/B")
    assert b["children"] == {"adapter": 0, "finetune": 0, "quantized": 1, "merge": 1}
    assert b["descendants"] == 3  # D, E, F
    e = analyses.show(graph, "org/E")
    assert [(p["id"], p["relation"], p["declared"]) for p in e["parents"]] == [
        ("org/B", "merge", True), ("org/C", "merge", True)]
    assert report.max_depth == 3


def test_missing_base_becomes_placeholder(graph, make_parquet):
    report = load(graph, make_parquet([{"id": "u/G", "base": ["ghost/base"], "relation": "finetune"}]), progress=False)
    assert report.missing_placeholders == 1
    assert node_count(graph, "Missing") == 1
    ghost = analyses.show(graph, "ghost/base")
    assert ghost["missing"] is True and ghost["depth"] == 0 and ghost["descendants"] == 1
    assert analyses.show(graph, "u/G")["depth"] == 1


def test_placeholder_loses_missing_label_when_its_row_arrives(graph, make_parquet):
    load(graph, make_parquet([{"id": "u/G", "base": ["ghost/base"], "relation": "finetune"}]), progress=False)
    load(graph, make_parquet([{"id": "ghost/base", "downloads": 7}]), progress=False)
    assert node_count(graph, "Missing") == 0
    assert analyses.show(graph, "ghost/base")["properties"]["downloads"] == 7
    assert graph_edges(graph) == {("u/G", "FINETUNE_OF", "ghost/base")}


def test_self_reference_is_dropped_and_counted(graph, make_parquet):
    rows = [
        {"id": "u/H", "base": ["u/H"], "relation": "finetune"},
        {"id": "u/I", "base": ["u/I", "org/A"], "relation": "merge"},
        {"id": "org/A"},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.dropped_edges == {"self_reference": 2}
    assert graph_edges(graph) == {("u/I", "MERGE_OF", "org/A")}
    assert analyses.show(graph, "u/H")["depth"] == 0


def test_two_cycle_drops_the_edge_whose_base_is_newer(graph, make_parquet):
    rows = [
        {"id": "u/X", "base": ["u/Y"], "relation": "finetune", "createdAt": D(2024, 1, 1)},
        {"id": "u/Y", "base": ["u/X"], "relation": "finetune", "createdAt": D(2023, 1, 1)},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    # edge Y->X has a base (X) one year newer than its child (Y): it goes
    assert report.dropped_edges == {"cycle": 1}
    assert graph_edges(graph) == {("u/X", "FINETUNE_OF", "u/Y")}
    assert analyses.show(graph, "u/X")["depth"] == 1


def test_three_cycle_with_null_dates_breaks_on_largest_pair(graph, make_parquet):
    rows = [
        {"id": "u/P", "base": ["u/Q"], "relation": "finetune"},
        {"id": "u/Q", "base": ["u/R"], "relation": "finetune"},
        {"id": "u/R", "base": ["u/P"], "relation": "finetune"},
        {"id": "u/S", "base": ["u/P"], "relation": "adapter"},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    # all margins count as zero; the tie goes to the largest (child, base): (u/R, u/P)
    assert report.dropped_edges == {"cycle": 1}
    assert graph_edges(graph) == {
        ("u/P", "FINETUNE_OF", "u/Q"), ("u/Q", "FINETUNE_OF", "u/R"), ("u/S", "ADAPTER_OF", "u/P")}
    assert analyses.show(graph, "u/S")["depth"] == 3


def test_undeclared_relations_are_inferred_with_rule_names(graph, make_parquet):
    rows = [
        {"id": "org/A"}, {"id": "org/B"},
        {"id": "u/lora", "card": {"base_model": "org/A"}, "tags": ["lora", "license:mit"]},
        {"id": "u/merged", "card": {"base_model": ["org/A", "org/B"]}},
        {"id": "u/q", "card": {"base_model": "org/A"}, "tags": ["gguf"]},
        {"id": "u/ft", "card": {"base_model": "org/B", "license": "apache-2.0"}},
        {"id": "u/said", "card": {"base_model": "org/B", "base_model_relation": "quantized"}},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.inferred_by_rule == {"adapter_signals": 1, "card_relation": 1, "full_weights": 1,
                                       "multiple_bases": 2, "quantized_signals": 1}
    records, _, _ = graph.driver.execute_query(
        "MATCH (c)-[e]->(b) RETURN c.id AS c, type(e) AS t, b.id AS b, e.declared AS d, e.rule AS r",
        database_=graph.database)
    got = {(r["c"], r["t"], r["b"], r["d"], r["r"]) for r in records}
    assert got == {
        ("u/lora", "ADAPTER_OF", "org/A", False, "adapter_signals"),
        ("u/merged", "MERGE_OF", "org/A", False, "multiple_bases"),
        ("u/merged", "MERGE_OF", "org/B", False, "multiple_bases"),
        ("u/q", "QUANTIZATION_OF", "org/A", False, "quantized_signals"),
        ("u/ft", "FINETUNE_OF", "org/B", False, "full_weights"),
        ("u/said", "QUANTIZATION_OF", "org/B", False, "card_relation"),
    }
    assert analyses.show(graph, "u/ft")["license"] == "apache-2.0"  # from cardData when no tag
    assert analyses.show(graph, "u/lora")["license"] == "mit"


def test_reload_is_idempotent(graph, make_parquet):
    path = make_parquet(small_tree() + [{"id": "u/G", "base": ["ghost/base"], "relation": "finetune"}])
    first = load(graph, path, progress=False)
    before = (node_count(graph), node_count(graph, "Missing"), graph_edges(graph))
    second = load(graph, path, progress=False)
    assert (node_count(graph), node_count(graph, "Missing"), graph_edges(graph)) == before
    assert before[0] == 8 and before[1] == 1 and len(before[2]) == 7
    strip = lambda r: {k: v for k, v in r.as_dict().items() if k not in ("seconds", "rows_per_second", "edges_per_second", "depth_updates")}
    assert strip(first) == strip(second)
    assert second.depth_updates == 0  # nothing derived changed


def test_fresh_load_creates_the_schema_after_the_nodes(graph, make_parquet):
    """An empty graph without any index: load creates the nodes first, then the constraint and
    indexes, and returns with all of them online; the derived properties came with the CREATE."""
    from hflineage.cypher import registry

    names = {"model_id_unique", "history_id_unique", "dataset_id_unique", "model_author", "model_family",
             "model_libraryName", "model_license", "model_pipelineTag", "model_newVersion"}
    constraints = {"model_id_unique", "history_id_unique", "dataset_id_unique"}
    assert {q.name.removeprefix("schema/").replace("_index", "") for q in registry() if q.name.startswith("schema/")} \
        == names
    for name in constraints:
        graph.driver.execute_query(f"DROP CONSTRAINT {name} IF EXISTS", database_=graph.database)
    for name in names - constraints:
        graph.driver.execute_query(f"DROP INDEX {name} IF EXISTS", database_=graph.database)
    report = load(graph, make_parquet(small_tree() + [{"id": "u/G", "base": ["ghost/base"], "relation": "finetune"}]),
                  progress=False)
    records, _, _ = graph.driver.execute_query("SHOW INDEXES YIELD name, state", database_=graph.database)
    states = {r["name"]: r["state"] for r in records if r["name"] in names}
    assert states == {name: "ONLINE" for name in names}
    assert report.depth_updates == 8  # every model and the placeholder are on an edge
    ghost = graph.driver.execute_query(
        "MATCH (m:Model:Missing {id: 'ghost/base'}) RETURN m.family AS family, m.depth AS depth",
        database_=graph.database).records
    assert [dict(r) for r in ghost] == [{"family": "ghost/base", "depth": None}]


def test_stored_descendant_counts_follow_a_newer_file(graph, make_parquet):
    """descendants and subtree downloads are stored at load; a later load (the upsert path) must
    refresh them on every ancestor when a download count changes or an edge goes away."""
    load(graph, make_parquet(small_tree()), progress=False)
    a = analyses.show(graph, "org/A")
    assert (a["descendants"], a["subtree_downloads"]) == (5, 100 + 10 + 5 + 1 + 0)  # E once, not per path
    newer = [
        {"id": "org/F", "base": ["org/E"], "relation": "finetune", "downloads": 50},
        {"id": "org/D", "downloads": 7},  # no base any more: a root of its own
    ]
    report = load(graph, make_parquet(newer), progress=False)
    assert report.depth_updates > 0
    got = {m: (r["descendants"], r["subtree_downloads"], r["depth"])
           for m in "ABDEF" for r in [analyses.show(graph, f"org/{m}")]}
    assert got == {
        "A": (4, 100 + 10 + 5 + 0 + 50, 0),  # B, C, E, F
        "B": (2, 10 + 0 + 50, 1),  # E, F
        "D": (0, 7, 0),
        "E": (1, 0 + 50, 2),
        "F": (0, 50, 3),
    }


def test_newer_file_replaces_properties_and_edges(graph, make_parquet):
    load(graph, make_parquet(small_tree()), progress=False)
    newer = [
        {"id": "org/B", "base": ["org/C"], "relation": "adapter", "downloads": 99, "pipeline_tag": "text-generation"},
    ]
    load(graph, make_parquet(newer), progress=False)
    b = analyses.show(graph, "org/B")
    assert b["properties"]["downloads"] == 99
    assert b["properties"]["pipelineTag"] == "text-generation"
    assert "createdAt" not in b["properties"]  # the new row has none: replaced, not merged
    assert b["parents"] == [{"id": "org/C", "relation": "adapter", "declared": True, "missing": False}]
    assert ("org/B", "FINETUNE_OF", "org/A") not in graph_edges(graph)
    # depths follow the new edge: B is now under C (depth 1), so B is at 2 and D at 3
    assert analyses.show(graph, "org/B")["depth"] == 2
    assert analyses.show(graph, "org/D")["depth"] == 3


def test_duplicate_ids_last_row_wins_with_its_edges(graph, make_parquet):
    rows = [
        {"id": "org/A"}, {"id": "org/Z"},
        {"id": "u/dup", "base": ["org/A"], "relation": "finetune", "downloads": 1},
        {"id": "u/dup", "base": ["org/Z"], "relation": "quantized", "downloads": 2},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.duplicate_ids == 1 and report.models == 3
    assert graph_edges(graph) == {("u/dup", "QUANTIZATION_OF", "org/Z")}
    assert analyses.show(graph, "u/dup")["properties"]["downloads"] == 2


def test_unknown_relation_keeps_node_and_counts_edges(graph, make_parquet):
    rows = [{"id": "org/A"}, {"id": "u/odd", "base": ["org/A", "org/B"], "relation": "distilled"},
            {"id": "u/one", "base": ["org/A"], "relation": "merge"}]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.rows_with_unknown_relation == 1
    assert report.dropped_edges == {"unknown_relation": 2}
    assert report.models == 3 and report.missing_placeholders == 0
    # a merge with a single parent keeps its MERGE_OF edge
    assert graph_edges(graph) == {("u/one", "MERGE_OF", "org/A")}


def test_null_and_empty_ids_are_skipped_and_counted(graph, make_parquet):
    rows = [{"id": "org/A"}, {"id": None}, {"id": "  "}, {"id": "u/x", "base": ["org/A"], "relation": "finetune"}]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.rows_read == 4
    assert report.rows_skipped == {"null_or_empty_id": 2}
    assert node_count(graph) == 2


def test_repeated_base_in_one_row_gives_one_edge(graph, make_parquet):
    rows = [{"id": "org/A"}, {"id": "u/m", "base": ["org/A", "org/A", "org/B"], "relation": "merge"}, {"id": "org/B"}]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.dropped_edges == {"repeated_base": 1}
    assert graph_edges(graph) == {("u/m", "MERGE_OF", "org/A"), ("u/m", "MERGE_OF", "org/B")}


def test_extra_columns_new_dtypes_and_missing_columns(graph, make_parquet, hub_schema):
    # a newer dump: an extra column, a new safetensors dtype; and no 'likes', 'gguf', 'tags'
    st = hub_schema.field("safetensors").type
    params = st.field("parameters").type
    new_params = pa.struct(list(params) + [pa.field("F4_NEW", pa.int64())])
    new_st = pa.struct([pa.field("parameters", new_params), pa.field("total", pa.int64())])
    fields = [f for f in hub_schema if f.name not in ("likes", "gguf", "tags")]
    fields = [pa.field("safetensors", new_st) if f.name == "safetensors" else f for f in fields]
    schema = pa.schema(fields + [pa.field("inferenceProviderMapping", pa.string())])
    rows = [{"id": "org/A", "safetensors": {"parameters": {"F4_NEW": 5}, "total": 5},
             "inferenceProviderMapping": "{}"},
            {"id": "u/x", "base": ["org/A"], "relation": "finetune"}]
    report = load(graph, make_parquet(rows, schema=schema), progress=False)
    assert report.models == 2
    assert analyses.show(graph, "org/A")["properties"]["parameters"] == 5


def test_unreadable_file_writes_nothing(graph, tmp_path):
    bad = tmp_path / "models.parquet"
    bad.write_text("id,author\nx,y\n")
    with pytest.raises(InputError, match="not a readable parquet file"):
        load(graph, str(bad), progress=False)
    with pytest.raises(InputError, match="no such file"):
        load(graph, str(tmp_path / "nope.parquet"), progress=False)
    assert node_count(graph) == 0


def test_file_without_id_column_writes_nothing(graph, tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "noid.parquet"
    pq.write_table(pa.table({"modelId": ["a"], "downloads": [1]}), path)
    with pytest.raises(InputError, match="no 'id' column"):
        load(graph, str(path), progress=False)
    assert node_count(graph) == 0


def test_wrong_column_type_stops_before_writing(graph, tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "badtype.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "downloads": ["many", "few"]}), path)
    with pytest.raises(InputError, match="column 'downloads' has type string"):
        load(graph, str(path), progress=False)
    assert node_count(graph) == 0


def test_derive_counts_each_descendant_once():
    """Pure derive.compute on a hand-made DAG: r <- a, b; m merges a and b; x <- m; y <- x, a.
    Descendants of r: a, b, m, x, y (m and y reachable along two paths, counted once)."""
    import pyarrow as pa

    from hflineage.loader.derive import DOWNLOADS_SCHEMA, compute

    edges = [("a", "r"), ("b", "r"), ("m", "a"), ("m", "b"), ("x", "m"), ("y", "x"), ("y", "a")]
    downloads = pa.table({"id": ["r", "a", "b", "m", "x", "y"], "downloads": [1, 10, 100, 1000, None, 10000],
                          "downloadsAllTime": [2, 20, 200, 2000, 20000, 200000]}, schema=DOWNLOADS_SCHEMA)
    derived = compute(pa.array([c for c, _ in edges]), pa.array([b for _, b in edges]), downloads)
    table = derived.table.to_pylist()
    rows = {r["id"]: (r["descendants"], r["below"], r["below_all_time"], r["depth"]) for r in table}
    assert rows == {
        "r": (5, 10 + 100 + 1000 + 0 + 10000, 20 + 200 + 2000 + 20000 + 200000, None),
        "a": (3, 1000 + 0 + 10000, 2000 + 20000 + 200000, 1),  # m, x, y
        "b": (3, 1000 + 0 + 10000, 2000 + 20000 + 200000, 1),  # m, x, y
        "m": (2, 10000, 20000 + 200000, 2),
        "x": (1, 10000, 200000, 3),
        "y": (None, None, None, 4),  # a leaf carries no counts
    }
    # orphaned if deleted alone (dominator subtree), paths from a root, paths to a leaf; null
    # stands for 0, 1 and 1. Deleting m orphans x only (y keeps a); the chains are r-a-m-x-y,
    # r-b-m-x-y and r-a-y.
    paths = {r["id"]: (r["orphaned"], r["paths_up"], r["paths_down"]) for r in table}
    assert paths == {
        "r": (5, None, 3),
        "a": (None, None, 2),
        "b": (None, None, None),
        "m": (1, 2, None),
        "x": (None, 2, None),
        "y": (None, 3, None),
    }


def _shapes(depth: int, star: int, parents: int) -> list[dict]:
    """A chain c/m0 <- c/m1 <- ... <- c/m{depth}, a star s/root with ``star`` children and a
    merge p/merged of ``parents`` roots: the adversarial shapes, at a size a test can afford."""
    rows = [{"id": "c/m0", "downloads": 1}]
    rows += [{"id": f"c/m{i}", "base": [f"c/m{i - 1}"], "relation": "finetune", "downloads": 1} for i in range(1, depth + 1)]
    rows += [{"id": "s/root"}] + [{"id": f"s/k{i}", "base": ["s/root"], "relation": "adapter", "downloads": 2}
                                  for i in range(star)]
    rows += [{"id": f"p/p{i}"} for i in range(parents)]
    rows += [{"id": "p/merged", "base": [f"p/p{i}" for i in range(parents)], "relation": "merge", "downloads": 5}]
    return rows


def test_deep_chain_wide_star_and_wide_merge_derive_in_linear_time():
    """Listing every (model, ancestor) pair cost depth² (a 3,000-deep chain took most of a
    minute); the derived values of all three shapes now come in seconds, exact."""
    import time

    from hflineage.loader.derive import compute

    depth, star, parents = 3000, 3000, 1000
    edges = [(r["id"], b) for r in _shapes(depth, star, parents) for b in r.get("base") or []]
    started = time.monotonic()
    derived = compute(pa.array([c for c, _ in edges]), pa.array([b for _, b in edges]))
    elapsed = time.monotonic() - started
    rows = {r["id"]: r for r in derived.table.to_pylist()}
    assert derived.max_depth == depth
    assert (rows["c/m0"]["descendants"], rows["c/m1000"]["descendants"], rows["c/m3000"]["depth"]) == (3000, 2000, 3000)
    assert rows["c/m1"]["via"] == "c/m0" and rows["c/m0"]["orphaned"] == 3000 and rows["c/m1500"]["paths_down"] is None
    assert (rows["s/root"]["descendants"], rows["s/root"]["orphaned"], rows["s/root"]["paths_down"]) == (3000, 3000, 3000)
    assert rows["p/merged"]["depth"] == 1 and rows["p/merged"]["paths_up"] == parents
    assert all(rows[f"p/p{i}"]["descendants"] == 1 and rows[f"p/p{i}"]["orphaned"] is None for i in range(parents))
    assert {r["family"] for r in rows.values()} == {"c/m0", "p/merged", "s/k0"}
    assert elapsed < 10, f"derive took {elapsed:.1f} s"


def test_descendant_sums_equal_the_reachable_sets_on_random_dags():
    """dag.descendant_sums (forest subtree sums plus the ancestor sets of merges) against the
    reachable sets walked one model at a time, on DAGs full of merges, ladders and diamonds."""
    import networkx as nx
    import numpy as np

    from hflineage.lineage import dag

    rng = np.random.default_rng(24)
    for _ in range(200):
        n = int(rng.integers(2, 40))
        a, b = rng.integers(0, n, int(rng.integers(0, 3 * n))), rng.integers(0, n, int(rng.integers(0, 3 * n)))
        k = min(len(a), len(b))
        a, b = a[:k], b[:k]
        keep = a != b
        child, base = np.maximum(a, b)[keep], np.minimum(a, b)[keep]  # bases have smaller codes: a DAG
        pairs = np.unique(child * n + base)
        child, base = pairs // n, pairs % n
        weights = rng.integers(0, 1000, n)
        counts, sums = dag.descendant_sums(n, child, base, dag.depths(n, child, base), [np.ones(n, np.int64), weights])
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(base.tolist(), child.tolist()))
        for v in range(n):
            below = nx.descendants(g, v)
            assert counts[v] == len(below) and sums[v] == sum(int(weights[x]) for x in below)


@pytest.mark.parametrize("snapshot", [False, True])
def test_deep_chain_wide_star_and_wide_merge_load_with_exact_answers(graph, make_parquet, snapshot):
    """The shapes through a real load (plain, and as a snapshot whose next week deletes the
    chain's middle): depth, descendants and their downloads, chains counted by DP, families."""
    from hflineage.lineage.changes import records
    from hflineage.loader.snapshot import snapshot_load

    depth, star, parents = 1500, 1500, 500
    path = make_parquet(_shapes(depth, star, parents))
    report = (snapshot_load(graph, path, "2024-06-01", progress=False) if snapshot
              else load(graph, path, progress=False))
    assert report.max_depth == depth
    top, middle, leaf = (analyses.show(graph, f"c/m{i}") for i in (0, 750, depth))
    assert (top["descendants"], middle["descendants"], leaf["depth"]) == (depth, 750, depth)
    assert analyses.show(graph, "s/root")["descendants"] == star
    assert analyses.show(graph, "p/merged")["depth"] == 1
    stats = analyses.stats(graph)
    assert (stats["families"], stats["chains"]) == (3, 1 + star + parents)
    assert analyses.impact(graph, ["c/m750"])["affected_downstream"] == 750
    if snapshot:
        rows = [r for r in _shapes(depth, star, parents) if r["id"] != "c/m750"]
        snapshot_load(graph, make_parquet(rows), "2024-06-08", progress=False)
        last = records(graph)[-1]
        # the deleted base's downstream, each once, with their downloads (1 each)
        assert last["lists"]["deleted_impact"] == [["c/m750", 750, 750, 0]]
