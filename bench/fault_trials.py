"""Kill -9 the server, and separately the loader, at chosen points of a load; restart; re-run;
check that the graph converges to exactly the clean graph. Prints each trial and the totals.

    .venv/bin/python bench/fault_trials.py --rows 300000 --trials 14

Runs its own server (``--home``, ``--bolt-port``, ``--http-port``; default /tmp/hflineage-faults,
27790/27791) and stops it at the end. Files: a synthetic hub-stats file A of ``--rows`` models
(../shared/tools/synth_hubstats.py); B, A a week later with many rebased and updated models
(evolve_hubstats.py), so an update load rewrites edges and derived values; and S, A a week later
at the default weekly rates (``evolve_hubstats.py A S --weeks 1``: models added, deleted,
updated and rebased, every download count drifting), later than A, for snapshot loads.

Trial kinds (cycled through ``--trials``, in ``--kinds`` order):

* ``fresh-nodes``: a first load into an empty graph, the loader killed while it writes nodes;
* ``fresh-schema``: the server killed while the constraint and indexes are being created;
* ``fresh-edges``: the loader killed while the first load writes edges;
* ``update-write``: B loaded over A, the loader killed while it writes its batches;
* ``update-server``: the same, the server killed;
* ``update-derive``: B over A, the loader killed in the last phase (derived values of models
  outside the file, ``load/set_derived``), once every batch is written (every new model there);
* ``snapshot-begin``: the graph holds A loaded with ``--snapshot``; S is loaded with
  ``--snapshot`` and the loader killed as soon as the pending record (``:SnapshotPending``) is
  stored, before or at the first write;
* ``snapshot-write``: the same, the loader killed in the write phase (alternately: while the
  counters and rows are written; once the deletions and edge changes have begun);
* ``snapshot-server``: the same, the server killed in the write phase (the same two points);
* ``snapshot-derive``: the same, the loader killed in the derive phase (alternately: once the
  write phase is done -- the edge count is final -- and no derived value is written yet, while
  they are computed or their first transaction runs; once part of them is written, which is
  all of them when one batch holds them, before the ``:Snapshot`` record is committed).

The points are found by polling the server, not by timing: node, edge and ``:SnapshotPending``
counts, index states, and a *probe* -- a random sample of models (``--probe``) whose value of
one property differs between the clean graphs before and after the load (downloads for the
write phases; a derived property, on models whose own row does not change it, for the derive
phases): the share of the sample that holds its after-value tells how far that phase got, and
the kill comes when it reaches a random target. After the kill the server is restarted (when it
was killed) and the same load run again (for update and snapshot trials the graph already holds
A, so only B or S is re-run: ``load S --snapshot`` again). The result is compared with the clean
graph of the same sequence by a fingerprint of every node (labels and properties; models,
placeholders, ``:ModelHistory``, ``:Snapshot`` and any ``:SnapshotPending`` record), every edge
(type, ends and properties), and apart, the ``:Snapshot`` records (date, counts, the changes
JSON); a difference prints which part differs and a few of the differing items.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO.parent / "shared" / "tools"
KINDS = ("fresh-nodes", "fresh-schema", "fresh-edges", "update-write", "update-server", "update-derive",
         "snapshot-begin", "snapshot-write", "snapshot-server", "snapshot-derive")
# the derived properties a derive probe may watch (loader/derive.py DERIVED_PROPERTIES)
DERIVED = ("depth", "depthVia", "family", "descendants", "descendantDownloads", "descendantDownloadsAllTime",
           "orphanedIfDeleted", "pathsFromRoots", "pathsToLeaves")


def sh(*args, env=None, check=True, **kw):
    return subprocess.run(list(args), env=env, check=check, **kw)


def _value(v):
    return v if isinstance(v, (int, float, str, bool, type(None), list)) else str(v)


class Fingerprint:
    """Every node and edge of the graph, one canonical JSON text per item, keyed; ``digest``
    hashes them all, ``parts`` the nodes, the edges and the snapshot records apart."""

    def __init__(self, nodes: dict, edges: dict, locks: int):
        self.nodes, self.edges, self.locks = nodes, edges, locks

    def _hash(self, items: dict) -> str:
        h = hashlib.sha256()
        for key in sorted(items):
            h.update(key.encode() + b"\x01" + items[key].encode() + b"\x02")
        return h.hexdigest()[:16]

    @property
    def records(self) -> dict:
        return {k: v for k, v in self.nodes.items() if k.startswith(("Snapshot:", "SnapshotPending:"))}

    def parts(self) -> dict:
        return {"nodes": self._hash(self.nodes), "edges": self._hash(self.edges), "snapshots": self._hash(self.records)}

    def summary(self) -> dict:
        labels = {}
        for key in self.nodes:
            kind = key.split(":", 1)[0]
            labels[kind] = labels.get(kind, 0) + 1
        return {"digest": self._hash({**self.nodes, **self.edges}), **labels, "edges": len(self.edges),
                "locks": self.locks}

    def __eq__(self, other) -> bool:
        return self.nodes == other.nodes and self.edges == other.edges and self.locks == other.locks

    def diff(self, want: "Fingerprint", limit: int = 3) -> str:
        out = [f"got {self.summary()} want {want.summary()}"]
        for name, got, exp in (("node", self.nodes, want.nodes), ("edge", self.edges, want.edges)):
            keys = sorted(k for k in set(got) | set(exp) if got.get(k) != exp.get(k))
            if keys:
                out.append(f"{len(keys)} {name}s differ")
                for k in keys[:limit]:
                    out.append(f"  {k}: got {(got.get(k) or '-')[:400]} want {(exp.get(k) or '-')[:400]}")
        if self.locks != want.locks:
            out.append(f"load locks: got {self.locks} want {want.locks}")
        return "\n".join(out)


class Bench:
    def __init__(self, home: Path, bolt: int, http: int):
        self.home = home
        self.env = dict(os.environ, HFLINEAGE_HOME=str(home), HFLINEAGE_BOLT_PORT=str(bolt),
                        HFLINEAGE_HTTP_PORT=str(http), HFLINEAGE_NO_PROGRESS="1")
        for name in ("NEO4J_URI", "NEO4J_PASSWORD", "NEO4J_USER", "NEO4J_DATABASE"):
            self.env.pop(name, None)
        os.environ.update({k: self.env[k] for k in ("HFLINEAGE_HOME", "HFLINEAGE_BOLT_PORT", "HFLINEAGE_HTTP_PORT")})
        self.cli = [sys.executable, "-m", "hflineage.cli"]
        self._graph = None

    def hfl(self, *args, check=True):
        return sh(*self.cli, *args, env=self.env, check=check, capture_output=True, text=True)

    def start(self):
        self.hfl("db", "start")
        self.reconnect()

    def server_pid(self) -> int | None:
        state = json.loads((self.home / "server.json").read_text())
        return state.get("pid")

    def kill_server(self):
        pid = self.server_pid()
        os.killpg(pid, signal.SIGKILL)
        while True:
            try:
                os.kill(pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                break

    def reconnect(self):
        from hflineage.store.db import Graph
        from hflineage.store.settings import resolve_connection

        if self._graph is not None:
            self._graph.close()
        self._graph = Graph(resolve_connection())

    def q(self, text, **params):
        records, _, _ = self._graph.driver.execute_query(text, params, database_=self._graph.database)
        return [dict(r) for r in records]

    def counts(self, probe: list[dict] | None = None) -> dict:
        """Node, edge and pending-record counts, index states, and the share of ``probe``
        ({id, prop, want}) that holds its after-value; -1 counts when the server does not answer."""
        try:
            row = self.q("CALL () { MATCH (n:Model) RETURN count(n) AS nodes } "
                         "CALL () { MATCH ()-[r]->() RETURN count(r) AS edges } "
                         "CALL () { MATCH (p:SnapshotPending) RETURN count(p) AS pending } "
                         "RETURN nodes, edges, pending")
            idx = self.q("SHOW INDEXES YIELD name, state WHERE name STARTS WITH 'model' RETURN collect(state) AS s")
            out = {**row[0], "indexes": idx[0]["s"] if idx else []}
            if probe:
                done = self.q("UNWIND $rows AS r MATCH (m:Model {id: r.id}) "
                              "RETURN sum(CASE WHEN m[r.prop] = r.want THEN 1 ELSE 0 END) AS done", rows=probe)
                out["probe"] = round(done[0]["done"] / len(probe), 3)
            return out
        except Exception:
            return {"nodes": -1, "edges": -1, "pending": -1, "indexes": [], "probe": -1}

    def reset(self):
        self.hfl("db", "reset", "--yes", "--force")

    def fingerprint(self) -> Fingerprint:
        nodes = {}
        for n in self.q("MATCH (n) WHERE NOT n:LoadLock RETURN labels(n) AS l, properties(n) AS p"):
            labels = sorted(n["l"])
            kind = ("Snapshot" if "Snapshot" in labels else "SnapshotPending" if "SnapshotPending" in labels
                    else "ModelHistory" if "ModelHistory" in labels else "Missing" if "Missing" in labels
                    else "Model" if "Model" in labels else "+".join(labels))
            key = f"{kind}:{n['p'].get('id', n['p'].get('date'))}"
            text = json.dumps([labels, {k: _value(v) for k, v in sorted(n["p"].items())}], default=str)
            if key in nodes:  # two nodes under one key (a duplicate id) never match a clean graph
                text = nodes[key] + "|" + text
            nodes[key] = text
        edges = {}
        for e in self.q("MATCH (c)-[e]->(b) RETURN coalesce(c.id, c.date) AS c, type(e) AS t, "
                        "coalesce(b.id, b.date) AS b, properties(e) AS p"):
            key = f"{e['c']}\x00{e['t']}\x00{e['b']}"
            text = json.dumps(sorted(e["p"].items()), default=str)
            edges[key] = edges[key] + "|" + text if key in edges else text
        locks = self.q("MATCH (l:LoadLock) RETURN count(l) AS n")[0]["n"]
        return Fingerprint(nodes, edges, locks)

    def load_args(self, path: Path, snapshot: bool) -> list[str]:
        return ["load", str(path), "--format", "json", *(["--snapshot"] if snapshot else [])]

    def load(self, path: Path, check=True, snapshot=False):
        return self.hfl(*self.load_args(path, snapshot), check=check)

    def loader(self, path: Path, snapshot=False) -> subprocess.Popen:
        return subprocess.Popen([*self.cli, *self.load_args(path, snapshot)], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen, bench: Bench, condition, probe=None, timeout=1800) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        c = bench.counts(probe)
        if condition(c):
            return c
        time.sleep(0.05)
    return None


def probe_of(before: Fingerprint, after: Fingerprint, props, rng: random.Random, size: int,
             kind: str = "Model") -> list[dict]:
    """A random sample of nodes of ``kind`` (Model: current models; Missing: placeholders)
    before and after whose value of one of ``props`` differs (and is not null after):
    {id, prop, want}."""
    rows = []
    for key, text in after.nodes.items():
        if not key.startswith(kind + ":") or key not in before.nodes:
            continue
        mid = key.split(":", 1)[1]
        new, old = json.loads(text)[1], json.loads(before.nodes[key])[1]
        for prop in props:
            if new.get(prop) is not None and new.get(prop) != old.get(prop):
                rows.append({"id": mid, "prop": prop, "want": new[prop]})
                break
    rows.sort(key=lambda r: r["id"])
    return rng.sample(rows, min(size, len(rows)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe", type=int, default=400, help="models in each progress probe")
    ap.add_argument("--home", type=Path, default=Path("/tmp/hflineage-faults"))
    ap.add_argument("--bolt-port", type=int, default=27790)
    ap.add_argument("--http-port", type=int, default=27791)
    ap.add_argument("--kinds", default=",".join(KINDS), help="trial kinds, cycled through --trials (comma-separated)")
    ap.add_argument("--keep-server", action="store_true")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown kinds {unknown}; choose among {', '.join(KINDS)}")
    rng = random.Random(args.seed)
    work = args.home / "files"
    work.mkdir(parents=True, exist_ok=True)
    a, b, s = (work / f"{x}_{args.rows}.parquet" for x in "abs")
    if not a.exists():
        sh(sys.executable, str(TOOLS / "synth_hubstats.py"), "--models", str(args.rows), "--seed", "1", str(a))
    if not b.exists():
        sh(sys.executable, str(TOOLS / "evolve_hubstats.py"), str(a), str(b), "--rebased-rate", "0.05",
           "--updated-rate", "0.05", "--deleted-rate", "0")
    if not s.exists() and any(k.startswith("snapshot") for k in kinds):
        sh(sys.executable, str(TOOLS / "evolve_hubstats.py"), str(a), str(s), "--weeks", "1")
    bench = Bench(args.home, args.bolt_port, args.http_port)
    bench.start()
    try:
        clean, probes, secs = {}, {}, {}
        bench.reset()
        t0 = time.monotonic()
        first = json.loads(bench.load(a).stdout)
        clean["a"], secs["a"] = bench.fingerprint(), time.monotonic() - t0
        if any(k.startswith("update") for k in kinds):
            t0 = time.monotonic()
            bench.load(b)
            clean["ab"], secs["ab"] = bench.fingerprint(), time.monotonic() - t0
            # B holds every model of A: the models outside the file are placeholders
            probes["update-write"] = probe_of(clean["a"], clean["ab"], ("downloads", "license"), rng, args.probe)
            probes["update-derive"] = probe_of(clean["a"], clean["ab"], DERIVED, rng, args.probe, kind="Missing")
        if any(k.startswith("snapshot") for k in kinds):
            bench.reset()
            t0 = time.monotonic()
            bench.load(a, snapshot=True)
            clean["sa"], secs["sa"] = bench.fingerprint(), time.monotonic() - t0
            t0 = time.monotonic()
            report_s = json.loads(bench.load(s, snapshot=True).stdout)
            clean["ss"], secs["ss"] = bench.fingerprint(), time.monotonic() - t0
            probes["snapshot-write"] = probe_of(clean["sa"], clean["ss"], ("downloads",), rng, args.probe)
            probes["snapshot-derive"] = probe_of(clean["sa"], clean["ss"], DERIVED, rng, args.probe)
            print(f"clean snapshot S over A: phases {report_s.get('phases')}, writes "
                  f"{ {k: v for k, v in report_s.get('writes', {}).items() if k != 'seconds'} }, "
                  f"derived values changed {report_s.get('depth_updates')}", flush=True)
        # the seconds are each load's and its fingerprint's together
        print(f"clean (s: load + fingerprint): A {first['models']:,} models {secs['a']:.1f} s {clean['a'].summary()}"
              + (f"; A then B {secs['ab']:.1f} s {clean['ab'].summary()}" if "ab" in clean else "")
              + (f"; A --snapshot {secs['sa']:.1f} s, then S --snapshot {secs['ss']:.1f} s {clean['ss'].summary()}"
                 if "ss" in clean else ""), flush=True)
        print("probes: " + ", ".join(f"{k} {len(v)} models" for k, v in probes.items()), flush=True)

        results = []
        for trial in range(args.trials):
            kind = kinds[trial % len(kinds)]
            occurrence = trial // len(kinds)  # the kinds with two kill points alternate between them
            family = kind.split("-")[0]
            snapshot = family == "snapshot"
            bench.reset()
            if family == "update":
                bench.load(a)
            elif snapshot:
                bench.load(a, snapshot=True)
            base = bench.counts()
            path, want = {"fresh": (a, clean["a"]), "update": (b, clean.get("ab")),
                          "snapshot": (s, clean.get("ss"))}[family]
            want_edges = len(want.edges)
            proc = bench.loader(path, snapshot=snapshot)
            target = round(rng.uniform(0.1, 0.9), 2)
            probe = None
            if kind == "fresh-nodes":
                hit = wait_for(proc, bench, lambda c: c["nodes"] >= target * first["models"])
            elif kind == "fresh-schema":
                hit = wait_for(proc, bench, lambda c: c["indexes"] and c["edges"] == 0)
            elif kind == "fresh-edges":
                hit = wait_for(proc, bench, lambda c: c["edges"] >= target * first["edges_written"])
            elif kind in ("update-write", "update-server"):
                probe = probes["update-write"]
                hit = wait_for(proc, bench, lambda c: c.get("probe", 0) >= target, probe)
            elif kind == "update-derive":
                # every batch written (the batch probe complete, every new model there): the last
                # phase has begun
                probe, final = probes["update-write"], clean["ab"].summary()
                final = final.get("Model", 0) + final.get("Missing", 0)
                hit = wait_for(proc, bench, lambda c: c.get("probe", 0) >= 1.0 and c["nodes"] >= final, probe)
                if hit is not None and probes["update-derive"]:
                    hit["derive_probe"] = bench.counts(probes["update-derive"]).get("probe")
            elif kind == "snapshot-begin":
                hit = wait_for(proc, bench, lambda c: c["pending"] > 0)
            elif kind in ("snapshot-write", "snapshot-server"):
                probe = probes["snapshot-write"]
                if occurrence % 2 == 0:  # the counters and rows, part written
                    hit = wait_for(proc, bench, lambda c: c["pending"] > 0 and c.get("probe", 0) >= target, probe)
                else:  # the deletions and edge changes begun
                    target = "edges moved"
                    hit = wait_for(proc, bench, lambda c: c["pending"] > 0 and c["edges"] not in (base["edges"], -1))
            else:  # snapshot-derive
                probe = probes["snapshot-derive"]
                if occurrence % 2 == 0:
                    # the write phase done (its last edge write gives the final edge count), the
                    # derived values being computed or written
                    target = "write phase done"
                    hit = wait_for(proc, bench, lambda c: c["pending"] > 0 and c["edges"] == want_edges
                                   and c.get("probe", 1) < 1, probe)
                else:  # part of the derived values written (all of them when one batch holds them)
                    target = round(rng.uniform(0.02, 0.8), 2)
                    hit = wait_for(proc, bench, lambda c: c["pending"] > 0 and c.get("probe", 0) >= target, probe)
            killed = "server" if kind in ("fresh-schema", "update-server", "snapshot-server") else "loader"
            if proc.poll() is not None or hit is None:
                note = "load ended before the kill point"
            else:
                note = f"killed {killed} at {({k: v for k, v in hit.items() if k != 'indexes'})} (target {target})"
                if killed == "server":
                    bench.kill_server()
                else:
                    proc.send_signal(signal.SIGKILL)
            proc.wait()
            if killed == "server":
                bench.start()
            else:
                bench.reconnect()
            after_kill = bench.counts(probe)
            t0 = time.monotonic()
            rerun = bench.load(path, check=False, snapshot=snapshot)
            rerun_s = time.monotonic() - t0
            got = bench.fingerprint()
            same = rerun.returncode == 0 and got == want
            outcome = ("no kill" if "ended before" in note else "converged" if same else "DID NOT CONVERGE")
            results.append((kind, outcome))
            print(f"trial {trial + 1:2d} {kind:15s} {note}; after the kill "
                  f"{ {k: v for k, v in after_kill.items() if k != 'indexes'} }; re-run exit {rerun.returncode} "
                  f"in {rerun_s:.1f} s, {outcome}"
                  + ("" if rerun.returncode == 0 else f" ({rerun.stderr.strip()[-300:]})"), flush=True)
            if got != want:
                print(got.diff(want), flush=True)
        killed_trials = [(k, o) for k, o in results if o != "no kill"]
        print(f"converged {sum(o == 'converged' for _, o in killed_trials)} / {len(killed_trials)} kill trials "
              f"({args.rows:,} models; {len(results) - len(killed_trials)} trials where the load ended before "
              f"the kill point)")
        for kind in kinds:
            mine = [o for k, o in killed_trials if k == kind]
            if any(k == kind for k, _ in results):
                print(f"  {kind:15s} {mine.count('converged')} / {len(mine)}")
    finally:
        if not args.keep_server:
            bench.hfl("db", "stop", check=False)


if __name__ == "__main__":
    main()
