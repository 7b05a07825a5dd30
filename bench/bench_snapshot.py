"""Weekly refresh benchmark: a snapshot load of one evolved week against the two other ways.

    python bench/bench_snapshot.py                          # 2,500,000 models
    python bench/bench_snapshot.py --models 100000 1000000  # several sizes, one table

For each size: a synthetic file (../shared/tools/synth_hubstats.py, cached in bench/out/) is
loaded with ``hflineage load --bulk --snapshot`` into an empty database on a dedicated local
server; ../shared/tools/evolve_hubstats.py writes the next week (default rates: ~1.5% added,
0.3% deleted, 0.5% updated, every download count drifting). Then, side by side, as child
processes measured alone (wall time, the loader's peak RSS by wait4):

1. ``hflineage load WEEK1 --snapshot``: the snapshot load (its report's phase times: read,
   compare, write, derive, report);
2. ``hflineage load WEEK1``: the full online re-load of the same file into the same graph;
3. ``hflineage load --bulk WEEK1`` into an emptied database: a fresh first load.

Targets (issue 10): the snapshot load at least 5x faster than the full re-load and faster than
the fresh --bulk load, the loader's peak RSS at most 1.5 GB. Prints a table; ``--json`` writes
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import REPO, bench_env, empty_database, hflineage, run_measured, synth  # noqa: E402

EVOLVE = REPO.parent / "shared" / "tools" / "evolve_hubstats.py"


def evolve(path: Path, seed: int) -> Path:
    out = path.with_name(path.stem + f"_week1_s{seed}.parquet")
    if not out.exists():
        print(f"evolving {path.name} by one week ...", file=sys.stderr)
        subprocess.run([sys.executable, str(EVOLVE), str(path), str(out), "--seed", str(seed)], check=True,
                       stderr=subprocess.DEVNULL)
    return out


def load(env, *args) -> dict:
    r = run_measured([sys.executable, "-m", "hflineage.cli", "load", *map(str, args), "--format", "json"], env)
    if r["returncode"] != 0:
        sys.exit(f"hflineage load {' '.join(map(str, args))} failed: {r['stderr'].strip()[-500:]}")
    r["report"] = json.loads(r.pop("stdout"))
    r.pop("stderr")
    return r


def one_size(env, models: int, seed: int) -> dict:
    week0 = synth(models, seed)
    week1 = evolve(week0, seed)
    empty_database(env)
    first = load(env, week0, "--bulk", "--snapshot")
    snap = load(env, week1, "--snapshot")
    full = load(env, week1)
    empty_database(env)
    bulk = load(env, week1, "--bulk")
    changes = snap["report"]["changes"]
    out = {
        "models": models, "week1_rows": snap["report"]["rows_read"],
        "added": changes["added"]["total"], "deleted": changes["deleted"]["total"],
        "updated": changes["updated"]["total"], "rebased": changes["rebased"]["total"],
        "writes": snap["report"]["writes"], "phases": snap["report"]["phases"],
        "first_bulk_snapshot_s": first["wall_s"],
        "snapshot_s": snap["wall_s"], "snapshot_rss_mb": snap["peak_rss_mb"],
        "full_reload_s": full["wall_s"], "full_reload_rss_mb": full["peak_rss_mb"],
        "fresh_bulk_s": bulk["wall_s"], "fresh_bulk_rss_mb": bulk["peak_rss_mb"],
    }
    out["speedup_vs_full_reload"] = out["full_reload_s"] / out["snapshot_s"]
    out["speedup_vs_fresh_bulk"] = out["fresh_bulk_s"] / out["snapshot_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, nargs="+", default=[2_500_000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="4g")
    ap.add_argument("--bolt-port", type=int, default=27687)
    ap.add_argument("--http-port", type=int, default=27474)
    ap.add_argument("--home", type=Path, default=None, help="the benchmark server's home (default bench/out/neo4j-home)")
    ap.add_argument("--keep-server", action="store_true", help="leave the benchmark server running")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here as well")
    args = ap.parse_args()
    env = bench_env(args)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; heap {args.heap}, page cache {args.pagecache}")
    results = []
    try:
        hflineage(env, "db", "start")
        for models in args.models:
            r = one_size(env, models, args.seed)
            results.append(r)
            print(json.dumps(r), file=sys.stderr)
    finally:
        if not args.keep_server:
            hflineage(env, "db", "stop")
    print(f"{'models':>9} {'added':>6} {'deleted':>7} {'updated':>7} {'snapshot s':>10} {'full reload s':>13} "
          f"{'fresh bulk s':>12} {'x reload':>8} {'x bulk':>6} {'snap RSS MB':>11}  phases (s)")
    for r in results:
        phases = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
        print(f"{r['models']:>9,} {r['added']:>6,} {r['deleted']:>7,} {r['updated']:>7,} {r['snapshot_s']:>10.1f} "
              f"{r['full_reload_s']:>13.1f} {r['fresh_bulk_s']:>12.1f} {r['speedup_vs_full_reload']:>8.1f} "
              f"{r['speedup_vs_fresh_bulk']:>6.1f} {r['snapshot_rss_mb']:>11.0f}  {phases}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
