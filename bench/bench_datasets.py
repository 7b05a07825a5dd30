"""Datasets benchmark: what training datasets and successors cost a load, and what a dataset costs to ask about.

    python bench/bench_datasets.py                          # 2,500,000 models, 1 run of each load
    python bench/bench_datasets.py --models 100000 --runs 3 --query-runs 9

The synthetic file (../shared/tools/synth_hubstats.py, cached in bench/out/) is written twice by
bench/add_datasets.py: *without* (no dataset tags, no card datasets or new_version) and *with*
(a quarter of the models naming 1-8 datasets of a Zipf-popular pool, ~2% a new_version). Each
load goes into an emptied database of a dedicated local server; online (`hflineage load`) and
`--bulk` loads of the two files take turns, run after run. Printed: wall seconds and peak RSS of
each, the medians, and with ÷ without (the issue's target: at most 1.25).

Then, on the graph of the last load *with* datasets: `hflineage show` on the most derived model,
`hflineage dataset` and `hflineage impact --dataset` on the most used dataset, each a whole CLI
process, taking turns, ``--query-runs`` times after a warm-up; medians and ratios to show (target:
within 2x). The same three answers are also timed as queries alone, through one open connection.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import OUT, bench_env, empty_database, hflineage, run_measured, synth  # noqa: E402

ADD = Path(__file__).resolve().parent / "add_datasets.py"


def variants(models: int, seed: int) -> dict[str, Path]:
    plain = synth(models, seed)
    out = {}
    for name, extra in (("without", ["--none"]), ("with", [])):
        path = OUT / f"models_{models}_s{seed}_{name}_datasets.parquet"
        if not path.exists():
            print(f"writing {path.name} ...", file=sys.stderr)
            subprocess.run([sys.executable, str(ADD), str(plain), str(path), "--seed", str(seed), *extra],
                           check=True, stdout=subprocess.DEVNULL)
        out[name] = path
    return out


def one_load(env, path: Path, bulk: bool) -> dict:
    empty_database(env)
    cmd = [sys.executable, "-m", "hflineage.cli", "load", str(path), "--format", "json", *(["--bulk"] if bulk else [])]
    run = run_measured(cmd, env)
    if run["returncode"] != 0:
        sys.exit(f"load failed: {run['stderr'].strip()[-500:]}")
    report = json.loads(run["stdout"])
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "links": report.get("links")}


def cli_seconds(env, args: list[str]) -> float:
    started = time.monotonic()
    hflineage(env, *args)
    return time.monotonic() - started


def connect(env):
    import os

    from hflineage.store.db import Graph
    from hflineage.store.settings import resolve_connection

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Graph(resolve_connection())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def most_derived_and_used(env) -> tuple[str, str]:
    """The model with most descendants and the dataset most models are trained on."""
    graph = connect(env)
    try:
        run = graph.driver.execute_query
        model = run("MATCH (m:Model) RETURN m.id AS id ORDER BY m.descendants DESC LIMIT 1",
                    database_=graph.database).records[0]["id"]
        used = run("MATCH (d:Dataset) RETURN d.id AS id ORDER BY COUNT { (d)<-[:TRAINED_ON]-() } DESC LIMIT 1",
                   database_=graph.database).records[0]["id"]
        return model, used
    finally:
        graph.close()


def query_seconds(env, name: str, runs: int, **params) -> float:
    graph = connect(env)
    try:
        graph.read(name, **params)  # warm-up
        times = []
        for _ in range(runs):
            started = time.monotonic()
            graph.read(name, **params)
            times.append(time.monotonic() - started)
        return statistics.median(times)
    finally:
        graph.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_500_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--query-runs", type=int, default=7)
    ap.add_argument("--no-bulk", action="store_true")
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="4g")
    ap.add_argument("--bolt-port", type=int, default=47687)
    ap.add_argument("--http-port", type=int, default=47474)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    env = bench_env(args)
    files = variants(args.models, args.seed)
    hflineage(env, "db", "start")
    modes = [("online", False)] + ([] if args.no_bulk else [("--bulk", True)])
    results: dict = {f"{m} {v}": [] for m, _ in modes for v in files}
    for run in range(args.runs):
        for mode, bulk in modes:
            for variant in ("without", "with"):
                got = one_load(env, files[variant], bulk)
                results[f"{mode} {variant}"].append(got)
                print(f"run {run + 1} {mode:7} {variant:8} datasets: {got['wall_s']:7.1f} s, "
                      f"peak {got['peak_rss_mb']:,.0f} MiB", file=sys.stderr)
    summary = {"models": args.models, "runs": args.runs, "loads": {}}
    print(f"\n{args.models:,} models, {args.runs} run(s) each; medians")
    print(f"{'load':<22} {'wall s':>8} {'peak MiB':>9}")
    for key, runs in results.items():
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = statistics.median(r["peak_rss_mb"] for r in runs)
        summary["loads"][key] = {"wall_s": round(wall, 1), "peak_rss_mb": round(peak), "walls": [round(r["wall_s"], 1) for r in runs]}
        print(f"{key:<22} {wall:8.1f} {peak:9,.0f}")
    for mode, _ in modes:
        ratio = summary["loads"][f"{mode} with"]["wall_s"] / summary["loads"][f"{mode} without"]["wall_s"]
        summary["loads"][f"{mode} ratio"] = round(ratio, 3)
        print(f"{mode}: with ÷ without datasets = {ratio:.2f}x (target <= 1.25x: {'met' if ratio <= 1.25 else 'MISSED'})")
    summary["links"] = results[f"{modes[-1][0]} with"][-1]["links"]
    print("graph:", json.dumps(summary["links"]))

    model, used = most_derived_and_used(env)
    commands = {"show": ["show", model, "--format", "json"], "dataset": ["dataset", used, "--format", "json"],
                "impact --dataset": ["impact", "--dataset", used, "--format", "json"]}
    for argv in commands.values():
        cli_seconds(env, argv)  # warm-up
    times = {k: [] for k in commands}
    for _ in range(args.query_runs):
        for key, argv in commands.items():
            times[key].append(cli_seconds(env, argv))
    queries = {"show": query_seconds(env, "show", args.query_runs, model_id=model),
               "dataset": query_seconds(env, "dataset_reach", args.query_runs, ids=[used])}
    print(f"\nmost derived model {model}; most used dataset {used}")
    print(f"{'command (whole process)':<24} {'median s':>9} {'÷ show':>7}")
    base = statistics.median(times["show"])
    summary["queries"] = {"model": model, "dataset": used}
    for key, values in times.items():
        med = statistics.median(values)
        summary["queries"][key] = {"median_s": round(med, 3), "ratio_to_show": round(med / base, 2)}
        print(f"{key:<24} {med:9.3f} {med / base:7.2f}")
    ratio = queries["dataset"] / queries["show"]
    summary["queries"]["query_only"] = {k: round(v, 4) for k, v in queries.items()} | {"ratio": round(ratio, 2)}
    print(f"queries alone: show {queries['show'] * 1000:.1f} ms, dataset_reach {queries['dataset'] * 1000:.1f} ms "
          f"({ratio:.1f}x)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
