"""``load --bulk`` (offline import) builds exactly the graph the online loader builds.

Each comparison loads a file online, snapshots the whole graph (nodes with labels and every
property with its Cypher type, edges with type and properties, schema) and the answers of the
stored queries, empties the database, loads the same file with the offline importer and
compares everything for equality. The bulk runs stop and restart the test server; every test
leaves it running, with the same password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil

import pyarrow as pa
import pytest
from click.testing import CliRunner

from hflineage.lineage import analyses
from hflineage.loader.bulk import CsvSink, bulk_load, import_files
from hflineage.store.db import Graph
from hflineage.store.errors import HFLineageError
from hflineage.loader.load import load
from hflineage.loader.report import LoadReport
from hflineage.loader.plan import open_source, plan
from hflineage.store.schema import ensure_schema
from hflineage.store.settings import Connection, resolve_connection

from conftest import SAMPLE, node_count
from conftest import canon, empty, sorted_ids

D = dt.datetime
UTC = dt.timezone.utc
VOLATILE = ("seconds", "rows_per_second", "edges_per_second", "mode")


def tricky_rows() -> list[dict]:
    """Every case the plan handles, plus values that are easy to get wrong in a CSV file."""
    return [
        # a root with timestamps (microseconds: online keeps milliseconds), big ints, odd floats
        {"id": "org/A", "tags": ["license:apache-2.0"], "downloads": 2**62, "downloadsAllTime": 0,
         "likes": -1, "trendingScore": 0.1 + 0.2, "createdAt": D(2023, 1, 1, 12, 30, 5, 123456),
         "lastModified": D(1969, 12, 31, 23, 59, 58, 500000), "pipeline_tag": "text-generation",
         "library_name": "transformers", "safetensors": {"parameters": {"BF16": 7}, "total": 7_000_000_000}},
        {"id": "org/B", "base": ["org/A"], "relation": "finetune", "trendingScore": 1e16,
         "createdAt": D(2023, 2, 1, tzinfo=UTC), "card": {"license": "other", "license_name": "my \"own\", licence"}},
        {"id": "org/C", "base": ["org/A"], "relation": "adapter", "trendingScore": float("nan"), "likes": 0},
        # a merge with a repeated base
        {"id": "org/E", "base": ["org/B", "org/C", "org/B"], "relation": "merge", "trendingScore": float("inf")},
        {"id": "org/F", "base": ["org/E"], "relation": "quantized", "trendingScore": -0.0},
        # a missing base, and strings a CSV writer must quote: comma, quote, backslash, newline, unicode
        {"id": 'u/we"ird,id\\x', "base": ["ghost/base"], "relation": "finetune", "author": "",
         "pipeline_tag": "line\nbreak", "library_name": "  padded  "},
        {"id": "u/ünïcødé-模型", "base": ['u/we"ird,id\\x'], "relation": "adapter", "tags": ["license:"]},
        # a self-reference, a 2-cycle (the edge whose base is newer goes), an unknown relation
        {"id": "u/self", "base": ["u/self", "org/A"], "relation": "merge"},
        {"id": "u/X", "base": ["u/Y"], "relation": "finetune", "createdAt": D(2024, 1, 1)},
        {"id": "u/Y", "base": ["u/X"], "relation": "finetune", "createdAt": D(2023, 1, 1)},
        {"id": "u/odd", "base": ["org/A"], "relation": "distilled"},
        # inferred relations (cardData.base_model without baseModels)
        {"id": "u/lora", "card": {"base_model": "org/A"}, "tags": ["lora", "license:mit"]},
        {"id": "u/merged", "card": {"base_model": ["org/A", "ghost/other"]}},
        # a duplicate id (the last row wins, with its edges), a null id, a row with only nulls
        {"id": "u/dup", "base": ["org/A"], "relation": "finetune", "downloads": 1},
        {"id": "u/dup", "base": ["org/C"], "relation": "quantized", "downloads": 2},
        {"id": None},
        {"id": "u/bare", "author": None},
    ]


# --- snapshots -------------------------------------------------------------------------------



def _query(graph, text: str) -> list[dict]:
    records, _, _ = graph.driver.execute_query(text, database_=graph.database)
    return [canon(r.data()) for r in records]


def graph_snapshot(graph) -> dict:
    """The whole graph: nodes, edges (every property with its Cypher type and text), schema."""
    typed = "[k IN keys({x}) | [k, valueType({x}[k]), toStringOrNull({x}[k])]]"  # a list's text: null
    nodes = _query(graph, "MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props, "
                          f"{typed.format(x='n')} AS typed ORDER BY id, labels")
    for node in nodes:
        node["labels"].sort()
        node["typed"].sort()
    edges = _query(graph, "MATCH (c)-[e]->(b) RETURN c.id AS child, type(e) AS type, b.id AS base, "
                          f"properties(e) AS props, {typed.format(x='e')} AS typed ORDER BY child, base, type")
    for edge in edges:  # keys() follows the store's property-key ids, which the two loads create apart
        edge["typed"].sort()
    _query(graph, "CALL db.awaitIndexes(120)")
    indexes = _query(graph, "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint, "
                            "state RETURN * ORDER BY name")
    constraints = _query(graph, "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties "
                                "RETURN * ORDER BY name")
    return {"nodes": nodes, "edges": edges, "indexes": indexes, "constraints": constraints}


def query_answers(graph, ids: list[str]) -> dict:
    """The stored queries' answers: show and chain for every model, impact for a few sets."""
    sets = [[i] for i in ids] + [["org/A", "ghost/base"], ["org/B", "u/X", "not/there"]]
    return {
        "show": {i: canon(graph.read("show", model_id=i)) for i in ids},
        "chain": {i: canon(graph.read("chain", model_id=i)) for i in ids},
        "impact": [sorted_ids(canon(graph.read("impact", ids=s))) for s in [*sets, ids]],
        "impact_lists": [canon(analyses.impact(graph, s, with_list=True)) for s in sets],
        "stats": canon(analyses.stats(graph)),
    }






def fingerprint(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, default=str).encode()).hexdigest()


def strip(report) -> dict:
    return {k: v for k, v in report.as_dict().items() if k not in VOLATILE}


# --- tests -----------------------------------------------------------------------------------

def test_bulk_builds_the_same_graph_as_online(graph, make_parquet, server):
    path = make_parquet(tricky_rows())
    online = load(graph, path, progress=False)
    want = graph_snapshot(graph)
    ids = [n["id"] for n in want["nodes"]]
    want_answers = query_answers(graph, ids)
    # the file exercises what it should
    assert online.dropped_edges == {"cycle": 1, "repeated_base": 1, "self_reference": 1, "unknown_relation": 1}
    assert online.missing_placeholders == 2 and online.duplicate_ids == 1
    assert online.inferred_by_rule == {"adapter_signals": 1, "multiple_bases": 2}

    empty(graph)
    pid = server.pid()
    stale = server.home / "import" / "bulk-999999999"  # a killed bulk load's import files (no such process)
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "models.csv").write_text("id:ID\n")
    bulk = bulk_load(graph, path, progress=False)
    assert server.pid() != pid and server.status().running  # restarted, and running again

    got = graph_snapshot(graph)
    assert got["nodes"] == want["nodes"]
    assert got["edges"] == want["edges"]
    assert got["constraints"] == want["constraints"]
    assert got["indexes"] == want["indexes"]
    assert query_answers(graph, ids) == want_answers
    assert bulk.mode == "bulk" and online.mode == "online"
    assert strip(bulk) == strip(online)
    # spot checks that the comparison sees real values
    a = next(n for n in got["nodes"] if n["id"] == "org/A")
    assert a["props"]["createdAt"] == ("DateTime", "2023-01-01T12:30:05.123000000+00:00", "UTC")
    assert ["downloads", "INTEGER NOT NULL", str(2**62)] in a["typed"]
    assert not list(server.home.joinpath("import").glob("bulk-*"))  # its import files and the stale ones are gone


def test_derived_properties_come_with_the_import(graph, make_parquet, server):
    """depth, depthVia and family are in the import files: right after the importer, before
    any schema or derive pass, every node holds what the online loader's derive pass stores."""
    path = make_parquet(tricky_rows())
    online = load(graph, path, progress=False)
    derived = ("MATCH (m:Model) RETURN m.id AS id, m.depth AS depth, m.depthVia AS via, m.family AS family, "
               "valueType(m.depth) AS depth_type ORDER BY id")
    want = _query(graph, derived)
    empty(graph)
    folder = server.home / "import" / "bulk-derived"
    try:
        with CsvSink(folder) as files:
            plan(open_source(path), files, LoadReport(source=path), progress=False)
        assert (files.derived.nodes_with_edges, files.derived.max_depth) == (online.depth_updates, 3) == (15, 3)
        import_files(server, graph.database, files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    graph.reconnect()
    got = _query(graph, derived)
    assert got == want
    by_id = {r["id"]: (r["depth"], r["via"], r["family"]) for r in got}
    assert by_id["org/F"] == (3, "org/E", "ghost/other")  # a merge below: longest path, family by smallest id
    assert by_id["org/E"] == (2, "org/B", "ghost/other")  # two bases one level up: the smallest id
    assert by_id["ghost/base"] == (None, None, "ghost/base")  # a placeholder: a root, in a family
    assert by_id["u/X"] == (1, "u/Y", "u/X") and by_id["u/Y"] == (None, None, "u/X")  # cycle broken first
    assert by_id["u/bare"] == by_id["u/odd"] == (None, None, None)  # no edge: nothing derived
    assert {r["depth_type"] for r in got if r["depth"] is not None} == {"INTEGER NOT NULL"}
    ensure_schema(graph)  # leave the schema the other tests expect


def test_bulk_sample_matches_online_through_the_cli(graph, server):
    from hflineage.cli.main import cli as app

    runner = CliRunner()
    online = runner.invoke(app, ["load", str(SAMPLE), "--format", "json"], catch_exceptions=False)
    assert online.exit_code == 0, online.stderr
    want = graph_snapshot(graph)
    want_stats = canon(analyses.stats(graph))
    empty(graph)
    # with progress bars on: they and the status lines go to stderr, stdout is one JSON document
    bulk = runner.invoke(app, ["load", "--bulk", str(SAMPLE), "--format", "json"],
                         env={"HFLINEAGE_NO_PROGRESS": ""}, catch_exceptions=False)
    assert bulk.exit_code == 0, bulk.stderr
    online_doc, bulk_doc = json.loads(online.stdout), json.loads(bulk.stdout)
    assert bulk_doc["mode"] == "bulk" and online_doc["mode"] == "online"
    assert {k: v for k, v in bulk_doc.items() if k not in VOLATILE} == \
        {k: v for k, v in online_doc.items() if k not in VOLATILE}
    assert bulk_doc["models"] == 4167 and bulk_doc["edges_written"] > 5000
    assert "importing" in bulk.stderr and "models" in bulk.stderr
    # a new connection (the fixture's driver remembers bookmarks of the replaced database);
    # the password still works
    with Graph(resolve_connection()) as fresh:
        got = graph_snapshot(fresh)
        assert (len(got["nodes"]), len(got["edges"])) == (len(want["nodes"]), len(want["edges"]))
        assert fingerprint(got) == fingerprint(want)
        assert canon(analyses.stats(fresh)) == want_stats
        assert fresh.read("load/model_count") == [{"models": 4167 + bulk_doc["missing_placeholders"]}]


def test_bulk_refuses_a_database_with_models(graph, make_parquet, server, cli):
    path = make_parquet([{"id": "org/A"}, {"id": "org/B", "base": ["org/A"], "relation": "finetune"}])
    load(graph, path, progress=False)
    pid = server.pid()
    with pytest.raises(HFLineageError, match="needs an empty database; 'neo4j' holds 2 models"):
        bulk_load(graph, path, progress=False)
    result = cli("load", "--bulk", path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --bulk needs an empty database") and result.stderr.count("\n") == 1
    assert server.pid() == pid and node_count(graph) == 2  # untouched, never stopped


def test_bulk_refuses_a_remote_connection(graph, make_parquet, server):
    local = resolve_connection()
    remote = Connection(uri=local.uri, user=local.user, password=local.password, database=local.database,
                        local=False)  # the same server, reached as --uri would reach it
    pid = server.pid()
    with Graph(remote) as other:
        with pytest.raises(HFLineageError, match="--bulk works only with the local server"):
            bulk_load(other, make_parquet([{"id": "org/A"}]), progress=False)
    assert server.pid() == pid and node_count(graph) == 0


def test_failed_import_restarts_on_the_previous_store(graph, server):
    graph.write("load/create_models", rows=[{"id": "keep/me", "props": {}, "createdAt": None, "lastModified": None}], trained=[])
    folder = server.home / "import" / "bulk-failing"
    row = {"id": "dup", "props": {}, "createdAt": None, "lastModified": None}
    with CsvSink(folder) as files:
        files.models(pa.Table.from_pylist([row, row], schema=files.rows_schema))  # the importer rejects duplicate ids
    try:
        with pytest.raises(HFLineageError, match="the offline import failed: .*'dup' is defined more than once") as e:
            import_files(server, graph.database, files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "\n" not in str(e.value)
    assert server.status().running
    assert graph.read("show", model_id="keep/me")[0]["id"] == "keep/me"
    assert node_count(graph) == 1
