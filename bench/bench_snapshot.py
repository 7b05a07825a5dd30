"""Weekly refresh benchmark: a snapshot load of one evolved week against the two other ways.

    python bench/bench_snapshot.py                          # 2,500,000 models
    python bench/bench_snapshot.py --models 100000 1000000  # several sizes, one table

For each size: a synthetic file (../shared/tools/synth_hubstats.py, cached in bench/out/) is
loaded with ``hflineage load --bulk --snapshot`` into an empty database on a dedicated local
server; ../shared/tools/evolve_hubstats.py writes the next two weeks (default rates: ~1.5%
added, 0.3% deleted, 0.5% updated, every download count drifting). Then, one after the other,
as child processes measured alone (wall time, the loader's peak RSS by wait4):

1. ``hflineage load WEEK1 --snapshot`` on the server the bulk load has just restarted: the
   snapshot load as a freshly started server sees it (``cold``; its report's phase times: read,
   compare, write, derive, report);
2. ``hflineage load WEEK2 --snapshot`` on the same server: the next week's snapshot load, as a
   server that stays up from week to week sees it (``warm``: its JVM has compiled the code the
   load runs);
3. ``hflineage load WEEK2``: the full online re-load of the same file into the same graph;
4. ``hflineage load --bulk WEEK2`` into an emptied database: a fresh first load.

For the online loads the server's CPU seconds are measured too (/proc), and the part of them
its JVM spent compiling (the ``java.ci.totalTime`` counter, read with ``jcmd`` when the JDK has
it): on a freshly started server most of a snapshot load's server CPU is the JIT's.

Targets (issue 10): the snapshot load at least 5x faster than the full re-load and faster than
the fresh --bulk load, the loader's peak RSS at most 1.5 GB. Prints a table; ``--json`` writes
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import REPO, bench_env, empty_database, hflineage, run_measured, synth  # noqa: E402

EVOLVE = REPO.parent / "shared" / "tools" / "evolve_hubstats.py"


def evolve(path: Path, seed: int, week: int) -> Path:
    """The week after ``path``, named after the first file and the week's number."""
    out = path.with_name(path.stem.split("_week")[0] + f"_week{week}_s{seed}.parquet")
    if not out.exists():
        print(f"evolving {path.name} by one week ...", file=sys.stderr)
        subprocess.run([sys.executable, str(EVOLVE), str(path), str(out), "--seed", str(seed + week - 1)], check=True,
                       stderr=subprocess.DEVNULL)
    return out


def server_pid(env) -> int:
    return json.loads((Path(env["HFLINEAGE_HOME"]) / "server.json").read_text())["pid"]


def server_cpu(pid: int) -> dict:
    """The server's CPU seconds so far, and of them the seconds its JIT compilers spent (None
    without jcmd)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out = {"cpu_s": (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), "jit_s": None}
    jcmd = shutil.which("jcmd")
    if jcmd:
        text = subprocess.run([jcmd, str(pid), "PerfCounter.print"], capture_output=True, text=True).stdout
        counters = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        if "java.ci.totalTime" in counters:
            out["jit_s"] = int(counters["java.ci.totalTime"]) / int(counters["sun.os.hrt.frequency"])
    return out


def load(env, *args, online: bool = True) -> dict:
    """``hflineage load ARGS`` measured; ``online``: the server's CPU and JIT seconds as well."""
    pid = server_pid(env) if online else None
    before = server_cpu(pid) if online else None
    r = run_measured([sys.executable, "-m", "hflineage.cli", "load", *map(str, args), "--format", "json"], env)
    if online:
        after = server_cpu(pid)
        r["server_cpu_s"] = after["cpu_s"] - before["cpu_s"]
        r["server_jit_s"] = after["jit_s"] - before["jit_s"] if after["jit_s"] is not None else None
    if r["returncode"] != 0:
        sys.exit(f"hflineage load {' '.join(map(str, args))} failed: {r['stderr'].strip()[-500:]}")
    r["report"] = json.loads(r.pop("stdout"))
    r.pop("stderr")
    return r


def one_size(env, models: int, seed: int) -> dict:
    week0 = synth(models, seed)
    week1 = evolve(week0, seed, 1)
    week2 = evolve(week1, seed, 2)
    empty_database(env)
    first = load(env, week0, "--bulk", "--snapshot", online=False)
    cold = load(env, week1, "--snapshot")
    warm = load(env, week2, "--snapshot")
    full = load(env, week2)
    empty_database(env)
    bulk = load(env, week2, "--bulk", online=False)
    changes = cold["report"]["changes"]
    out = {
        "models": models, "week1_rows": cold["report"]["rows_read"],
        "added": changes["added"]["total"], "deleted": changes["deleted"]["total"],
        "updated": changes["updated"]["total"], "rebased": changes["rebased"]["total"],
        "writes": cold["report"]["writes"], "phases": cold["report"]["phases"],
        "warm_phases": warm["report"]["phases"],
        "first_bulk_snapshot_s": first["wall_s"],
        "snapshot_s": cold["wall_s"], "snapshot_rss_mb": cold["peak_rss_mb"],
        "snapshot_server_cpu_s": cold["server_cpu_s"], "snapshot_server_jit_s": cold["server_jit_s"],
        "warm_snapshot_s": warm["wall_s"], "warm_snapshot_rss_mb": warm["peak_rss_mb"],
        "warm_snapshot_server_cpu_s": warm["server_cpu_s"], "warm_snapshot_server_jit_s": warm["server_jit_s"],
        "full_reload_s": full["wall_s"], "full_reload_rss_mb": full["peak_rss_mb"],
        "full_reload_server_cpu_s": full["server_cpu_s"], "full_reload_server_jit_s": full["server_jit_s"],
        "fresh_bulk_s": bulk["wall_s"], "fresh_bulk_rss_mb": bulk["peak_rss_mb"],
    }
    out["speedup_vs_full_reload"] = out["full_reload_s"] / out["snapshot_s"]
    out["speedup_vs_fresh_bulk"] = out["fresh_bulk_s"] / out["snapshot_s"]
    out["warm_speedup_vs_full_reload"] = out["full_reload_s"] / out["warm_snapshot_s"]
    out["warm_speedup_vs_fresh_bulk"] = out["fresh_bulk_s"] / out["warm_snapshot_s"]
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
        for kind, key in (("cold", ""), ("warm", "warm_")):
            phases = ", ".join(f"{k} {v:.1f}" for k, v in r[f"{key}phases"].items())
            print(f"{r['models']:>9,} {r['added']:>6,} {r['deleted']:>7,} {r['updated']:>7,} "
                  f"{r[f'{key}snapshot_s']:>10.1f} {r['full_reload_s']:>13.1f} {r['fresh_bulk_s']:>12.1f} "
                  f"{r[f'{key}speedup_vs_full_reload']:>8.2f} {r[f'{key}speedup_vs_fresh_bulk']:>6.2f} "
                  f"{r[f'{key}snapshot_rss_mb']:>11.0f}  {kind}: {phases}")
    print(f"\nserver CPU s / of them, compiling (JIT) s\n{'models':>9} {'cold snapshot':>14} {'warm snapshot':>14} "
          f"{'full reload':>12}")
    for r in results:
        cells = []
        for key in ("snapshot", "warm_snapshot", "full_reload"):
            jit = r[f"{key}_server_jit_s"]
            cells.append(f"{r[f'{key}_server_cpu_s']:.0f} / {jit:.0f}" if jit is not None else f"{r[f'{key}_server_cpu_s']:.0f} / -")
        print(f"{r['models']:>9,} {cells[0]:>14} {cells[1]:>14} {cells[2]:>12}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
