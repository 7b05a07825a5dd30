"""The bad-input corpus (tests/corpus/, one file per class; make_corpus.py writes them): each
file's documented outcome, through the CLI against the real server.

* Refused: a one-line error on stderr (no traceback), exit 2, and the graph exactly as it was.
* Loaded: the bad rows skipped (or edges dropped) and counted in the report, and every valid
  row present with the right edges.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hflineage.loader.load import load

from conftest import graph_edges

CORPUS = Path(__file__).resolve().parent / "corpus"

# file -> words the one-line error must hold
REFUSED = {
    "empty_bytes": "not a readable parquet file",
    "not_parquet": "not a readable parquet file",
    "truncated": "not a readable parquet file",
    "no_id_column": "no 'id' column",
    "id_not_string": "column 'id' has type int64",
    "downloads_as_string": "column 'downloads' has type string",
    "safetensors_total_as_string": "column 'safetensors' has type",
    "basemodels_id_as_int": "column 'baseModels' has type",
    "tags_not_a_list": "column 'tags' has type string",
    "timestamp_overflow": "row 0: column 'createdAt' holds a timestamp outside years 1-9999",
    "timestamp_out_of_range_late_row": "row 30: column 'createdAt' holds a timestamp outside years 1-9999",
}

F, A, M = "FINETUNE_OF", "ADAPTER_OF", "MERGE_OF"
# file -> (report fields that must hold, models present, edges)
LOADED = {
    "zero_rows": ({"models": 0, "rows_read": 0}, set(), set()),
    "null_blank_ids": ({"rows_skipped": {"null_or_empty_id": 3}, "models": 2}, {"good/m1", "good/m2"}, set()),
    "duplicate_ids": ({"duplicate_ids": 1, "models": 2}, {"good/m1", "good/m2"}, set()),
    "unknown_relation": ({"rows_with_unknown_relation": 1, "dropped_edges": {"unknown_relation": 1}},
                         {"good/m1", "good/m2"}, set()),
    "self_reference": ({"dropped_edges": {"self_reference": 1}}, {"good/m1", "good/m2"}, {("good/m2", M, "good/m1")}),
    # the edge whose base is newer than its child by the largest margin goes
    "two_cycle": ({"dropped_edges": {"cycle": 1}}, {"good/m1", "good/m2"}, {("good/m2", F, "good/m1")}),
    "three_cycle": ({"dropped_edges": {"cycle": 1}}, {"good/m1", "good/m2", "good/m3"},
                    {("good/m2", F, "good/m1"), ("good/m3", F, "good/m2")}),
    "absent_bases": ({"missing_placeholders": 2}, {"good/m1", "good/m2", "gone/x", "gone/y"},
                     {("good/m2", M, "gone/x"), ("good/m2", M, "gone/y")}),
    "invalid_carddata": ({"models": 3}, {"good/m1", "good/m2", "good/m3"}, set()),
    "hostile_ids": ({"models": 8}, {"q/it's", 'q/"double"', "q/`tick`", "q/x'}) DETACH DELETE m //", "q/\u202eevil",
                                    "q/nul\x00byte", "q/emoji\U0001F600", "q/\x1b[2Jansi"}, set()),
    "huge_id": ({"rows_skipped": {"id_too_long": 1}, "models": 1}, {"good/m1"}, set()),
    "huge_license_tag": ({"rows_skipped": {"value_too_long": 1}, "models": 1}, {"good/m1"}, set()),
    "huge_base_id": ({"dropped_edges": {"base_id_too_long": 1}}, {"good/m1", "good/m2"}, {("good/m2", M, "good/m1")}),
    "timestamp_ms": ({"models": 1}, {"good/m1"}, set()),
    "timestamp_ns_tokyo": ({"models": 1}, {"good/m1"}, set()),
    "control_characters": ({"models": 2}, {"good/m1", "good/\x07bell\x1b[31m"}, {("good/\x07bell\x1b[31m", A, "good/m1")}),
}


def _ids(graph) -> set[str]:
    records, _, _ = graph.driver.execute_query("MATCH (m:Model) RETURN m.id AS id", database_=graph.database)
    return {r["id"] for r in records}


def _snapshot(graph):
    records, _, _ = graph.driver.execute_query(
        "MATCH (n:Model) RETURN n.id AS id, labels(n) AS l, properties(n) AS p ORDER BY id", database_=graph.database)
    return [json.dumps(dict(r), sort_keys=True, default=str) for r in records], sorted(graph_edges(graph))


def test_every_corpus_file_has_an_expected_outcome():
    on_disk = {p.stem for p in CORPUS.glob("*.parquet")}
    assert on_disk == set(REFUSED) | set(LOADED) | {"no_basemodels_column"}


def test_refused_files_are_one_line_and_leave_the_graph_as_it_was(graph, cli, tmp_path):
    cli("load", str(CORPUS / "three_cycle.parquet"))
    before = _snapshot(graph)
    assert before[1]
    cases = {**{name: (str(CORPUS / f"{name}.parquet"), words) for name, words in REFUSED.items()},
             "directory": (str(tmp_path), "is a directory"), "no_such_file": (str(tmp_path / "nope"), "no such file")}
    for name, (path, words) in cases.items():
        result = cli("load", path)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2, (name, result.stderr)
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr, (name, result.stderr)
        assert _snapshot(graph) == before, name


@pytest.mark.parametrize("name", sorted(LOADED))
def test_loaded_files_skip_and_count_their_bad_rows(graph, cli, name):
    fields, models, edges = LOADED[name]
    result = cli("load", str(CORPUS / f"{name}.parquet"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    for key, value in fields.items():
        assert report[key] == value, (key, report[key])
    assert _ids(graph) == models
    assert graph_edges(graph) == edges
    if name.startswith("timestamp_"):
        records, _, _ = graph.driver.execute_query("MATCH (m:Model) RETURN toString(m.createdAt) AS t",
                                                   database_=graph.database)
        assert [r["t"] for r in records] == ["2024-02-29T12:00:00Z"]


def test_a_file_without_basemodels_keeps_the_stored_edges(graph, cli):
    load(graph, str(CORPUS / "self_reference.parquet"), progress=False)  # good/m2 -> good/m1
    result = cli("load", str(CORPUS / "no_basemodels_column.parquet"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["kept_base_edges"] == 1
    assert graph_edges(graph) == {("good/m2", M, "good/m1")}
