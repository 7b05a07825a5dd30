"""The CLI contract of SPEC.md, run in-process against the real server."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import click

from conftest import REPO, node_count

from graphs import small_tree


def test_load_json_is_one_clean_document(graph, cli, make_parquet):
    result = cli("load", make_parquet(small_tree()), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["models"] == 6 and doc["edges_written"] == 6
    assert doc["edges"]["MERGE_OF"] == {"declared": 2, "inferred": 0}


def test_show_json_keys_and_values(graph, cli, make_parquet):
    cli("load", make_parquet(small_tree()))
    result = cli("show", "org/E", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"id", "license", "parents", "children", "descendants", "depth"} <= set(doc)
    assert doc["id"] == "org/E" and doc["depth"] == 2 and doc["descendants"] == 1
    assert doc["children"] == {"adapter": 0, "finetune": 1, "quantized": 0, "merge": 0}
    assert [(p["id"], p["relation"]) for p in doc["parents"]] == [("org/B", "merge"), ("org/C", "merge")]


def test_show_table_and_csv(graph, cli, make_parquet):
    cli("load", make_parquet(small_tree()))
    table = cli("show", "org/A").stdout
    assert "org/A" in table and "adapter 1 · finetune 1 · quantized 0 · merge 0" in table
    assert re.search(r"descendants\s+5", table)
    rows = list(csv.DictReader(io.StringIO(cli("show", "org/A", "--format", "csv").stdout)))
    assert rows == [{"id": "org/A", "license": "apache-2.0", "depth": "0", "descendants": "5",
                     "subtree_downloads": "116", "subtree_downloads_all_time": "0", "adapter": "1",
                     "finetune": "1", "quantized": "0", "merge": "0", "parents": ""}]


def test_unknown_model_is_one_line_exit_1(graph, cli):
    result = cli("show", "nobody/nothing")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: model 'nobody/nothing' is not in the graph"
    assert result.stdout == ""


def test_bad_file_is_one_line_nonzero_and_writes_nothing(graph, cli, tmp_path):
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1 not really")
    result = cli("load", str(bad))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a readable parquet file" in result.stderr
    assert node_count(graph) == 0


def test_queries_lists_stored_queries(cli):
    result = cli("queries", "--format", "json")
    names = {q["name"]: q for q in json.loads(result.stdout)}
    assert names["show"]["mode"] == "read" and names["show"]["params"] == "model_id"


def test_query_runs_a_stored_query_with_params(graph, cli, make_parquet):
    cli("load", make_parquet(small_tree()))
    result = cli("query", "show", "-p", "model_id", "org/B", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["id"] == "org/B" and row["descendants"] == 3


def test_query_refuses_writes_and_bad_params(graph, cli):
    result = cli("query", "load/create_missing", "-j", "ids", '["a"]')
    assert result.exit_code == 2 and "pass --write" in result.stderr
    result = cli("query", "show")
    assert result.exit_code == 2 and "needs parameter(s): model_id" in result.stderr
    assert node_count(graph) == 0


def test_a_model_id_is_a_parameter_never_cypher(graph, cli, make_parquet):
    cli("load", make_parquet(small_tree()))
    evil = "x'}) DETACH DELETE m //"
    assert cli("show", evil).exit_code == 1
    assert node_count(graph) == 6


def test_wrong_password_is_one_line(graph, cli):
    result = cli("--password", "definitely-wrong", "show", "org/A")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Neo4j rejected the credentials")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_server_is_one_line(cli):
    result = cli("--uri", "bolt://127.0.0.1:1", "--password", "whatever1", "show", "org/A")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach Neo4j")


def test_env_settings_are_used(graph, make_parquet, server):
    """A real process: NEO4J_* from the environment, progress on stderr, clean JSON on stdout."""
    path = make_parquet(small_tree())
    env = dict(os.environ, NEO4J_URI=server.bolt_uri, NEO4J_PASSWORD=server.read_password(),
               NEO4J_DATABASE="neo4j", HFLINEAGE_NO_PROGRESS="")
    env.pop("HFLINEAGE_HOME")
    proc = subprocess.run([sys.executable, "-m", "hflineage.cli", "load", path, "--format", "json"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["models"] == 6
    assert "models: 100%" in proc.stderr  # the tqdm bar went to stderr


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_and_is_in_the_readme():
    from hflineage.cli.main import cli as app

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path, cmd in _commands(app):
        assert cmd.help and "Example:" in cmd.help, f"{' '.join(path)} has no help with an example"
        assert f"hflineage {' '.join(path)}" in readme, f"README does not document 'hflineage {' '.join(path)}'"
