"""The public Python API (``import hflineage``): typed results, frames, and one code path with the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import hflineage
from hflineage.cli.output import to_json
from hflineage.lineage import results

from conftest import REPO
from graphs import merge_diamond as diamond


def _rows():
    rows = diamond()
    licenses = {"t/R1": "llama3", "t/A": "apache-2.0", "t/B": "mit", "t/C": "apache-2.0", "t/L1": "mit"}
    tags = {"t/R1": "text-generation", "t/A": "text-generation", "t/B": "text-generation",
            "t/L1": "text-generation", "t/Q": "text-classification"}
    for r in rows:
        if r["id"] in licenses:
            r["tags"] = [f"license:{licenses[r['id']]}"]
        if r["id"] in tags:
            r["pipeline_tag"] = tags[r["id"]]
        if r["id"] in ("t/A", "t/R2"):
            r["tags"] = [*(r.get("tags") or []), "dataset:d/x"]
    return rows


@pytest.fixture
def lin(graph, make_parquet):
    with hflineage.connect() as api:
        api.load_path = make_parquet(_rows())
        report = api.load(api.load_path)
        assert isinstance(report, hflineage.LoadReport) and report.models == 12
        yield api


def _json(result) -> object:
    """What --format json would print for an API result (JSON turns int keys into strings)."""
    return json.loads(to_json(result.to_dict()))


def _cli_json(cli, *args, input=None, exit_code=0):
    out = cli(*args, "--format", "json", input=input)
    assert out.exit_code == exit_code, out.stderr
    return json.loads(out.stdout)


def test_every_command_prints_what_the_api_returns(lin, cli):
    cases = [
        (("show", "t/C"), lin.show("t/C")),
        (("chain", "t/L1"), lin.chain("t/L1")),
        (("descendants", "t/R1"), lin.descendants("t/R1")),
        (("impact", "t/A"), lin.impact("t/A")),
        (("impact", "t/A", "t/R2", "nope/x", "--list"), lin.impact(["t/A", "t/R2", "nope/x"], with_list=True)),
        (("stats", "--top", "3"), lin.stats(top=3)),
        (("graph", "t/C", "--down", "1"), lin.graph("t/C", down=1)),
        (("license", "t/C"), lin.license("t/C")),
        (("license", "downstream", "t/R1"), lin.license_downstream("t/R1")),
        (("impute", "t/C", "--attribute", "pipeline_tag"), lin.impute("t/C", "pipeline_tag")),
        (("impute", "evaluate", "--attribute", "license", "--holdout", "0.5"),
         lin.impute_evaluate("license", holdout=0.5)),
        (("impute", "evaluate", "--table1", "--holdout", "0.5"), lin.impute_table1(holdout=0.5)),
        (("changes",), lin.changes()),
        (("dataset", "d/x"), lin.dataset("d/x")),
        (("impact", "--dataset", "d/x", "nope/d", "--list"), lin.dataset_impact(["d/x", "nope/d"], with_list=True)),
    ]
    for args, result in cases:
        assert isinstance(result, results.Result), args
        assert _cli_json(cli, *args) == _json(result), args
    # exit 3: the audit found conflicts at or above 'low'
    assert _cli_json(cli, "license", "audit", "--all", exit_code=3) == _json(lin.license_audit())
    assert _cli_json(cli, "license", "audit", "-", input="t/C\nt/L1\n", exit_code=3) == _json(
        lin.license_audit(["t/C", "t/L1"]))
    assert _cli_json(cli, "query", "show", "-p", "model_id", "t/B") == json.loads(to_json(lin.query("show", model_id="t/B")))
    report = _cli_json(cli, "load", lin.load_path)
    again = _json(lin.load(lin.load_path))
    timing = ("seconds", "rows_per_second", "edges_per_second")
    assert {k: v for k, v in report.items() if k not in timing} == {k: v for k, v in again.items() if k not in timing}


def test_results_are_typed_with_numbers_as_numbers(lin):
    show = lin.show("t/C")
    assert (show.depth, show.descendants, show.children["finetune"]) == (2, 2, 1)
    assert show.subtree_downloads == 10 + 20 and show.subtree_downloads_all_time == 100 + 200 + 300
    assert list(show.to_pandas()["id"]) == ["t/A", "t/B"]

    chain = lin.chain("t/L1")
    path = chain.to_pandas()
    assert path["id"].tolist() == ["t/L1", "t/C", "t/A", "t/R1"]  # the smallest base id on a tie (A, not B)
    assert path["relation"].tolist()[:3] == ["finetune", "merge", "finetune"] and pd.isna(path["relation"].iloc[3])

    below_a = lin.descendants("t/A").to_pandas()
    assert below_a[["id", "distance", "relation", "downloads"]].values.tolist() == [
        ["t/L1", 2, "finetune", 20], ["t/C", 1, "merge", 10], ["t/Q", 1, "adapter", 5], ["t/L2", 2, "quantized", 0]]
    assert lin.descendants("t/I").descendants == []

    stats = lin.stats()
    assert stats.depth_histogram == {0: 4, 1: 4, 2: 2, 3: 2}
    frame = stats.depth_frame
    assert list(frame.index) == [0, 1, 2, 3] and frame.index.name == "depth"
    assert frame["all"].tolist() == [4, 4, 2, 2]
    # R1 (depth 0), A and B (1), L1 (3) are text-generation; Q (2) is text-classification
    assert frame["text-generation"].tolist() == [1, 2, 0, 1]
    assert frame["text-classification"].tolist() == [0, 0, 1, 0]
    assert frame.sum(axis=1).tolist() == [2 * n for n in frame["all"]]

    impact = lin.impact(["t/A"], with_list=True)
    assert impact.affected_derived == 2 and impact.orphaned == 1  # C keeps B; Q has only A
    assert sorted(impact.models_frame.query("role == 'orphaned'")["id"]) == ["t/Q"]

    audit = lin.license_audit()
    assert isinstance(audit.to_pandas(), pd.DataFrame)
    lineage = [r for r in audit.conflicts if r["kind"] == "lineage"]
    assert {(r["model"], r["ancestor"]) for r in lineage} >= {("t/A", "t/R1"), ("t/C", "t/R1")}
    # the rest are warnings: t/A and t/R2 name d/x, whose license no datasets file gave
    warnings = [r for r in audit.conflicts if r["kind"] == "training-data"]
    assert {r["severity"] for r in warnings} == {"warning"} and {r["dataset"] for r in warnings} == {"d/x"}
    assert len(audit.to_pandas()) == len(audit.conflicts) and audit.failing == len(lineage)

    lic = lin.license("t/C")
    assert lic.license == "apache-2.0" and lic.to_dict()["class"] == lic.license_class == "permissive"


def test_library_errors_are_one_hierarchy_and_never_exit(lin):
    with pytest.raises(hflineage.ModelNotFound, match="'nope/x' is not in the graph"):
        lin.show("nope/x")
    with pytest.raises(hflineage.AttributeNotImputable):
        lin.impute("t/C", "no_such_attribute")
    with pytest.raises(hflineage.QueryError, match="writes to the graph"):
        lin.query("impute_write", prop="license", rows=[])
    with pytest.raises(hflineage.HFLineageError, match="fail_on"):
        lin.license_audit(fail_on="urgent")


def test_connect_takes_arguments_and_closes_its_driver(graph, server):
    password = server.read_password()
    lin = hflineage.connect(uri=server.bolt_uri, password=password)
    with lin:
        assert lin.connection.uri == server.bolt_uri and lin.connection.local is False
        assert lin.query("load/model_count") == [{"models": 0}]  # the graph fixture emptied it
    with pytest.raises(Exception):
        lin.db.driver.verify_connectivity()


@pytest.mark.parametrize("module", ["lineage_cmd", "license_cmd", "impute_cmd", "db_cmd", "bom_cmd", "changes_cmd", "graph_cmd", "context", "output", "main"])
def test_each_cli_module_imports_first(module):
    """No command module reaches back into cli.main (which imports them): any import order works."""
    done = subprocess.run([sys.executable, "-c", f"import hflineage.cli.{module}"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_help_loads_neither_the_driver_nor_arrow():
    """``hflineage --help`` (every command module imported) loads none of pyarrow, pandas, numpy
    or the driver: the CLI imports the public API, which imports the library on use."""
    code = ("import sys; from hflineage.cli.main import cli; "
            "print(sorted(m for m in ('pyarrow', 'pandas', 'numpy', 'neo4j') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
    done = subprocess.run([sys.executable, "-m", "hflineage.cli", "--help"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and "Usage: hflineage" in done.stdout


def test_a_load_tunes_memory_only_while_it_runs():
    """Nothing is switched on at import time; memory.lean() (every load, through the API or the
    CLI alike) has Arrow allocate from the C allocator while it runs and puts back what it found."""
    import pyarrow as pa

    from hflineage.store import memory

    before = pa.default_memory_pool().backend_name
    import hflineage.cli.main  # noqa: F401
    assert pa.default_memory_pool().backend_name == before
    with memory.lean():
        assert pa.default_memory_pool().backend_name == "system"
        with memory.reusing():
            assert pa.default_memory_pool().backend_name == "system"
    assert pa.default_memory_pool().backend_name == before
    assert "connect" in dir(hflineage) and hflineage.LoadReport.__name__ == "LoadReport"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        hflineage.nothing  # noqa: B018
