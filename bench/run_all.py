"""The whole benchmark suite against peer tools, in one run: writes BENCHMARKS.md and a plot.

    python bench/run_all.py                      # 100k, 500k, 1M, 2.5M models + the real files
    python bench/run_all.py --sizes 100000 --sample 50 --home /tmp/hfl-bench --bolt-port 14687 --http-port 14474

For every size, on one dedicated local server (its own home and ports): the loaders
(bench_loaders.py: the offline importer, ``--bulk`` when the CLI has it, then ours, which leaves
the server holding its graph), then the lookups on that graph (bench_peers.py: ours, DuckDB
tables, DuckDB on parquet, networkx; answers compared, a disagreement stops the run). The naive
loader runs once, on the first ``--naive-rows`` rows of the first size's file. Then
BENCHMARKS.md (tables, the command, the machine) and bench/cost_vs_size.png (cost versus size)
are written, and the raw figures go to bench/out/suite.json.

Every figure comes from a measurement of this run; nothing is carried over from earlier runs.
The full suite takes about an hour on 2 cores; the sizes and sample counts are options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_load import OUT, bench_env, hflineage  # noqa: E402
import bench_loaders  # noqa: E402
import bench_peers  # noqa: E402

DEFAULT_SIZES = "100000,500000,1000000,2500000"


def run(args) -> dict:
    env = bench_env(args)
    files = bench_loaders.dataset_files(args.sizes, args.seed, args.real)
    hflineage(env, "db", "start")
    with_bulk = bench_loaders.bulk_available(env) and not args.no_bulk
    naive = None
    if args.naive_rows:
        first = files[0][1]
        naive = bench_loaders.run_naive(env, first, args.naive_rows)
        naive.update(size=f"{naive['rows']:,} (slice)", file=first.name)
    loads, lookups = [], []
    try:
        for label, path in files:
            loads += bench_loaders.run_size(env, label, path, args, with_bulk)
            lookups.append(bench_peers.run_size(env, label, path, args, load=False))
    finally:
        if not args.keep_server:
            hflineage(env, "db", "stop")
    return {"command": command_line(), "started": args.started, "finished": now(), "machine": describe_machine(env),
            "settings": {"heap": args.heap, "pagecache": args.pagecache, "seed": args.seed, "sample": args.sample,
                         "roots": args.roots, "warmup": args.warmup, "naive_rows": args.naive_rows},
            "loaders": {"bulk_available": with_bulk, "naive": naive, "runs": loads, "naive_rows": args.naive_rows},
            "lookups": lookups}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/run_all.py", *sys.argv[1:]])


def describe_machine(env: dict) -> dict:
    import duckdb
    import networkx

    from hflineage.server.manage import neo4j_version

    info = bench_loaders.machine()
    java = bench_loaders.server(env).java()
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
    info.update(java=version[0] if version else java, neo4j=f"Community {neo4j_version()}",
                duckdb=duckdb.__version__, networkx=networkx.__version__)
    return info


# --- the report ----------------------------------------------------------------------------------

KEPT = "<!-- Below: sections not written by bench/run_all.py (other scripts, measured once); it keeps them as they are. -->"


def _kept_sections(out: Path) -> str:
    """What follows the KEPT marker in the existing report (hand-run benchmarks), to carry over."""
    if not out.is_file():
        return ""
    text = out.read_text(encoding="utf-8")
    return "\n" + text[text.index(KEPT):] if KEPT in text else ""


def write_report(doc: dict, out: Path, plot: Path) -> None:
    m, s = doc["machine"], doc["settings"]
    loaders = doc["loaders"]
    text = f"""# Benchmarks: hflineage against peer tools

Written by `bench/run_all.py` on {doc['finished']} (started {doc['started']}); every figure
below was measured in that one run, on one machine, one tool after the other. Raw figures:
`bench/out/suite.json`.

```bash
{doc['command']}
```

**Machine.** {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']};
{m['java']}; Neo4j {m['neo4j']} (heap {s['heap']}, page cache {s['pagecache']}); DuckDB {m['duckdb']};
networkx {m['networkx']}.

**Data.** Synthetic hub-stats files from the shared tools' `synth_hubstats.py` (seed {s['seed']}) and, as a
sanity row, the real sample files (`hub_stats_sample.parquet`, `family_trees.parquet`).

## 1. Loading

Each load goes into an empty database (store removed, or the importer's
`--overwrite-destination`). *ours* = `hflineage load PATH` (into an empty graph: nodes with their
derived properties, then the constraint and indexes, then edges); *neo4j-admin import* = `neo4j-admin database import full` with the server stopped,
on the import files converted from the same parquet by the loader's own code (conversion, server
start and schema creation reported on the next line); *--bulk* = `hflineage load --bulk PATH`
(convert with the derived properties, stop, import, start, schema); *naive* = one write transaction per row with a
`MERGE` for the model and one per declared base, the uniqueness constraint created first, run on
the first {loaders['naive_rows']:,} rows of the first file. Peak RSS is the loading process's own (wait4);
the server's is sampled every 0.2 s. The imported graph is checked to hold exactly the nodes and
edges ours writes.

{bench_loaders.render_table(loaders)}

{bench_loaders.render_ratios(loaders)}

![cost versus size]({plot.relative_to(out.parent) if plot.is_relative_to(out.parent) else plot})

## 2. Lookups and analyses

The same questions, the same models ({s['sample']} random models, seeded, and the roots of the
{s['roots']} largest families), four tools; each lookup once to warm up, then once timed.

{_method()}

{bench_peers.render(doc['lookups'])}

### Targets

{_targets(doc)}
"""
    out.write_text(text + _kept_sections(out), encoding="utf-8")


def _method() -> str:
    return """| question | ours: library function (CLI) | DuckDB: SQL | networkx |
|---|---|---|---|
| descendants of X (count, subtree downloads) | `analyses.show` (`hflineage show`) | recursive CTE down, `USING KEY` + visited set | `nx.descendants` |
| depth of X (depth, roots) | `analyses.chain` (`hflineage chain`) | recursive CTE up, `USING KEY` (a node keeps its longest distance) | `dag_longest_path_length` on the ancestors |
| ancestors' licenses of X (each with shortest distance) | `licenses.model_license` (`hflineage license`) | recursive CTE up, `USING KEY` + visited set | `single_source_shortest_path_length` |
| deletion impact of {X} (the eight numbers of its definition) | `analyses.impact` (`hflineage impact`) | 5 recursive CTEs: descendants, anchored models, path counts up and down (HUGEINT) | descendants, anchored set, path-count DP |

**How answers are compared.** All tools answer over the same graph: the loader's, read back from
Neo4j after the load into two parquet files (edges: child, base, relation; nodes: license,
license_name, downloads, downloads_all_time, missing). That graph holds what the loader makes of
the parquet (trimmed ids, last row of a repeated id, declared plus inferred edges, self-references
and repeated bases dropped, cycles broken, placeholders), so no peer is asked to replicate those
rules, and none is charged for the read-back. Every answer of every peer is compared field by
field with ours (exact integers for chain counts); a single difference stops the suite with the
differing answers. **DuckDB (tables)**: the files loaded once into a DuckDB database file with ART
indexes on `edges(child)`, `edges(base)`, `nodes(id)`; **DuckDB (parquet per query)**: the same SQL
on `read_parquet(...)` of the files in every query, for the first 20 random models and the 3
biggest roots only (it rescans both files at every recursive step: minutes per lookup at 2.5M);
its ratio is taken against ours on those same models. **networkx**: a `DiGraph` built once per process
from the files with pandas, then queried in memory. Each tool runs in its own
process; cold first answer = a new process answering one descendants lookup."""


def _targets(doc: dict) -> str:
    lines = [f"- {t}" for t in bench_peers.targets(doc["lookups"])]
    ratios = [r for r in bench_loaders.ratios(doc["loaders"]) if not r["size"].startswith("real")]
    if ratios:
        last = ratios[-1]
        if "ours_vs_import" in last:
            lines.append(f"- {last['size']}: ours ÷ importer wall = {last['ours_vs_import']:.2f}x "
                         f"(target ≤ 3x at 2.5M: {'met' if last['ours_vs_import'] <= 3 else 'MISSED'})")
        if "bulk_vs_import" in last:
            lines.append(f"- {last['size']}: --bulk ÷ importer wall = {last['bulk_vs_import']:.2f}x "
                         f"(target ≤ 1.3x: {'met' if last['bulk_vs_import'] <= 1.3 else 'MISSED'})")
        rates = [r["ours_rate_vs_naive"] for r in ratios if "ours_rate_vs_naive" in r]
        if rates:
            lines.append(f"- ours rows/s ÷ naive rows/s = {min(rates):.0f}x at the least "
                         f"(target ≥ 20x: {'met' if min(rates) >= 20 else 'MISSED'})")
        per_row = {r["size"]: r["wall_s"] / r["rows"] * 1e6 for r in doc["loaders"]["runs"]
                   if r["tool"] == "ours" and not r["size"].startswith("real")}
        if len(per_row) > 1:
            lines.append("- ours, µs per row by size (flat = linear cost): "
                         + ", ".join(f"{k}: {v:.1f}" for k, v in per_row.items()))
    return "\n".join(lines)


def plot(doc: dict, path: Path) -> None:
    """Cost versus size, log-log: load wall time per loader; pooled lookup p50 per tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in doc["loaders"]["runs"] if not r["size"].startswith("real")]
    lookups = [r for r in doc["lookups"] if not r["size"].startswith("real")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for tool, label, wall in (("ours", "ours: hflineage load", lambda r: r["wall_s"]),
                              ("bulk", "ours: hflineage load --bulk", lambda r: r["wall_s"]),
                              ("importer", "neo4j-admin import (import only)", lambda r: r["wall_s"]),
                              ("importer", "neo4j-admin import + conversion, start, schema",
                               bench_loaders.importer_pipeline_s)):
        points = [(r["rows"], wall(r)) for r in runs if r["tool"] == tool]
        if points:
            left.plot(*zip(*points), marker="o", label=label)
    naive = doc["loaders"].get("naive")
    if naive and runs:
        rate = naive["rows"] / naive["wall_s"]
        xs = sorted({r["rows"] for r in runs})
        left.plot(xs, [x / rate for x in xs], linestyle=":", color="grey",
                  label=f"naive loader at its measured rate ({rate:,.0f} rows/s)")
    left.set(xscale="log", yscale="log", xlabel="models in the file", ylabel="wall time, s",
             title="Loading into an empty database")
    left.legend(fontsize=8)
    for tool in bench_peers.TOOLS:
        points = [(r["graph"]["nodes"], r["tools"][tool]["stats"]["all"]["p50"]) for r in lookups]
        if points:
            right.plot(*zip(*points), marker="o", label=f"{bench_peers.TOOL_NAMES[tool]} lookup p50")
    points = [(r["graph"]["nodes"], r["tools"]["networkx"]["build"]["build_s"] * 1000) for r in lookups]
    if points:
        right.plot(*zip(*points), marker="s", linestyle="--", label="networkx graph build (once)")
    points = [(r["graph"]["nodes"], statistics.median(r["cold_s"]["ours"]) * 1000) for r in lookups]
    if points:
        right.plot(*zip(*points), marker="^", linestyle="--", label="ours: cold process, first answer")
    right.set(xscale="log", yscale="log", xlabel="nodes in the graph", ylabel="ms",
              title="Lookups (all four questions pooled)")
    right.legend(fontsize=8)
    fig.suptitle(f"hflineage vs peers — {doc['machine']['cpu']}, {doc['machine']['cores']} cores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated model counts (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-real", dest="real", action="store_false", help="leave out the real files of ../shared/data/")
    ap.add_argument("--naive-rows", type=int, default=20_000, help="rows for the naive loader (0: skip it)")
    ap.add_argument("--no-bulk", action="store_true", help="leave out hflineage load --bulk")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--output", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--plot", type=Path, default=REPO / "bench" / "cost_vs_size.png")
    ap.add_argument("--json", type=Path, default=OUT / "suite.json")
    ap.add_argument("--keep-server", action="store_true", help="leave the benchmark server running")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite the report and plot from the --json file of an earlier run")
    bench_peers.add_peer_options(ap)
    bench_loaders.add_server_options(ap)
    args = ap.parse_args()
    if args.report_only:
        doc = json.loads(args.json.read_text(encoding="utf-8"))
        plot(doc, args.plot)
        write_report(doc, args.output, args.plot)
        print(f"wrote {args.output} and {args.plot} from {args.json}", file=sys.stderr)
        return
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    args.started = now()
    try:
        doc = run(args)
    except bench_peers.AgreementError as e:
        sys.exit(f"ANSWERS DISAGREE: {e}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    plot(doc, args.plot)
    write_report(doc, args.output, args.plot)
    print(f"wrote {args.output}, {args.plot} and {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
