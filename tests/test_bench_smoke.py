"""The benchmark suite against peer tools (bench/run_all.py), run small so it cannot rot.

The full suite is not part of the test run (an hour at full size). This runs it end to end on a
5,000-model synthetic file with a small sample, on the test server (its home and ports), and
checks that it completes, that every peer's answers agreed with ours, that BENCHMARKS.md and the
plot are written, and that the comparison fails loudly when a peer's answer is wrong.
Needs the ``bench`` extra (duckdb, networkx, matplotlib).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from conftest import REPO, TEST_BOLT, TEST_HOME, TEST_HTTP

sys.path.insert(0, str(REPO / "bench"))

import bench_peers  # noqa: E402

SAMPLE, ROOTS = 10, 3


@pytest.fixture(scope="module")
def suite(server, tmp_path_factory):
    """One small run of the whole suite; the test server is left running for the other tests."""
    out = tmp_path_factory.mktemp("bench")
    cmd = [sys.executable, str(REPO / "bench" / "run_all.py"), "--sizes", "5000", "--no-real",
           "--naive-rows", "100", "--no-bulk", "--sample", str(SAMPLE), "--roots", str(ROOTS),
           "--cold-runs", "1", "--warmup", "0",
           "--home", str(TEST_HOME), "--bolt-port", str(TEST_BOLT), "--http-port", str(TEST_HTTP),
           "--heap", "1g", "--pagecache", "512m", "--keep-server",
           "--output", str(out / "BENCHMARKS.md"), "--plot", str(out / "cost_vs_size.png"),
           "--json", str(out / "suite.json")]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        server.start()  # whatever happened, the next tests need the server
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, json.loads((out / "suite.json").read_text(encoding="utf-8"))


def test_suite_completes_and_answers_agree(suite):
    out, doc = suite
    [lookups] = doc["lookups"]
    per_tool = 4 * (SAMPLE + ROOTS)  # four questions, every model
    assert lookups["agreement"] == {"duckdb": per_tool, "duckdb-parquet": per_tool, "networkx": per_tool}
    for tool in bench_peers.TOOLS:
        stats = lookups["tools"][tool]["stats"]
        assert {f"{q}/{g}" for q in bench_peers.QUESTIONS for g in ("random", "roots")} <= set(stats)
    tools = {r["tool"] for r in doc["loaders"]["runs"]}
    assert tools == {"ours", "importer"}
    ours = next(r for r in doc["loaders"]["runs"] if r["tool"] == "ours")
    assert ours["rows"] == 5000 and ours["edges"] > 0
    assert doc["loaders"]["naive"]["rows"] == 100
    report = (out / "BENCHMARKS.md").read_text(encoding="utf-8")
    for heading in ("## 1. Loading", "## 2. Lookups and analyses", "### Targets", "bench/run_all.py"):
        assert heading in report
    assert (out / "cost_vs_size.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_wrong_peer_answer_fails_loudly(suite):
    out, doc = suite
    folder = REPO / "bench" / "out" / "peers" / "models_5000_s0"
    ours = json.loads((folder / "answers_ours.json").read_text(encoding="utf-8"))["answers"]
    duck = json.loads((folder / "answers_duckdb.json").read_text(encoding="utf-8"))["answers"]
    assert bench_peers.compare_answers(ours, duck, "duckdb") == 4 * (SAMPLE + ROOTS)

    root = doc["lookups"][0]["models"]["roots"][0]
    wrong = copy.deepcopy(duck)
    wrong["impact"][root]["disrupted_chains"] += 1
    with pytest.raises(bench_peers.AgreementError, match=r"impact\(" + root.replace(".", r"\.") + r"\)"):
        bench_peers.compare_answers(ours, wrong, "duckdb")

    wrong = copy.deepcopy(duck)
    wrong["licenses"][root]["ancestors"].append(["someone/else", "mit", None, 1, False])
    with pytest.raises(bench_peers.AgreementError, match="licenses"):
        bench_peers.compare_answers(ours, wrong, "duckdb")

    wrong = copy.deepcopy(duck)
    del wrong["depth"][root]
    with pytest.raises(bench_peers.AgreementError, match="no answer from duckdb"):
        bench_peers.compare_answers(ours, wrong, "duckdb")
