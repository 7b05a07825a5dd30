"""Issue 11: no load, crash, race or bad row leaves the graph broken or half-written.

One test per defect class found by the hostile-user run, each reproducing it against the real
server (most severe first). The bad-input corpus is in test_corpus.py, the property test in
test_property.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hflineage.lineage import analyses
from hflineage.store.errors import InputError, LoadLocked
from hflineage.loader.load import load
from hflineage.store.lock import LoadLock, pid_alive

from conftest import graph_edges, node_count

D = dt.datetime


def _query(graph, text, **params):
    records, _, _ = graph.driver.execute_query(text, params, database_=graph.database)
    return [dict(r) for r in records]


def _snapshot(graph):
    """Every node (labels, properties) and edge, for 'the graph is unchanged' checks."""
    nodes = _query(graph, "MATCH (n:Model) RETURN n.id AS id, labels(n) AS labels, properties(n) AS p ORDER BY id")
    return {"nodes": [(n["id"], sorted(n["labels"]), json.dumps(n["p"], sort_keys=True, default=str)) for n in nodes],
            "edges": sorted(graph_edges(graph))}


def _chain(n: int, prefix: str = "c") -> list[dict]:
    rows = [{"id": f"{prefix}/0", "createdAt": D(2023, 1, 1)}]
    rows += [{"id": f"{prefix}/{i}", "base": [f"{prefix}/{i - 1}"], "relation": "finetune",
              "createdAt": D(2023, 1, 1) + dt.timedelta(days=i)} for i in range(1, n)]
    return rows


# 1. two loads at once ------------------------------------------------------------------------

def test_two_loads_at_once_exclude_each_other(graph, make_parquet):
    """Into an empty database, two loads at once used to both take the fast path: every node
    twice, no constraint. Now one waits for nothing: it stops with a one-line LoadLocked."""
    path = make_parquet(_chain(300))
    outcomes: list = []

    def run():
        from hflineage.store.db import Graph
        from hflineage.store.settings import resolve_connection

        with Graph(resolve_connection()) as g:
            try:
                outcomes.append(load(g, path, progress=False, batch_size=100))
            except LoadLocked as e:
                outcomes.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    with LoadLock(graph, "the test"):  # hold the lock so that both collide deterministically
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [type(o).__name__ for o in outcomes] == ["LoadLocked", "LoadLocked"]
    assert "the test" in str(outcomes[0]) and "\n" not in str(outcomes[0])
    assert node_count(graph) == 0
    # released: two loads racing for real, one after the other or one refused, never a duplicate
    outcomes.clear()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert any(not isinstance(o, LoadLocked) for o in outcomes)
    assert _query(graph, "MATCH (m:Model) WITH m.id AS id, count(*) AS n WHERE n > 1 RETURN count(*) AS dup")[0]["dup"] == 0
    assert node_count(graph) == 300
    assert _query(graph, "SHOW CONSTRAINTS YIELD name WHERE name = 'model_id_unique' RETURN count(*) AS n")[0]["n"] == 1
    assert _query(graph, "MATCH (l:LoadLock) RETURN count(l) AS n")[0]["n"] == 0


def test_a_stale_lock_of_a_dead_process_on_this_host_is_taken_over(graph, make_parquet):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket
    graph.write("load/lock_schema")
    graph.write("load/lock_acquire", lock="load", token="stale", owner="x", host=socket.gethostname(),
                pid=dead.pid, source="killed.parquet")
    report = load(graph, make_parquet(_chain(3)), progress=False)
    assert report.models == 3
    # a holder on another host is not guessed dead: one line, and --force takes it
    graph.write("load/lock_acquire", lock="load", token="other", owner="y", host="elsewhere", pid=1, source="f")
    with pytest.raises(LoadLocked, match="elsewhere|f \\(y\\)"):
        load(graph, make_parquet(_chain(3)), progress=False)
    assert load(graph, make_parquet(_chain(3)), progress=False, force=True).models == 3


# 2. a cycle through stored edges ---------------------------------------------------------------

def test_a_partial_load_cannot_close_a_cycle_with_stored_edges(graph, make_parquet, cli):
    """A <- B <- C stored; a file holding only A with base C closed a cycle the file alone did
    not show. The cycle is broken over the combined edges by SPEC's rule and counted."""
    load(graph, make_parquet([
        {"id": "o/A", "createdAt": D(2023, 1, 1)},
        {"id": "o/B", "base": ["o/A"], "relation": "finetune", "createdAt": D(2023, 2, 1)},
        {"id": "o/C", "base": ["o/B"], "relation": "finetune", "createdAt": D(2023, 3, 1)},
    ]), progress=False)
    report = load(graph, make_parquet([
        {"id": "o/A", "base": ["o/C"], "relation": "finetune", "createdAt": D(2023, 1, 1)}]), progress=False)
    # margins: A->C: C is 59 days newer than A (largest); B->A, C->B: bases older
    assert report.dropped_edges == {"cycle": 1}
    assert graph_edges(graph) == {("o/B", "FINETUNE_OF", "o/A"), ("o/C", "FINETUNE_OF", "o/B")}
    assert [analyses.show(graph, f"o/{m}")["depth"] for m in "ABC"] == [0, 1, 2]
    for args in (["stats"], ["impact", "o/A", "--list"], ["license", "o/C"]):
        assert cli(*args, "--format", "json").exit_code == 0


def test_a_stored_edge_is_the_victim_when_the_rule_says_so(graph, make_parquet):
    """Stored: B -> A where A is much newer than B. The file adds A -> B (B older): the stored
    edge has the largest margin, so it is the one deleted."""
    load(graph, make_parquet([
        {"id": "o/A", "createdAt": D(2024, 1, 1)},
        {"id": "o/B", "base": ["o/A"], "relation": "finetune", "createdAt": D(2020, 1, 1)},
    ]), progress=False)
    report = load(graph, make_parquet([
        {"id": "o/A", "base": ["o/B"], "relation": "adapter", "createdAt": D(2024, 1, 1)}]), progress=False)
    assert report.dropped_edges == {"cycle": 1}
    assert graph_edges(graph) == {("o/A", "ADAPTER_OF", "o/B")}
    assert analyses.show(graph, "o/A")["depth"] == 1 and analyses.show(graph, "o/B")["depth"] == 0


# 3. a value over the index key limit ---------------------------------------------------------------

@pytest.mark.parametrize("fresh", [True, False])
def test_a_huge_id_or_tag_is_skipped_never_a_broken_schema(graph, make_parquet, fresh):
    if not fresh:
        load(graph, make_parquet(_chain(3)), progress=False)
    rows = [
        {"id": "x" * 100_000},
        {"id": "o/long-license", "tags": ["license:" + "l" * 10_000]},
        {"id": "o/ok", "base": ["y" * 9_000, "c/0"], "relation": "merge"},
    ]
    report = load(graph, make_parquet(rows), progress=False)
    assert report.rows_skipped == {"id_too_long": 1, "value_too_long": 1}
    assert report.dropped_edges == {"base_id_too_long": 1}
    states = _query(graph, "SHOW INDEXES YIELD name, state RETURN collect(DISTINCT state) AS s")[0]["s"]
    assert states == ["ONLINE"]
    assert _query(graph, "SHOW CONSTRAINTS YIELD name WHERE name = 'model_id_unique' RETURN count(*) AS n")[0]["n"] == 1
    assert analyses.show(graph, "o/ok")["parents"][0]["id"] == "c/0"
    # the database still takes loads
    assert load(graph, make_parquet(_chain(4)), progress=False).models == 4


# 4. a failure midway leaves the graph as it was ----------------------------------------------------

def test_a_bad_late_row_stops_the_load_before_the_first_write(graph, make_parquet):
    load(graph, make_parquet(_chain(30)), progress=False, batch_size=100)
    before = _snapshot(graph)
    table = pa.Table.from_pylist(
        [{"id": f"c/{i}", "createdAt": 1_700_000_000_000 + i} for i in range(250)]
        + [{"id": "late/bad", "createdAt": 2 ** 62}],
        schema=pa.schema([("id", pa.string()), ("createdAt", pa.timestamp("ms"))]))
    path = Path(make_parquet([])).with_name("late.parquet")
    pq.write_table(table, path, row_group_size=100)
    with pytest.raises(InputError, match=r"row 250: column 'createdAt'.*outside years 1-9999"):
        load(graph, str(path), progress=False, batch_size=100)
    assert _snapshot(graph) == before


# 5. timestamp units ----------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_every_timestamp_unit_and_zone_is_the_same_instant(graph, tmp_path, unit, tz):
    instant = dt.datetime(2024, 2, 29, 12, 30, 15, tzinfo=dt.timezone.utc)
    value = pa.array([instant], pa.timestamp("us", tz="UTC")).cast(pa.timestamp(unit, tz="UTC"))
    value = value.cast(pa.timestamp(unit, tz=tz)) if tz else value.cast(pa.timestamp(unit))
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["t/1"], "createdAt": value}), path)
    load(graph, str(path), progress=False)
    stored = _query(graph, "MATCH (m:Model {id: 't/1'}) RETURN toString(m.createdAt) AS t")[0]["t"]
    assert stored == "2024-02-29T12:30:15Z"


# 6. readers never see a model without its edges -----------------------------------------------------

def test_a_reader_during_an_update_load_sees_each_model_whole(graph, make_parquet):
    """While a load rewrites 800 models' edges (batches of 100, two writers), a reader keeps
    asking one of them: it must always see its one parent and a depth that matches."""
    rows = [{"id": "r/root"}] + [{"id": f"r/{i}", "base": ["r/root"], "relation": "finetune"} for i in range(800)]
    load(graph, make_parquet(rows), progress=False)
    moved = [{"id": "r/root2"}] + [{"id": f"r/{i}", "base": ["r/root2"], "relation": "adapter"} for i in range(800)]
    path = make_parquet(moved)
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            doc = analyses.show(graph, "r/799")
            seen.append((len(doc["parents"]), doc["depth"]))

    t = threading.Thread(target=reader)
    t.start()
    try:
        load(graph, path, progress=False, batch_size=100)
    finally:
        stop.set()
        t.join()
    assert seen and set(seen) == {(1, 1)}
    assert analyses.show(graph, "r/799")["parents"][0]["id"] == "r/root2"


def test_answers_read_across_models_say_when_a_load_was_writing(graph, make_parquet, cli):
    """A license or impact answer reads many models, and a load commits a batch at a time, so
    an answer read during a load can mix both sides of it: it says so on stderr (one line), and
    the JSON on stdout stays clean. No note when no load runs."""
    load(graph, make_parquet([{"id": "n/base", "license": "llama3"},
                              {"id": "n/child", "base": ["n/base"], "relation": "finetune"}]), progress=False)
    quiet = cli("license", "n/child", "--format", "json")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    with LoadLock(graph, "week-48.parquet"):
        for args in (("license", "n/child"), ("license", "downstream", "n/base"), ("impact", "n/base")):
            during = cli(*args, "--format", "json")
            assert during.exit_code == 0, during.stderr
            json.loads(during.stdout)
            lines = during.stderr.strip().splitlines()
            assert len(lines) == 1 and "a load was writing" in lines[0] and "week-48.parquet" in lines[0], args
        assert json.loads(cli("license", "n/child", "--format", "json").stdout) == json.loads(quiet.stdout)
    assert cli("impact", "n/base", "--format", "json").stderr == ""


# 7. wrong nested types are one line before any write ---------------------------------------------------

@pytest.mark.parametrize("column,array,words", [
    ("safetensors", pa.array([{"total": "7B"}], pa.struct([("total", pa.string())])), "safetensors"),
    ("baseModels", pa.array([{"relation": "finetune", "models": [{"_id": "x", "id": 5}]}],
                            pa.struct([("relation", pa.string()),
                                       ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.int64())])))])),
     "baseModels"),
    ("createdAt", pa.array([2 ** 62], pa.int64()).cast(pa.timestamp("ms")), "createdAt"),
])
def test_a_wrong_nested_type_is_one_line(graph, tmp_path, cli, column, array, words):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["w/1"], column: array}), path)
    result = cli("load", str(path))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
    assert "Traceback" not in result.stderr
    assert node_count(graph) == 0


# 8. an unreachable server fails fast and quietly ------------------------------------------------------

def test_an_unreachable_server_is_one_line_in_seconds():
    env = dict(os.environ, NEO4J_URI="bolt://127.0.0.1:9", NEO4J_PASSWORD="whatever1")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hflineage.cli", "stats"], env=env, capture_output=True,
                          text=True, timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "cannot reach Neo4j" in proc.stderr
    assert took < 15, took


# 9. secrets and files -----------------------------------------------------------------------------------

def test_the_password_is_never_in_argv_and_the_home_is_private(tmp_path, monkeypatch):
    """First start with NEO4J_PASSWORD: the password file is written (0600) and the home is
    0700; the admin tool gets the password through a Java argument file, not argv."""
    from hflineage.server import manage

    home = tmp_path / "home"
    monkeypatch.setenv("HFLINEAGE_HOME", str(home))
    monkeypatch.setenv("NEO4J_PASSWORD", 'pa"ss \\word1')
    server = manage.LocalServer(home)
    server.write_config()
    seen = {}
    real_run = subprocess.run

    def spy(cmd, **kw):
        if not cmd[-1].startswith("@"):  # java -version
            return real_run(cmd, **kw)
        seen["cmd"] = cmd
        seen["argfile"] = Path(cmd[-1][1:]).read_text()
        seen["mode"] = Path(cmd[-1][1:]).stat().st_mode & 0o777
        return real_run(cmd, **kw)

    monkeypatch.setattr(manage.subprocess, "run", spy)
    password = server._password_for_first_start()
    proc = server._set_initial_password(password)
    assert proc.returncode == 0, proc.stderr
    assert all(password not in part for part in seen["cmd"])
    assert seen["mode"] == 0o600 and '"pa\\"ss \\\\word1"' in seen["argfile"]
    assert not any((home / "run").glob("*.args"))
    assert (home / "password").read_text().strip() == password
    assert (home / "password").stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o777 == 0o700
    # the file outlives the variable
    monkeypatch.delenv("NEO4J_PASSWORD")
    assert manage.LocalServer(home).read_password() == password


# 10. no baseModels column keeps the stored edges ---------------------------------------------------------

def test_a_file_without_basemodels_keeps_the_stored_edges(graph, make_parquet, tmp_path):
    load(graph, make_parquet(_chain(3)), progress=False)
    path = tmp_path / "nobases.parquet"
    pq.write_table(pa.table({"id": ["c/1", "c/2", "n/new"], "downloads": [5, 6, 7],
                             "cardData": [None, None, json.dumps({"base_model": "c/0"})]}), path)
    report = load(graph, str(path), progress=False)
    assert report.kept_base_edges == 2
    assert graph_edges(graph) == {("c/1", "FINETUNE_OF", "c/0"), ("c/2", "FINETUNE_OF", "c/1"),
                                  ("n/new", "FINETUNE_OF", "c/0")}
    assert analyses.show(graph, "c/2")["properties"]["downloads"] == 6
    assert analyses.show(graph, "c/0")["descendants"] == 3


# 11. query -p takes text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", ["123", "true", "null", "{}"])
def test_query_p_passes_ids_as_text(graph, make_parquet, cli, model_id):
    load(graph, make_parquet([{"id": model_id}]), progress=False)
    result = cli("query", "show", "-p", "model_id", model_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == [model_id]


# 12. an interrupted loader cleans up and says so ---------------------------------------------------------------

def test_sigterm_during_a_load_removes_the_spool_and_releases_the_lock(graph, make_parquet, tmp_path):
    rows = [{"id": f"s/{i}", "base": [f"s/{i - 1}"] if i else None, "relation": "finetune" if i else None}
            for i in range(60_000)]
    path = make_parquet(rows)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    stale = tmp / "hflineage-load-999999-abc"  # a spool whose loader is gone
    stale.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), HFLINEAGE_NO_PROGRESS="1")
    proc = subprocess.Popen([sys.executable, "-m", "hflineage.cli", "load", path, "--batch-size", "500"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p != stale for p in tmp.glob("hflineage-load-*")):
        time.sleep(0.05)
    assert not stale.exists()  # removed at start
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert err.strip().splitlines()[-1] == "interrupted", err
    assert proc.returncode == 143
    assert list(tmp.iterdir()) == []
    assert _query(graph, "MATCH (l:LoadLock) RETURN count(l) AS n")[0]["n"] == 0


# 13. control characters are escaped in tables -----------------------------------------------------------------

def test_control_characters_in_ids_are_escaped_in_tables(graph, make_parquet, cli):
    evil = "e/\x1b[2Jred\u202eX"
    load(graph, make_parquet([{"id": evil}, {"id": "e/child", "base": [evil], "relation": "finetune"}]),
         progress=False)
    table = cli("show", "e/child")
    assert "\x1b" not in table.stdout and "\u202e" not in table.stdout and "\\x1b[2Jred\\u202eX" in table.stdout
    doc = json.loads(cli("show", "e/child", "--format", "json").stdout)
    assert doc["parents"][0]["id"] == evil


# 14. missing_placeholders agrees with the graph after an update -------------------------------------------------

def test_missing_placeholders_counts_what_the_graph_stores(graph, make_parquet):
    load(graph, make_parquet([{"id": "p/A"}, {"id": "p/B", "base": ["ghost/1"], "relation": "finetune"}]),
         progress=False)
    report = load(graph, make_parquet([
        {"id": "p/C", "base": ["p/A", "ghost/1", "ghost/2"], "relation": "merge"}]), progress=False)
    assert report.missing_placeholders == 2  # ghost/1 (placeholder already) and ghost/2; p/A is a model
    assert node_count(graph, "Missing") == 2


# 15. db reset -------------------------------------------------------------------------------------------------------

def test_db_reset_empties_the_database_after_asking(graph, make_parquet, cli):
    load(graph, make_parquet(_chain(5)), progress=False)
    result = cli("db", "reset", input="n\n")
    assert result.exit_code != 0 and node_count(graph) == 5
    result = cli("db", "reset", "--yes", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["nodes_deleted"] == 5 and "model_id_unique" in doc["schema_dropped"]
    assert node_count(graph) == 0
    assert _query(graph, "SHOW CONSTRAINTS YIELD name WHERE name = 'model_id_unique' RETURN count(*) AS n")[0]["n"] == 0
    # the next load is a first load again, and complete
    assert load(graph, make_parquet(_chain(5)), progress=False).max_depth == 4


# 16. the server killed while a constraint is created (found by bench/fault_trials.py) -------------------------

def _kill_server_while_populating(server, graph, index: str, label: str, nodes: int) -> None:
    """Create ``nodes`` nodes of ``label``, start the creation of constraint ``index`` in a thread
    and kill -9 the server while its index populates; start it again."""
    import signal

    from hflineage.cypher import registry

    with graph.driver.session(database=graph.database) as session:
        session.run(f"UNWIND range(1, $n) AS i CALL (i) {{ CREATE (:{label} {{id: 'k/' + toString(i)}}) }} "
                    "IN TRANSACTIONS OF 50000 ROWS", n=nodes).consume()
    text = registry().get(f"schema/{index}").text
    worker = threading.Thread(target=lambda: _try(lambda: graph.driver.execute_query(text, database_=graph.database)))
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _try(lambda: _query(graph, "SHOW INDEXES YIELD name WHERE name = $n RETURN name", n=index)):
                break
            time.sleep(0.005)
        pid = server.pid()
        os.killpg(pid, signal.SIGKILL)
        _try(lambda: os.waitpid(pid, 0))  # the server is our child: reap it once all its threads are gone
        while pid_alive(pid) or _port_open(server.bolt_port):
            time.sleep(0.05)
    finally:
        worker.join()
        server.start(timeout=240)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _try(work):
    try:
        return work()
    except Exception:  # noqa: BLE001 - the server is being killed
        return None


def _orphan(graph, index: str) -> bool:
    return _query(graph, "SHOW INDEXES YIELD name, owningConstraint WHERE name = $n RETURN owningConstraint AS c",
                  n=index) == [{"c": None}]


@pytest.mark.parametrize("constraint, label, then", [("model_id_unique", "Model", "load"),
                                                     ("history_id_unique", "ModelHistory", "reset")])
def test_a_constraint_half_created_when_the_server_died_is_made_again(server, graph, make_parquet, constraint,
                                                                      label, then):
    """A server killed while a constraint's index populated left that index behind without its
    constraint (an orphan, POPULATING for ever): every later load failed on
    'IndexWithNameAlreadyExists', and so did every load after 'db reset'. The schema step drops
    such an orphan and creates the constraint again; 'db reset' drops it too."""
    from hflineage.store.db import Graph
    from hflineage.store.schema import ensure_schema
    from hflineage.loader.reset import reset
    from hflineage.store.settings import resolve_connection

    reset(graph)  # no constraint yet: the statement below creates it
    _kill_server_while_populating(server, graph, constraint, label, 400_000)
    g = Graph(resolve_connection())
    try:
        assert _orphan(g, constraint), "the kill did not land while the constraint's index populated"
        with g.driver.session(database=g.database) as session:  # IN TRANSACTIONS: implicit
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 50000 ROWS").consume()
        if then == "reset":
            assert reset(g).nodes_deleted == 0
            assert _query(g, "SHOW INDEXES YIELD name WHERE name = $n RETURN name", n=constraint) == []
        # a first load, then an update load (each creates the schema) over what the kill left
        assert load(g, make_parquet(_chain(5)), progress=False).max_depth == 4
        assert load(g, make_parquet(_chain(6)), progress=False).max_depth == 5
        ensure_schema(g, wait=True)
        assert _query(g, "SHOW CONSTRAINTS YIELD name WHERE name = $n RETURN count(*) AS n", n=constraint)[0]["n"] == 1
        states = _query(g, "SHOW INDEXES YIELD name, state RETURN collect(DISTINCT state) AS s")[0]["s"]
        assert states == ["ONLINE"]
    finally:
        g.close()


# 17. write batches that deadlock through the driver's retries (found by bench/fault_trials.py) ------------------

def test_batches_that_deadlock_past_the_driver_retries_run_again_alone(graph, monkeypatch):
    """Two batches that lock the same two models in opposite orders, each taking long enough
    that both hold their first before either asks for its second: the server fails one with
    DeadlockDetected. A re-run of a killed 300k load (2 workers) met this on every retry until
    the driver gave up, and the load stopped half-written. With the driver's retries off (so
    the first deadlock reaches the writer), the batch runs again alone and the load goes on."""
    from hflineage.store import db
    from hflineage.store.settings import resolve_connection

    filler = 60_000
    with graph.driver.session(database=graph.database) as session:
        session.run("UNWIND range(1, $n) AS i CALL (i) { CREATE (:Model {id: 'f/' + toString(i)}) } "
                    "IN TRANSACTIONS OF 50000 ROWS", n=2 * filler).consume()
        session.run("CREATE (:Model {id: 'd/X'}), (:Model {id: 'd/Y'})").consume()
    _query(graph, "CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE")

    def rows(ids, depth):
        return [{"id": i, "depth": depth, "via": None, "family": None, "descendants": None, "below": None,
                 "below_all_time": None, "orphaned": None, "paths_up": None, "paths_down": None} for i in ids]

    monkeypatch.setattr(db, "RETRY_TIME", 0.0)
    g = db.Graph(resolve_connection())
    try:
        one = ["d/X", *(f"f/{i}" for i in range(1, filler + 1)), "d/Y"]
        two = ["d/Y", *(f"f/{i}" for i in range(filler + 1, 2 * filler + 1)), "d/X"]
        with db.Writer(g, 2) as writer:
            writer.put("load/set_derived", rows=rows(one, 1))
            writer.put("load/set_derived", rows=rows(two, 2))
            writer.join()
        assert writer.solo_retries >= 1, "no deadlock happened: nothing reproduced"
        assert _query(g, "MATCH (m:Model) WHERE m.depth IS NULL RETURN count(m) AS n")[0]["n"] == 0
    finally:
        g.close()


# issue 24: settings, inputs and bounded outputs ------------------------------------------------------

def _cli_process(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hflineage.cli", *args], env=dict(os.environ, **env),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("uri,said", [("http://127.0.0.1:7474", "scheme 'http'"), ("localhost:7687", "no scheme")])
def test_a_uri_the_driver_cannot_speak_is_one_line_naming_the_schemes(uri, said):
    import re

    import hflineage
    from hflineage.store.errors import HFLineageError

    schemes = "bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc"
    proc = _cli_process("--uri", uri, "--password", "whatever1", "stats")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"error: the URI '{uri}' has {said}; the schemes accepted are {schemes}")
    proc = _cli_process("stats", NEO4J_URI=uri, NEO4J_PASSWORD="whatever1")
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and f"NEO4J_URI '{uri}' has {said}" in proc.stderr
    with pytest.raises(HFLineageError, match=re.escape(f"the URI '{uri}' has {said}; the schemes accepted are {schemes}")):
        hflineage.connect(uri=uri, password="whatever1")


@pytest.mark.parametrize("name,value,words", [
    ("HFLINEAGE_BOLT_PORT", "abc", "is not a port number"), ("HFLINEAGE_BOLT_PORT", "70000", "is not a port number"),
    ("HFLINEAGE_HTTP_PORT", "0", "is not a port number"), ("HFLINEAGE_HEAP", "lots", "is not a memory size"),
    ("HFLINEAGE_PAGECACHE", "-1g", "is not a memory size")])
@pytest.mark.parametrize("command", [["stats"], ["db", "status"], ["queries"]])
def test_a_bad_numeric_setting_is_one_line_naming_the_variable_on_every_command(name, value, words, command):
    proc = _cli_process(*command, **{name: value})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith(f"error: {name}={value!r} {words}")


def test_an_audit_that_checked_no_model_fails(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet([{"id": "org/a", "tags": ["license:mit"]}]), progress=False)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01\x02\n\x7f\x03\n")
    result = cli("license", "audit", str(garbage))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "unknown (ignored): \\x00\\x01\\x02, \\x7f\\x03",
        "error: the audit checked no model: none of the 2 id(s) given is a model in the graph"]
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"PAR1\xa0\xff\x00")
    result = cli("license", "audit", str(binary), "--format", "junit")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: cannot read the model list {binary}: not UTF-8 text (byte 4)\n"
    ok = tmp_path / "ok.txt"
    ok.write_text("org/a\nnope/x\n")
    assert cli("license", "audit", str(ok)).exit_code == 0


def test_impact_of_many_unknown_ids_is_a_count_and_the_first_few(graph, make_parquet, cli, tmp_path, monkeypatch):
    from hflineage.lineage import analyses as lib_analyses

    load(graph, make_parquet([{"id": "org/a"}, {"id": "org/b", "base": ["org/a"], "relation": "finetune"}]),
         progress=False)
    sent = []
    read = type(graph).read

    def counting(self, name, **params):  # the real query, its id lists recorded
        if "ids" in params:
            sent.append((name, len(params["ids"])))
        return read(self, name, **params)

    monkeypatch.setattr(type(graph), "read", counting)
    monkeypatch.setattr(lib_analyses, "ID_BATCH", 1000)
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"nope/{i}\n" for i in range(2500)) + "org/a\n")
    result = cli("impact", "--file", str(ids), "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ("unknown (ignored): nope/0, nope/1, nope/2, nope/3, nope/4, … and 2495 more, 2500 in all"
                             " (--list names them all)\n")
    doc = json.loads(result.stdout)
    assert (doc["deleted"], len(doc["unknown"]), doc["affected_derived"]) == (["org/a"], 2500, 1)
    assert sent == [("known_models", 1000), ("known_models", 1000), ("known_models", 501), ("impact", 1)]
    table = cli("impact", "--file", str(ids)).stdout.splitlines()
    assert [line.split() for line in table if line.startswith("unknown")] == [["unknown", "2500"]]
    listed = cli("impact", "--file", str(ids), "--list")
    assert listed.stderr.splitlines() == ["unknown (ignored): 2500 id(s)", *(f"  nope/{i}" for i in range(2500))]
