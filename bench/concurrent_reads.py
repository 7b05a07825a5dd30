"""8 clients reading while loads run: every answer checked against a quiet-state answer.

    .venv/bin/python bench/concurrent_reads.py --rows 300000 --loads 4 --clients 8

Runs its own server (``--home``, ports; default /tmp/hflineage-concurrent, 27792/27793) and
stops it at the end. Files: A, a synthetic hub-stats file of ``--rows`` models, and B, A a
week later with 5% of its models rebased and 5% updated (../shared/tools/evolve_hubstats.py),
plus new models. The graph holds A; then B and A are loaded alternately (``--loads`` loads)
while ``--clients`` threads ask ``show`` and ``license`` of models drawn from the rebased
ones (their answers differ between A and B) and a random sample.

What a reader may see: for each model, the state before or after a load's change to it. So a
``show`` answer's own part (parents with relations, depth, license) must equal the quiet answer
under A or under B: a mismatch is an inconsistent answer (goal 0). A ``license`` answer
(inherited licenses with distances, conflicts) spans the model's ancestors, which other
batches (other transactions) rewrite: it is counted apart, as mixing both files, when it
equals neither. Counts over other models (children, descendants, subtree downloads) are not
checked. Prints reads (by kind, with the median time of one read), errors (exceptions),
inconsistent answers and mixed license answers.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_trials import TOOLS, Bench, sh  # noqa: E402


def show_key(graph, model_id):
    from hflineage.lineage import analyses

    doc = analyses.show(graph, model_id)
    return json.dumps([sorted((p["id"], p["relation"]) for p in doc["parents"]), doc["depth"], doc["license"]])


def license_key(graph, model_id, policy):
    from hflineage.licenses import propagation as licenses

    doc = licenses.model_license(graph, model_id, policy)
    doc = doc.to_dict() if hasattr(doc, "to_dict") else doc
    return json.dumps([sorted((a["id"], a["license"], a["distance"]) for a in doc["inherited"]),
                       sorted((c["ancestor"], c["severity"]) for c in doc["conflicts"])])


def answers(graph, ids, policy) -> dict:
    return {m: (show_key(graph, m), license_key(graph, m, policy)) for m in ids}


KINDS = ("show", "license")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--loads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--home", type=Path, default=Path("/tmp/hflineage-concurrent"))
    ap.add_argument("--bolt-port", type=int, default=27792)
    ap.add_argument("--http-port", type=int, default=27793)
    args = ap.parse_args()
    work = args.home / "files"
    work.mkdir(parents=True, exist_ok=True)
    a, b = work / f"a_{args.rows}.parquet", work / f"b_{args.rows}.parquet"
    if not a.exists():
        sh(sys.executable, str(TOOLS / "synth_hubstats.py"), "--models", str(args.rows), "--seed", "1", str(a))
    if not b.exists():
        sh(sys.executable, str(TOOLS / "evolve_hubstats.py"), str(a), str(b), "--rebased-rate", "0.05",
           "--updated-rate", "0.05", "--deleted-rate", "0")
    bench = Bench(args.home, args.bolt_port, args.http_port)
    bench.start()
    from hflineage.licenses import propagation as licenses
    from hflineage.store.db import Graph
    from hflineage.store.settings import resolve_connection

    policy = licenses.load_policy()
    try:
        bench.reset()
        bench.load(b)
        graph = Graph(resolve_connection())
        with_bases = [r["id"] for r in bench.q("MATCH (m:Model)-[]->() RETURN DISTINCT m.id AS id")]
        bench.reset()
        bench.load(a)
        in_a = {r["id"]: r["bases"] for r in bench.q(
            "MATCH (m:Model) WHERE m.id IN $ids OPTIONAL MATCH (m)-[]->(p) RETURN m.id AS id, collect(p.id) AS bases",
            ids=with_bases)}
        rng = random.Random(0)
        rng.shuffle(with_bases)
        ids = [m for m in with_bases if m in in_a][: args.sample]
        quiet_a = answers(graph, ids, policy)
        bench.load(b)
        quiet_b = answers(graph, ids, policy)
        moved = sum(quiet_a[m] != quiet_b[m] for m in ids)
        print(f"{len(ids)} models checked, {moved} with a different answer under A and B", flush=True)

        stop = threading.Event()
        stats = {"reads": 0, "errors": 0, "inconsistent": 0, "lineage_mixed": 0, "examples": [],
                 "ms": {kind: [] for kind in KINDS}}
        lock = threading.Lock()

        def client(seed: int):
            r = random.Random(seed)
            g = Graph(resolve_connection())
            while not stop.is_set():
                m = r.choice(ids)
                try:
                    kind = r.randrange(2)
                    t0 = time.perf_counter()
                    got = show_key(g, m) if kind == 0 else license_key(g, m, policy)
                    ms = (time.perf_counter() - t0) * 1000
                    bad = got not in (quiet_a[m][kind], quiet_b[m][kind])
                    with lock:
                        stats["reads"] += 1
                        stats["ms"][KINDS[kind]].append(ms)
                        if bad:
                            stats["inconsistent" if kind == 0 else "lineage_mixed"] += 1
                            if len(stats["examples"]) < 4:
                                stats["examples"].append((KINDS[kind], m, got, quiet_a[m][kind], quiet_b[m][kind]))
                except Exception as e:  # noqa: BLE001 - counted, shown once
                    with lock:
                        stats["errors"] += 1
                        if len(stats["examples"]) < 3:
                            stats["examples"].append((m, repr(e)[:200]))
            g.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        started = time.monotonic()
        for k in range(args.loads):
            path = a if k % 2 == 0 else b
            t0 = time.monotonic()
            bench.load(path)
            print(f"load {k + 1}: {path.name} {time.monotonic() - t0:.1f} s, reads so far {stats['reads']:,}", flush=True)
        stop.set()
        for t in threads:
            t.join()
        print(f"{args.clients} clients, {args.loads} loads in {time.monotonic() - started:.0f} s: "
              f"{stats['reads']:,} reads, {stats['errors']} errors, {stats['inconsistent']} inconsistent answers "
              f"(show: a model's own parents, depth, license), {stats['lineage_mixed']} license answers whose "
              f"ancestors mix both files (ancestors in other batches)")
        print("reads by kind: " + ", ".join(f"{k} {len(v):,} (median {statistics.median(v):.1f} ms)"
                                            for k, v in stats["ms"].items() if v))
        for example in stats["examples"]:
            print("  e.g.", example)
        graph.close()
    finally:
        bench.hfl("db", "stop", check=False)


if __name__ == "__main__":
    main()
