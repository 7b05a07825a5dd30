"""Snapshot loads against the real server: the invariant (a sequence of snapshot loads equals a
fresh load of the latest file), history, refusals, and a killed load that converges.

The weekly files are written at test time by ../shared/tools/evolve_hubstats.py from a small
synth_hubstats.py file (both deterministic with a seed); nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hflineage.loader import analyses, changes, lineage, snapshot
from hflineage.loader.errors import SnapshotRefused
from hflineage.loader.load import load
from hflineage.loader.licenses import audit_all, downstream, load_policy, model_license

from conftest import REPO, SHARED, node_count
from test_bulk import _sorted_ids, canon, empty

TOOLS = SHARED / "tools"
HISTORY_KEYS = ("first_seen", "last_seen", "deleted_at", "last_bases", "last_properties")


@pytest.fixture(scope="module")
def weeks(tmp_path_factory) -> list[str]:
    """A 3,000-model synthetic week 0 and four evolved weeks, with rates high enough that every
    kind of change happens on this size (base models deleted, rebased models, new families)."""
    folder = tmp_path_factory.mktemp("weeks")
    week0 = folder / "week0.parquet"
    subprocess.run([sys.executable, str(TOOLS / "synth_hubstats.py"), "--models", "3000", "--seed", "1", str(week0)],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, str(TOOLS / "evolve_hubstats.py"), "--weeks", "4", "--seed", "1",
                    "--added-rate", "0.05", "--deleted-rate", "0.03", "--updated-rate", "0.02",
                    "--rebased-rate", "0.01", str(week0), str(folder / "evolved")],
                   check=True, capture_output=True)
    return [str(week0), *sorted(str(p) for p in (folder / "evolved").glob("snapshot_*.parquet"))]


def graph_dump(graph) -> dict:
    """Every current node (labels, every property but the history ones) and every edge."""
    hidden = list(snapshot.HISTORY_PROPERTIES)
    records, _, _ = graph.driver.execute_query(
        "MATCH (n:Model) RETURN n.id AS id, labels(n) AS labels, "
        "[k IN keys(n) WHERE NOT k IN $hidden | [k, n[k]]] AS props ORDER BY id",
        hidden=hidden, database_=graph.database)
    nodes = [{"id": r["id"], "labels": sorted(r["labels"]), "props": canon(sorted(r["props"]))} for r in records]
    records, _, _ = graph.driver.execute_query(
        "MATCH (c)-[e]->(b) RETURN c.id AS c, labels(c) AS cl, type(e) AS t, properties(e) AS p, b.id AS b, "
        "labels(b) AS bl ORDER BY c, b, t", database_=graph.database)
    edges = [canon({**r.data(), "cl": sorted(r["cl"]), "bl": sorted(r["bl"])}) for r in records]
    return {"nodes": nodes, "edges": edges}


def sample_ids(graph) -> list[str]:
    """Every 150th model, the placeholders that were models (up to 12) and 4 others, and the 5
    models with most descendants."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, m:Missing AS missing, m.deletedAt IS NOT NULL AS deleted, "
        "coalesce(m.descendants, 0) AS d ORDER BY id", database_=graph.database)
    ids = [r["id"] for i, r in enumerate(records) if i % 150 == 0]
    ids += [r["id"] for r in records if r["deleted"]][:12]
    ids += [r["id"] for r in records if r["missing"] and not r["deleted"]][:4]
    ids += [r["id"] for r in sorted(records, key=lambda r: (-r["d"], r["id"]))[:5]]
    return sorted(set(ids))


def answers(graph, cli, ids: list[str]) -> dict:
    """Every command's JSON over the sample, and the stored queries' answers."""
    policy = load_policy()
    out = {
        "show": {i: canon({k: v for k, v in lineage.show(graph, i).items() if k not in HISTORY_KEYS}) for i in ids},
        "chain": {i: canon(analyses.chain(graph, i)) for i in ids},
        "impact": {i: canon(analyses.impact(graph, [i], with_list=True)) for i in ids},
        "impact_set": canon(analyses.impact(graph, ids[:25], with_list=True)),
        "stats": canon(analyses.stats(graph)),
        "license": {i: canon(model_license(graph, i, policy)) for i in ids},
        "downstream": {i: canon(downstream(graph, i, policy)) for i in ids[:8]},
        "audit": canon(audit_all(graph, policy)),
        "impute": {i: json.loads(cli("impute", i, "--attribute", "license", "--format", "json").stdout)
                   for i in ids[:8]},
    }
    for name in ("chain", "impact_one", "license_lineage", "license_descendants"):
        out[f"query/{name}"] = {i: canon(graph.read(name, model_id=i)) for i in ids}
    # history adds node properties; every other field of the raw query is the same
    out["query/show"] = {i: canon([{**r, "properties": {k: v for k, v in r["properties"].items()
                                                         if k not in snapshot.HISTORY_PROPERTIES}}
                                   for r in graph.read("show", model_id=i)]) for i in ids}
    out["query/impact"] = _sorted_ids(canon(graph.read("impact", ids=ids[:25])))
    for name in ("stats_depth_histogram", "stats_relation_mix", "stats_edges", "license_values", "impute_edges"):
        out[f"query/{name}"] = sorted(json.dumps(canon(r), sort_keys=True, default=str) for r in graph.read(name))
    out["query/stats_top_degree"] = canon(graph.read("stats_top_degree", limit=10))
    out["query/impute_declared"] = canon(graph.read("impute_declared", prop="license"))
    out["query/impute_todo_count"] = canon(graph.read("impute_todo_count", prop="license"))
    return out


def test_four_snapshot_weeks_equal_a_fresh_load_of_the_last(graph, cli, weeks):
    for path in weeks:
        report = snapshot.snapshot_load(graph, path, progress=False)
        assert report.snapshot["kind"] == ("first" if path == weeks[0] else "interval")
    deleted_total = sum(r["changes"]["deleted"]["total"] for r in changes.records(graph)[1:])
    assert deleted_total > 0 and node_count(graph, "ModelHistory") > 0
    after_snapshots = graph_dump(graph)
    ids = sample_ids(graph)
    assert any(lineage.show(graph, i)["deleted_at"] for i in ids)  # deleted bases kept as placeholders
    got = answers(graph, cli, ids)

    empty(graph)
    load(graph, weeks[-1], progress=False)
    fresh = graph_dump(graph)
    assert len(after_snapshots["nodes"]) == len(fresh["nodes"])
    assert len(after_snapshots["edges"]) == len(fresh["edges"])
    assert after_snapshots == fresh
    want = answers(graph, cli, ids)
    for key in want:
        assert got[key] == want[key], key
