"""Load benchmark: a synthetic hub-stats file of N models into an empty database.

    python bench/bench_load.py                       # 2,500,000 models, 1 run
    python bench/bench_load.py --models 100000 --runs 3

Generates the file with ../shared/tools/synth_hubstats.py (cached in bench/out/), runs a
dedicated local server (its own home and ports), empties the database before every run by
removing its store, runs `hflineage load` as a child process and prints wall time, rows/s,
edges/s and the loader's peak RSS (getrusage of the child). Targets from issue 2: the full load
in at most 300 s, peak RSS at most 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
SYNTH = REPO.parent / "shared" / "tools" / "synth_hubstats.py"


def synth(models: int, seed: int) -> Path:
    path = OUT / f"models_{models}_s{seed}.parquet"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(SYNTH), str(path), "--models", str(models), "--seed", str(seed)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def bench_env(args) -> dict:
    env = dict(os.environ)
    home = getattr(args, "home", None) or OUT / "neo4j-home"
    env.update(HFLINEAGE_HOME=str(Path(home).resolve()), HFLINEAGE_BOLT_PORT=str(args.bolt_port),
               HFLINEAGE_HTTP_PORT=str(args.http_port), HFLINEAGE_HEAP=args.heap,
               HFLINEAGE_PAGECACHE=args.pagecache, HFLINEAGE_NO_PROGRESS="1")
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        env.pop(name, None)
    return env


def hflineage(env, *args, capture=True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hflineage.cli", *args], env=env, text=True,
                          capture_output=capture, check=True)


def empty_database(env) -> None:
    """Stop the server, remove the store (data/databases and transactions), start again."""
    hflineage(env, "db", "stop")
    data = Path(env["HFLINEAGE_HOME"]) / "data"
    for sub in ("databases", "transactions"):
        shutil.rmtree(data / sub, ignore_errors=True)
    # the store is gone, so the next start sets the initial password again from the file
    hflineage(env, "db", "start")


def run_measured(cmd: list[str], env: dict, watch_pid: int | None = None, cwd: Path | None = None) -> dict:
    """Run ``cmd`` as a child and measure it alone: wall time and its own peak RSS (wait4 on that
    child, so an earlier, bigger child does not mask it); with ``watch_pid``, also the peak RSS of
    that process (the server) sampled every 0.2 s while the child runs."""
    import tempfile
    import threading

    import psutil

    peak = {"rss": 0}
    done = threading.Event()

    def sample() -> None:
        try:
            proc = psutil.Process(watch_pid)
            while not done.is_set():
                peak["rss"] = max(peak["rss"], proc.memory_info().rss)
                done.wait(0.2)
        except psutil.Error:
            pass

    sampler = threading.Thread(target=sample, daemon=True) if watch_pid else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        if sampler:
            sampler.start()
        started = time.monotonic()
        child = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if sampler:
            sampler.join()
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "returncode": child.returncode,
                "stdout": out.read(), "stderr": err.read(),
                "server_peak_rss_mb": peak["rss"] / 2**20 if watch_pid else None}


def one_run(env, path: Path, batch_size: int, workers: int) -> dict:
    empty_database(env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys; from hflineage.cli.main import main; main(sys.argv[1:])",
         "load", str(path), "--format", "json", "--batch-size", str(batch_size), "--workers", str(workers)],
        env=env, text=True, capture_output=True)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"load failed: {proc.stderr.strip()}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(proc.stdout)
    return {"wall_s": wall, "rows": report["rows_read"], "edges": report["edges_written"],
            "peak_rss_mb": peak_kb / 1024 if peak_kb > before else float("nan"), "report": report}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="4g")
    ap.add_argument("--bolt-port", type=int, default=27687)
    ap.add_argument("--http-port", type=int, default=27474)
    ap.add_argument("--home", type=Path, default=None, help="the benchmark server's home (default bench/out/neo4j-home)")
    ap.add_argument("--keep-server", action="store_true", help="leave the benchmark server running")
    args = ap.parse_args()

    path = synth(args.models, args.seed)
    env = bench_env(args)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; file {path.name} ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"{'run':>3} {'wall s':>8} {'rows/s':>9} {'edges/s':>9} {'peak RSS MB':>12}")
    runs = []
    try:
        for i in range(args.runs):
            r = one_run(env, path, args.batch_size, args.workers)
            runs.append(r)
            print(f"{i + 1:>3} {r['wall_s']:>8.1f} {r['rows'] / r['wall_s']:>9.0f} {r['edges'] / r['wall_s']:>9.0f} "
                  f"{r['peak_rss_mb']:>12.0f}", flush=True)
    finally:
        if not args.keep_server:
            hflineage(env, "db", "stop")
    wall = statistics.median(r["wall_s"] for r in runs)
    rss = max(r["peak_rss_mb"] for r in runs)
    last = runs[-1]["report"]
    print(f"median wall {wall:.1f} s for {runs[-1]['rows']:,} models and {runs[-1]['edges']:,} edges "
          f"(+{last['missing_placeholders']:,} placeholders); max peak RSS {rss:.0f} MB")
    print(f"target full load <= 300 s: {'met' if wall <= 300 else 'MISSED'}; "
          f"peak RSS <= 1536 MB: {'met' if rss <= 1536 else 'MISSED'}")


if __name__ == "__main__":
    main()
