"""Snapshot loads against the real server: the invariant (a sequence of snapshot loads equals a
fresh load of the latest file), history, refusals, and a killed load that converges.

The weekly files are written at test time by ../shared/tools/evolve_hubstats.py from a small
synth_hubstats.py file (both deterministic with a seed); nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hflineage.loader import kept_copy
from hflineage.loader import snapshot
from hflineage.lineage import analyses, history
from hflineage.lineage import changes
from hflineage.store.errors import InputError, SnapshotRefused
from hflineage.loader.load import load
from hflineage.licenses.propagation import audit_all, downstream, load_policy, model_license

from conftest import SHARED, node_count

KILL_AFTER = Path(__file__).with_name("kill_after.py")
from conftest import canon, empty, sorted_ids
from graphs import N2_DATE, N_DATE, P_DATE, week_n, week_p

TOOLS = SHARED / "tools"
ADD_DATASETS = Path(__file__).parents[1] / "bench" / "add_datasets.py"
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
    plain = [str(week0), *sorted(str(p) for p in (folder / "evolved").glob("snapshot_*.parquet"))]
    # training datasets and successors, as the real rows have them (the generator writes neither)
    out = []
    for week, path in enumerate(plain):
        target = folder / f"with_datasets_{week}.parquet"
        subprocess.run([sys.executable, str(ADD_DATASETS), path, str(target), "--week", str(week), "--seed", "1"],
                       check=True, capture_output=True)
        out.append(str(target))
    return out


def graph_dump(graph) -> dict:
    """Every current node (labels, every property but the history ones) and every edge."""
    hidden = list(history.HISTORY_PROPERTIES)
    records, _, _ = graph.driver.execute_query(
        "MATCH (n:Model) RETURN n.id AS id, labels(n) AS labels, "
        "[k IN keys(n) WHERE NOT k IN $hidden | [k, n[k]]] AS props ORDER BY id",
        hidden=hidden, database_=graph.database)
    nodes = [{"id": r["id"], "labels": sorted(r["labels"]), "props": canon(sorted(r["props"]))} for r in records]
    records, _, _ = graph.driver.execute_query(
        "MATCH (d:Dataset) RETURN d.id AS id, properties(d) AS props ORDER BY id", database_=graph.database)
    nodes += [{"id": r["id"], "labels": ["Dataset"], "props": canon(r["props"])} for r in records]
    records, _, _ = graph.driver.execute_query(
        "MATCH (c)-[e]->(b) RETURN c.id AS c, labels(c) AS cl, type(e) AS t, properties(e) AS p, b.id AS b, "
        "labels(b) AS bl ORDER BY c, b, t", database_=graph.database)
    edges = [canon({**r.data(), "cl": sorted(r["cl"]), "bl": sorted(r["bl"])}) for r in records]
    return {"nodes": nodes, "edges": edges}


def _gained(previous: str, current: str) -> int:
    """Models of both files that name no new_version in the first and a valid one in the second."""
    def new_versions(path):
        rows = pq.read_table(path, columns=["id", "cardData"]).to_pylist()
        return {r["id"]: (json.loads(r["cardData"]) if r["cardData"] else {}).get("new_version") for r in rows}
    before, after = new_versions(previous), new_versions(current)
    return sum(1 for i, v in after.items() if i in before and before[i] is None and v is not None)


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
        "show": {i: canon({k: v for k, v in analyses.show(graph, i).items() if k not in HISTORY_KEYS}) for i in ids},
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
                                                         if k not in history.HISTORY_PROPERTIES}}
                                   for r in graph.read("show", model_id=i)]) for i in ids}
    out["query/impact"] = sorted_ids(canon(graph.read("impact", ids=ids[:25])))
    for name in ("stats_depth_histogram", "stats_relation_mix", "stats_edges", "license_values", "impute_edges"):
        out[f"query/{name}"] = sorted(json.dumps(canon(r), sort_keys=True, default=str) for r in graph.read(name))
    out["query/stats_top_degree"] = canon(graph.read("stats_top_degree", limit=10))
    out["query/impute_declared"] = canon(graph.read("impute_declared", prop="license"))
    out["query/impute_todo_count"] = canon(graph.read("impute_todo_count", prop="license"))
    return out


def same_state(kept: kept_copy.State, read: kept_copy.State) -> None:
    """The copy a snapshot load keeps reads as the stored graph does (row order aside; the
    ``history`` column only matters on models, and no current model has any)."""
    def rows(table, keys):
        return table.sort_by([(k, "ascending") for k in keys]).to_pylist()

    def whole(state):  # a kept copy holds the LIGHT columns; the others are read by column()
        return pa.table({n: state.column(n) for n in kept_copy.TABLE_SCHEMA.names if n != "history"})

    assert not any(read.models["history"].to_pylist())
    assert rows(whole(kept), ["id"]) == rows(whole(read), ["id"])
    assert rows(kept.edges, ["child", "base", "type"]) == rows(read.edges, ["child", "base", "type"])
    assert rows(kept.stored_derived(), ["id"]) == rows(read.stored_derived(), ["id"])


def test_four_snapshot_weeks_equal_a_fresh_load_of_the_last(graph, cli, weeks):
    for path in weeks:
        report = snapshot.snapshot_load(graph, path, progress=False)
        assert report.snapshot["kind"] == ("first" if path == weeks[0] else "interval")
        if path != weeks[0]:
            assert report.snapshot["compared_with"] == "kept copy"
        kept = kept_copy.kept_state(graph)
        assert kept is not None
        stored = kept_copy.read_state(graph, progress=False)
        same_state(kept, stored)
        assert changes.records(graph)[-1]["top_families"] == changes.top_families(stored.view())
    gained = [r["changes"]["new_version"]["total"] for r in changes.records(graph)[1:]]
    assert gained == [_gained(a, b) for a, b in zip(weeks, weeks[1:])] and all(gained)
    deleted_total = sum(r["changes"]["deleted"]["total"] for r in changes.records(graph)[1:])
    assert deleted_total > 0 and node_count(graph, "ModelHistory") > 0
    after_snapshots = graph_dump(graph)
    ids = sample_ids(graph)
    assert any(analyses.show(graph, i)["deleted_at"] for i in ids)  # deleted bases kept as placeholders
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


# --- known answers -----------------------------------------------------------------------------

D = dt.datetime






def labels_of(graph, model_id: str) -> list[str]:
    records, _, _ = graph.driver.execute_query("MATCH (n {id: $id}) RETURN labels(n) AS l", id=model_id,
                                               database_=graph.database)
    return [sorted(r["l"]) for r in records]


def test_known_answer_interval(graph, make_parquet, cli):
    first = snapshot.snapshot_load(graph, make_parquet(week_p()), P_DATE, progress=False)
    assert first.snapshot == {"date": P_DATE, "previous": None, "kind": "first"} and first.changes is None
    report = snapshot.snapshot_load(graph, make_parquet(week_n()), N_DATE, progress=False)
    assert report.dropped_edges == {"cycle": 1}
    c = report.changes
    zero = {"adapter": 0, "finetune": 0, "quantized": 0, "merge": 0}
    assert c["models"] == {"previous": 13, "current": 13}
    assert c["added"] == {"total": 4, "isolated": 1, "derived": 2, "base": 1, "relational": 3, **zero, "finetune": 2}
    assert c["deleted"] == {"total": 4, "isolated": 1, "derived": 2, "base": 1, "relational": 3,
                            **zero, "finetune": 1, "adapter": 1}
    assert c["updated"] == {"total": 1, "isolated": 0, "derived": 1, "base": 0, "relational": 1, **zero, "finetune": 1}
    assert c["rebased"] == {"total": 2, "isolated": 0, "derived": 2, "base": 0, "relational": 2,
                            **zero, "finetune": 1, "adapter": 1}
    assert (c["in_new_families"], c["in_existing_families"]) == (2, 1)
    assert (c["new_chains"], c["deleted_chains"]) == (2, 2)
    assert (c["new_families"], c["deleted_families"]) == (1, 1)
    assert c["deletion_impact"] == {
        "deleted_base_models": 2, "affected_derived": 1, "affected_downstream": 1, "orphaned": 0,
        "merges_losing_parent": 1, "downstream_downloads": 7, "downstream_downloads_all_time": 70,
        "disrupted_chains": 2, "disrupted_families": 2}
    assert c["top_families"] == [
        {"rank": 1, "family": "org/A", "size": 4, "added": 1, "previous_size": 7},
        {"rank": 2, "family": "org/K", "size": 4, "added": 0, "previous_size": 7},
        {"rank": 3, "family": "cyc/P1", "size": 2, "added": 0, "previous_size": 1},
        {"rank": 4, "family": "org/New", "size": 2, "added": 2, "previous_size": 0}]
    assert (c["added_in_top"], c["deleted_in_top"]) == (3, 3)

    # the stored record, through the CLI
    doc = json.loads(cli("changes", "--format", "json").stdout)
    assert [s["date"] for s in doc["snapshots"]] == [P_DATE, N_DATE]
    assert doc["intervals"] == [{"from": P_DATE, "to": N_DATE, **c}]
    assert [(f["family"], f["rank_first"], f["rank_last"], f["rank_change"]) for f in doc["top_families"]["families"]] \
        == [("org/A", 1, 1, 0), ("org/K", None, 2, None), ("cyc/P1", None, 3, None), ("org/New", None, 4, None),
            ("fam/R", 2, None, None)]
    csv_rows = cli("changes", "--format", "csv").stdout.splitlines()
    assert len(csv_rows) == 2 and "deletion_impact_orphaned" in csv_rows[0].split(",")
    listed = json.loads(cli("changes", "--list", "added", "--format", "json").stdout)
    assert listed["models"] == [{"id": "iso/Add", "class": "isolated", "relation": None},
                                {"id": "org/New", "class": "base", "relation": None},
                                {"id": "u/L2", "class": "derived", "relation": "finetune"},
                                {"id": "u/NewFt", "class": "derived", "relation": "finetune"}]
    rebased = json.loads(cli("changes", "--list", "rebased", "--week", N_DATE, "--format", "json").stdout)
    assert [(m["id"], m["relation"]) for m in rebased["models"]] == [("cyc/P2", "finetune"), ("u/D", "adapter")]
    impact = json.loads(cli("changes", "--deleted-impact", "--format", "json").stdout)
    assert impact["models"] == [
        {"id": "u/B", "affected_downstream": 1, "downstream_downloads": 7, "downstream_downloads_all_time": 70},
        {"id": "fam/R", "affected_downstream": 0, "downstream_downloads": 0, "downstream_downloads_all_time": 0}]

    # history: B stays M's base as a placeholder; R, S and I left the current graph
    assert labels_of(graph, "u/B") == [["Missing", "Model"]]
    assert labels_of(graph, "fam/S") == [["ModelHistory"]]
    b = analyses.show(graph, "u/B")
    assert (b["missing"], b["deleted_at"], b["last_seen"], b["first_seen"]) == (True, N_DATE, P_DATE, P_DATE)
    assert b["last_bases"] == [{"id": "org/A", "relation": "finetune"}]
    assert b["properties"] == {"id": "u/B"} and b["children"]["merge"] == 1
    shown = cli("show", "fam/S", "--format", "json")
    assert shown.exit_code == 0
    s = json.loads(shown.stdout)
    assert (s["deleted_at"], s["last_bases"]) == (N_DATE, [{"id": "fam/R", "relation": "adapter"}])
    assert s["last_properties"]["downloads"] == 5 and s["parents"] == [] and s["descendants"] == 0
    assert analyses.show(graph, "u/L2")["first_seen"] == N_DATE
    assert analyses.show(graph, "org/A")["first_seen"] == P_DATE
    assert analyses.show(graph, "org/A")["last_seen"] == N_DATE
    assert graph.read("deleted_impact", model_id="u/B")[0]["affected_derived"] == [{"id": "u/M", "relation": "merge"}]
    # current answers ignore history: R and S are in no license answer, no stats
    assert "fam/R" not in json.dumps(cli("license", "audit", "--all", "--format", "json").stdout)
    assert analyses.stats(graph)["models"] == 14  # 13 models and the placeholder u/B

    # N2: S added again (its base R, deleted, comes back as a placeholder); M deleted, so B is
    # referenced no more and leaves the current graph
    rows = [r for r in week_n() if r["id"] != "u/M"]
    rows.append({"id": "fam/S", "base": ["fam/R"], "relation": "adapter", "lastModified": D(2025, 1, 12)})
    third = snapshot.snapshot_load(graph, make_parquet(rows), N2_DATE, progress=False)
    assert third.changes["added"]["total"] == 1 and third.changes["deleted"]["total"] == 1
    s = analyses.show(graph, "fam/S")
    assert (s["first_seen"], s["deleted_at"], s["last_seen"]) == (P_DATE, None, N2_DATE)
    assert s["parents"] == [{"id": "fam/R", "relation": "adapter", "declared": True, "missing": True}]
    r = analyses.show(graph, "fam/R")
    assert (r["missing"], r["deleted_at"], r["properties"]) == (True, N_DATE, {"id": "fam/R"})
    assert labels_of(graph, "u/B") == [["ModelHistory"]]
    assert labels_of(graph, "u/M") == [["ModelHistory"]]


def test_counters_are_written_by_node_id_and_through_the_id_where_that_fails(graph, make_parquet):
    """stored_nodes gives each row of the kept copy its model's node id; snapshot/set_counters
    writes a model found by a node id that still is its own, and falls back to the id index for
    an unknown node id, a node id that is gone, and one that is another model's."""
    snapshot.snapshot_load(graph, make_parquet(week_p()), P_DATE, progress=False)
    folder, nodes = kept_copy.stored_nodes(graph, kept_copy.kept_folder(graph))
    table = kept_copy.kept_state(graph).table
    records, _, _ = graph.driver.execute_query("MATCH (m:Model) RETURN m.id AS id, id(m) AS node",
                                               database_=graph.database)
    node_of = {r["id"]: r["node"] for r in records}
    assert folder == kept_copy.kept_folder(graph)
    assert nodes.tolist() == [node_of[i] for i in table["id"].to_pylist()]

    ids = sorted(node_of)[:4]
    given = [node_of[ids[0]], None, 10**12, node_of[ids[0]]]  # right, unknown, gone, another model's
    graph.write("snapshot/set_counters", ids=ids, nodes=given, downloads=[101, 102, 103, 104],
                downloadsAllTime=[201, 202, 203, 204], likes=[1, 2, 3, 4], trendingScore=[0.5, 1.5, 2.5, 3.5])
    records, _, _ = graph.driver.execute_query(
        "UNWIND $ids AS i MATCH (m:Model {id: i}) RETURN m.downloads AS d, m.downloadsAllTime AS a, m.likes AS l, "
        "m.trendingScore AS t", ids=ids, database_=graph.database)
    assert [tuple(r.values()) for r in records] == [(101, 201, 1, 0.5), (102, 202, 2, 1.5), (103, 203, 3, 2.5),
                                                   (104, 204, 4, 3.5)]


def test_refusals_and_plain_loads(graph, make_parquet, cli):
    snapshot.snapshot_load(graph, make_parquet(week_p()), P_DATE, progress=False)
    snapshot.snapshot_load(graph, make_parquet(week_n()), N_DATE, progress=False)
    before = graph_dump(graph)
    for date in (N_DATE, P_DATE):
        result = cli("load", make_parquet(week_p()), "--snapshot", date)
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            f"error: snapshot {date} is not later than the latest stored snapshot {N_DATE}; nothing written"]
    result = cli("load", make_parquet(week_p()), "--snapshot", "next week")
    assert result.exit_code == 2 and "is not a date" in result.stderr
    # the file's own date: its latest timestamp is 2024-06-01, older than N
    with pytest.raises(SnapshotRefused):
        snapshot.snapshot_load(graph, make_parquet(week_p()), progress=False)
    # a defective file: one line naming the column, nothing written (no pending record either)
    bad = make_parquet([{"id": "x/y", "downloads": "many"}],
                       schema=pa.schema([("id", pa.string()), ("downloads", pa.string())]))
    result = cli("load", bad, "--snapshot", "2025-02-01")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "'downloads'" in result.stderr
    assert graph_dump(graph) == before
    assert len(changes.records(graph)) == 2 and not graph.read("snapshot/pending")
    # a plain load deletes nothing, even of a file that lacks almost every model
    report = load(graph, make_parquet([{"id": "iso/J", "downloads": 9}, {"id": "u/new"}]), progress=False)
    assert report.models == 2
    assert node_count(graph) == 15 and node_count(graph, "ModelHistory") == 3
    # a plain load naming deleted models makes them current again, never a second node per id
    gone = sorted(r["id"] for r in graph.driver.execute_query(
        "MATCH (h:ModelHistory) RETURN h.id AS id", database_=graph.database)[0])
    back, as_base = gone[0], gone[1]
    load(graph, make_parquet([{"id": back}, {"id": "u/child", "base": [as_base], "relation": "finetune"}]),
         progress=False)
    assert labels_of(graph, back) == [["Model"]] and labels_of(graph, as_base) == [["Missing", "Model"]]
    assert node_count(graph, "ModelHistory") == 1 and node_count(graph) == 18


def test_file_date_is_the_latest_timestamp(graph, make_parquet):
    rows = [{"id": "a/x", "createdAt": D(2025, 3, 1, 23, 59)}, {"id": "a/y", "lastModified": D(2025, 3, 4, 0, 1)}]
    report = snapshot.snapshot_load(graph, make_parquet(rows), progress=False)
    assert report.snapshot["date"] == "2025-03-04"


def test_killed_snapshot_load_converges(graph, weeks):
    """A snapshot load killed after its model rows are written, again after its stale edges
    are deleted, and again after it kept its copy of the graph but before its commit, then run
    again, leaves the same graph and record as one clean run (the copy is not trusted: the
    killed runs committed transactions after it)."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    env = {**os.environ, "HFLINEAGE_NO_PROGRESS": "1"}
    command = [sys.executable, "-m", "hflineage.cli", "load", weeks[1], "--snapshot"]
    for step in ("snapshot/write_models", "snapshot/delete_edges", "snapshot/copy_kept"):
        killed = subprocess.run([sys.executable, str(KILL_AFTER), step, *command[3:]], env=env, capture_output=True)
        assert killed.returncode == -signal.SIGKILL
        record = graph.read("snapshot/pending")[0]["record"]
        assert record["date"] == "2025-10-30"
        if step != "snapshot/copy_kept":
            # the figures were being computed beside the writes: the re-run computes them again
            # from the copy of the graph the killed load compared with
            assert "changes" not in record and (kept_copy.state_folder() / record["base"] / "table.arrow").is_file()
        assert [r["date"] for r in changes.records(graph)] == ["2025-10-23"]
    # another snapshot is refused while this one is unfinished
    with pytest.raises(SnapshotRefused, match="did not finish"):
        snapshot.snapshot_load(graph, weeks[2], progress=False)
    rerun = subprocess.run([*command, "--format", "json"], env=env, check=True, capture_output=True, text=True)
    assert json.loads(rerun.stdout)["snapshot"]["compared_with"] == "stored graph"
    resumed = everything(graph), changes.records(graph)
    assert not graph.read("snapshot/pending")

    empty(graph)
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    snapshot.snapshot_load(graph, weeks[1], progress=False)
    clean = everything(graph), changes.records(graph)
    assert resumed[0] == clean[0]
    assert resumed[1] == clean[1]


def everything(graph) -> list:
    """Every node (current, history, records) with all labels and properties, and every edge; the
    graph version's last probe (a random token each snapshot load writes) aside."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (n) RETURN coalesce(n.id, n.date) AS key, labels(n) AS labels, "
        "CASE WHEN n:GraphVersion THEN n {.*, probe: null} ELSE properties(n) END AS props ORDER BY key",
        database_=graph.database)
    nodes = [canon({"key": r["key"], "labels": sorted(r["labels"]), "props": r["props"]}) for r in records]
    records, _, _ = graph.driver.execute_query(
        "MATCH (c)-[e]->(b) RETURN c.id AS c, type(e) AS t, properties(e) AS p, b.id AS b ORDER BY c, b, t",
        database_=graph.database)
    return [nodes, [canon(r.data()) for r in records]]


def test_killed_load_that_read_the_stored_graph_converges(graph, weeks):
    """Without a trusted copy the load reads the stored graph into a copy of its own; killed,
    its pending record names that copy (kept past the hour unfinished copies get), the re-run
    computes the figures from it, and the result equals a clean run's."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    load(graph, weeks[1], progress=False)  # a plain load: the kept copy is no longer trusted
    env = {**os.environ, "HFLINEAGE_NO_PROGRESS": "1"}
    command = [sys.executable, "-m", "hflineage.cli", "load", weeks[2], "--snapshot"]
    killed = subprocess.run([sys.executable, str(KILL_AFTER), "snapshot/write_models", *command[3:]], env=env,
                            capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    base = graph.read("snapshot/pending")[0]["record"]["base"]
    assert base.startswith("stored-") and (kept_copy.state_folder() / base / "table.arrow").is_file()
    subprocess.run(command, env=env, check=True, capture_output=True)
    resumed = everything(graph), changes.records(graph)
    assert not [p for p in kept_copy.state_folder().iterdir() if p.name.startswith("stored-")]

    empty(graph)
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    load(graph, weeks[1], progress=False)
    snapshot.snapshot_load(graph, weeks[2], progress=False)
    assert resumed == (everything(graph), changes.records(graph))


def test_kept_copy_is_trusted_only_while_nothing_else_wrote(graph, weeks):
    """A snapshot load compares with the copy the last one kept only while nobody has committed
    anything since: after any other write through hflineage, or an outside edit (even one undone
    since, the counts back as they were), it reads the stored graph instead."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    assert kept_copy.kept_state(graph) is not None
    load(graph, weeks[1], progress=False)  # a plain load: a new version
    assert kept_copy.kept_state(graph) is None
    report = snapshot.snapshot_load(graph, weeks[2], progress=False)
    assert report.snapshot["compared_with"] == "stored graph"
    assert kept_copy.kept_state(graph) is not None
    # the copy it read the stored graph into (named in its pending record) went with its commit
    assert not [p.name for p in kept_copy.state_folder().iterdir() if p.name.startswith("stored-")]
    graph.driver.execute_query("CREATE (:Model {id: 'outside/edit'})", database_=graph.database)
    assert kept_copy.kept_state(graph) is None
    graph.driver.execute_query("MATCH (m:Model {id: 'outside/edit'}) DELETE m", database_=graph.database)
    # the counts are back, but two transactions were committed since the copy: not trusted
    assert kept_copy.kept_state(graph) is None
    report = snapshot.snapshot_load(graph, weeks[3], progress=False)
    assert report.snapshot["compared_with"] == "stored graph"
    report = snapshot.snapshot_load(graph, weeks[4], progress=False)
    assert report.snapshot["compared_with"] == "kept copy"


# --- the kept copy is trusted only while nobody at all has committed since ---------------------

def _edge_to_move(graph) -> tuple[str, str, str]:
    """A finetune edge (child, base) and another model (not the child, not a descendant of it)
    that the edge can be moved to: the counts stay, the lineage changes."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (c:Model)-[:FINETUNE_OF]->(b:Model) WHERE NOT c:Missing AND NOT b:Missing "
        "MATCH (x:Model) WHERE NOT x:Missing AND x <> b AND x <> c AND NOT (x)-[*]->(c) "
        "RETURN c.id AS child, b.id AS base, x.id AS other ORDER BY child, base, other LIMIT 1",
        database_=graph.database, routing_="r")
    return records[0]["child"], records[0]["base"], records[0]["other"]


MOVE_EDGE = ("MATCH (c:Model {id: $child})-[e:FINETUNE_OF]->(:Model {id: $base}) DELETE e "
             "WITH DISTINCT c MATCH (x:Model {id: $other}) CREATE (c)-[:FINETUNE_OF {declared: true}]->(x)")


def _edit_in_browser(page, query: str, params: dict) -> None:
    """Type ``query`` into Neo4j Browser's editor (``page``: logged in), as a user would, and run it."""
    text = query
    for key, value in params.items():  # the user types the values in: they are our own test ids
        text = text.replace(f"${key}", json.dumps(value))
    page.locator("[data-testid=activeEditor]").first.click()
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")
    page.get_by_text("Deleted 1 relationship", exact=False).first.wait_for(timeout=60_000)


@pytest.mark.parametrize("how", ["query --write", "driver", "browser"])
def test_an_edit_that_keeps_the_counts_makes_the_next_load_read_the_graph(graph, cli, weeks, how, request):
    """After a snapshot load, an edit that keeps every count (a property changed through
    ``hflineage query --write``; a base edge moved by a raw driver transaction or typed into
    Neo4j Browser) leaves the kept copy untrusted, and the next snapshot load equals a fresh
    load of its file, model by model and edge by edge."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    assert kept_copy.kept_state(graph) is not None
    if how == "query --write":
        records, _, _ = graph.driver.execute_query(
            "MATCH (m:Model) WHERE NOT m:Missing RETURN m.id AS id ORDER BY id LIMIT 1", database_=graph.database,
            routing_="r")
        model = records[0]["id"]
        r = cli("query", "snapshot/set_counters", "--write", "-j", "ids", json.dumps([model]), "-j", "nodes", "[null]",
                "-j", "downloads", "[987654321]", "-j", "downloadsAllTime", "[1]", "-j", "likes", "[2]",
                "-j", "trendingScore", "[3.5]")
        assert r.exit_code == 0, r.output
    else:
        child, base, other = _edge_to_move(graph)
        params = {"child": child, "base": base, "other": other}
        if how == "driver":
            with graph.driver.session(database=graph.database) as session:
                session.execute_write(lambda tx: tx.run(MOVE_EDGE, params).consume())
        else:
            _edit_in_browser(request.getfixturevalue("neo4j_browser"), MOVE_EDGE, params)
        assert (child, base, "FINETUNE_OF") not in {(e["c"], e["b"], e["t"]) for e in graph_dump(graph)["edges"]}
    assert kept_copy.kept_state(graph) is None
    report = snapshot.snapshot_load(graph, weeks[1], progress=False)
    assert report.snapshot["compared_with"] == "stored graph"
    after = graph_dump(graph)

    empty(graph)
    load(graph, weeks[1], progress=False)
    assert after == graph_dump(graph)


def test_the_copy_stays_trusted_across_the_load_lock(graph, weeks):
    """The load lock's own writes (taken before, released after a load) are bookkeeping: a
    snapshot load through the API, then another, compares with the kept copy."""
    import hflineage

    with hflineage.connect() as lin:
        lin.load(weeks[0], snapshot=True)
        report = lin.load(weeks[1], snapshot=True)
    assert report.snapshot["compared_with"] == "kept copy"


# --- hostile dates, a damaged copy, resuming by content (issue 24, 7-10) ------------------------

def test_a_future_snapshot_date_is_refused_and_locks_nothing(graph, cli, weeks):
    r = cli("load", weeks[0], "--snapshot", "2099-12-31")
    assert r.exit_code == 2 and "after today" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert node_count(graph) == 0 and changes.records(graph) == []
    r = cli("load", weeks[0], "--snapshot", "")
    assert r.exit_code == 2 and "date is empty" in r.stderr and node_count(graph) == 0
    with pytest.raises(InputError, match="date is empty"):
        snapshot.snapshot_load(graph, weeks[0], "", progress=False)
    assert cli("load", weeks[0], "--snapshot").exit_code == 0  # the file's own date
    assert cli("load", weeks[1], "--snapshot").exit_code == 0  # and the next week is not refused


def test_rows_dated_in_the_future_do_not_date_the_snapshot(graph, make_parquet):
    rows = [{"id": "a/x", "createdAt": D(2025, 3, 1)}, {"id": "a/y", "lastModified": D(2025, 3, 4, 0, 1)},
            {"id": "evil/z", "createdAt": D(2099, 12, 31), "lastModified": D(9999, 12, 31, 23, 59)}]
    report = snapshot.snapshot_load(graph, make_parquet(rows), progress=False)
    assert report.snapshot["date"] == "2025-03-04"
    later = snapshot.snapshot_load(graph, make_parquet([{"id": "a/x", "lastModified": D(2025, 3, 11)}]),
                                   progress=False)
    assert later.snapshot["date"] == "2025-03-11"


@pytest.mark.parametrize("damage", ["truncated table", "empty derived values", "edited edges"])
def test_a_damaged_kept_copy_is_not_used(graph, cli, weeks, damage):
    """Any damage to the kept copy is found before the copy is used: the load reads the stored
    graph instead, says so, and leaves what a fresh load of the file leaves; no traceback."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    folder = kept_copy.kept_folder(graph)
    assert folder is not None
    if damage == "truncated table":
        path = folder / "table.arrow"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "empty derived values":
        (folder / "derived.arrow").write_bytes(b"")
    else:
        path = folder / "edges.arrow"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    assert kept_copy.kept_state(graph) is None
    r = cli("load", weeks[1], "--snapshot", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["snapshot"]["compared_with"] == "stored graph" and "Traceback" not in r.stderr
    after = graph_dump(graph)
    empty(graph)
    load(graph, weeks[1], progress=False)
    assert after == graph_dump(graph)


def test_a_failed_snapshot_load_resumes_from_the_same_file_by_any_path(graph, weeks, tmp_path):
    """A pending load is named by its file's content: the same file by a relative path, or a
    copy of it elsewhere, resumes it; another file is still refused."""
    snapshot.snapshot_load(graph, weeks[0], progress=False)
    env = {**os.environ, "HFLINEAGE_NO_PROGRESS": "1"}
    killed = subprocess.run([sys.executable, str(KILL_AFTER), "snapshot/write_models", "load", weeks[1], "--snapshot"],
                            env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL and graph.read("snapshot/pending")
    with pytest.raises(SnapshotRefused, match="did not finish"):
        snapshot.snapshot_load(graph, weeks[2], progress=False)
    copy = tmp_path / "elsewhere" / "same-week.parquet"
    copy.parent.mkdir()
    copy.write_bytes(Path(weeks[1]).read_bytes())
    relative = os.path.relpath(copy)
    report = snapshot.snapshot_load(graph, relative, progress=False)
    assert not graph.read("snapshot/pending") and report.snapshot["date"] == changes.records(graph)[-1]["date"]
    resumed = graph_dump(graph)
    empty(graph)
    load(graph, weeks[1], progress=False)
    assert resumed == graph_dump(graph)
