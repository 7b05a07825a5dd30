"""Loading benchmark against peers: our online loader, a naive loader, the offline importer, --bulk.

    python bench/bench_loaders.py --sizes 100000 --home /tmp/hfl-bench --bolt-port 14687 --http-port 14474
    python bench/bench_loaders.py --sizes 100000,500000,1000000,2500000 --real --json bench/out/loaders.json

(bench/run_all.py runs this and bench_peers.py together and writes BENCHMARKS.md.)

For every size (synthetic files from ../shared/tools/synth_hubstats.py, same seed; ``--real`` adds
the files in ../shared/data/ as a sanity row) and on one dedicated local server:

* **importer** -- ``neo4j-admin database import full`` (org.neo4j.cli.AdminTool, the import tool in
  the server's own jars) into an empty ``neo4j`` database with the server stopped: the practical
  speed limit. Its input files (nodes, placeholders, edges as CSV) are converted from the parquet
  with the loader's own reading code (same ids, same edges, cycles broken the same way); the
  conversion is timed apart. After the import the server is started and the node and edge counts
  are checked against our loader's: a mismatch stops the run.
* **bulk** -- ``hflineage load --bulk PATH`` (offline importer mode), when the CLI has it; else
  the row says "not available". Run with progress on, so that its last stderr line times its
  phases (files, stop, import, start, schema), shown on the line below its row.
* **ours** -- ``hflineage load PATH`` into an empty database (schema, nodes, edges, derived
  depths): the graph the lookup benchmark then queries. It runs last so that the server is left
  holding its graph.
* **naive** -- once per run, on the first ``--naive-rows`` rows (20,000) of the first size's file:
  what tutorials do, ``pandas.read_parquet`` then one write transaction per row holding a ``MERGE``
  for the model and one ``MERGE`` per declared base (with the uniqueness constraint created first,
  else every MERGE scans all nodes). Declared edges only.

Each run is a child process measured on its own (wall time; its peak RSS by wait4; the server's
peak RSS sampled every 0.2 s for the online loaders); rows/s and edges/s are rows read and edges
written per second of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_load import OUT, bench_env, empty_database, hflineage, run_measured, synth  # noqa: E402

SHARED = REPO.parent / "shared"
REAL_FILES = (SHARED / "data" / "hub_stats_sample.parquet", SHARED / "data" / "family_trees.parquet")
DEFAULT_HOME = OUT / "suite-home"
DEFAULT_BOLT, DEFAULT_HTTP = 27787, 27574


def add_server_options(ap: argparse.ArgumentParser) -> None:
    """Options naming the dedicated benchmark server (shared by every script of the suite)."""
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME, help="the benchmark server's home (default %(default)s)")
    ap.add_argument("--bolt-port", type=int, default=DEFAULT_BOLT)
    ap.add_argument("--http-port", type=int, default=DEFAULT_HTTP)
    ap.add_argument("--heap", default="4g")
    ap.add_argument("--pagecache", default="4g")


def dataset_files(sizes: list[int], seed: int, real: bool) -> list[tuple[str, Path]]:
    """(label, path) for every synthetic size, then the real files."""
    out = [(f"{n:,}", synth(n, seed)) for n in sizes]
    if real:
        out += [(f"real: {p.name}", p) for p in REAL_FILES]
    return out


def server(env: dict):
    """The LocalServer of the benchmark home (the environment's home and ports)."""
    from hflineage.server.manage import LocalServer

    saved = {k: os.environ.get(k) for k in ("HFLINEAGE_HOME", "HFLINEAGE_BOLT_PORT", "HFLINEAGE_HTTP_PORT")}
    os.environ.update({k: env[k] for k in saved})
    try:
        return LocalServer(Path(env["HFLINEAGE_HOME"]))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _counts(env: dict) -> dict:
    """Nodes and edges in the benchmark database (from the count store)."""
    from neo4j import GraphDatabase

    local = server(env)
    with GraphDatabase.driver(local.bolt_uri, auth=("neo4j", local.read_password()),
                              notifications_min_severity="OFF") as driver:
        one = lambda q: driver.execute_query(q, database_="neo4j")[0][0][0]  # noqa: E731
        return {"nodes": one("MATCH (m:Model) RETURN count(m)"), "edges": one("MATCH ()-[r]->() RETURN count(r)")}


# --- ours ----------------------------------------------------------------------------------------

def run_ours(env: dict, path: Path, batch_size: int, workers: int) -> dict:
    empty_database(env)
    m = run_measured([sys.executable, "-m", "hflineage.cli", "load", str(path), "--format", "json",
                      "--batch-size", str(batch_size), "--workers", str(workers)],
                     env, watch_pid=server(env).pid())
    if m["returncode"]:
        raise SystemExit(f"hflineage load failed: {m['stderr'].strip()[-500:]}")
    report = json.loads(m["stdout"])
    return {"tool": "ours", "wall_s": m["wall_s"], "rows": report["rows_read"], "edges": report["edges_written"],
            "nodes": report["models"] + report["missing_placeholders"], "peak_rss_mb": m["peak_rss_mb"],
            "server_peak_rss_mb": m["server_peak_rss_mb"]}


# --- bulk ----------------------------------------------------------------------------------------

def bulk_available(env: dict) -> bool:
    proc = hflineage(env, "load", "--help")
    return "--bulk" in proc.stdout


def run_bulk(env: dict, path: Path, rows: int) -> dict:
    empty_database(env)
    # with progress on, --bulk ends with a status line timing its phases (the bars go to a file)
    m = run_measured([sys.executable, "-m", "hflineage.cli", "load", "--bulk", str(path), "--format", "json"],
                     dict(env, HFLINEAGE_NO_PROGRESS=""), watch_pid=server(env).pid())
    if m["returncode"]:
        raise SystemExit(f"hflineage load --bulk failed: {m['stderr'].strip()[-500:]}")
    server(env).start()  # whatever state bulk mode leaves the server in, the next step needs it up
    counts = _counts(env)
    return {"tool": "bulk", "wall_s": m["wall_s"], "rows": rows, "edges": counts["edges"], "nodes": counts["nodes"],
            "peak_rss_mb": m["peak_rss_mb"], "server_peak_rss_mb": None, "phases": bulk_phases(m["stderr"])}


def bulk_phases(stderr: str) -> dict | None:
    """``{phase: seconds}`` from the line ``bulk load: files 1.2 s, stop 0.4 s, ..., total 9.9 s``."""
    import re

    lines = [line for line in stderr.splitlines() if line.startswith("bulk load: ")]
    if not lines:
        return None  # a --bulk that does not time its phases
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", lines[-1]) if k != "total"}


# --- importer ------------------------------------------------------------------------------------

def convert_for_import(path: Path, outdir: Path, batch_size: int = 10_000) -> dict:
    """The parquet as the import tool's input files, interpreted exactly as the loader does: the
    loader's ``plan`` into loader/bulk.py's ``CsvSink`` (the files ``--bulk`` imports). Returns
    the three files (header line first), whether a field holds a line break, and the rows read."""
    from hflineage.loader.bulk import CsvSink
    from hflineage.loader.report import LoadReport
    from hflineage.loader.plan import open_source, plan

    with CsvSink(outdir) as sink:
        report = plan(open_source(str(path)), sink, LoadReport(source=str(path)), batch_size, progress=False)
    return {"rows": report.rows_read, "models": str(sink.models_path), "missing": str(sink.missing_path),
            "edges": str(sink.edges_path), "multiline": sink.multiline, "converter": "loader.bulk.CsvSink"}


def run_importer(env: dict, path: Path, workdir: Path) -> dict:
    """Convert (a child process, timed apart), stop the server, import into an empty ``neo4j``
    database (timed: the practical limit), start, create the schema, count."""
    from hflineage.server.manage import ADMIN_CLASS

    shutil.rmtree(workdir, ignore_errors=True)
    conv = run_measured(_child("--convert-worker", str(path), str(workdir)), env)
    if conv["returncode"]:
        raise SystemExit(f"conversion for the importer failed: {conv['stderr'].strip()[-500:]}")
    info = json.loads(conv["stdout"])
    local = server(env)
    local.stop()
    # the same arguments --bulk gives the importer (loader/bulk.py import_files)
    args = ["database", "import", "full",
            f"--nodes=Model={info['models']}", f"--nodes=Model:Missing={info['missing']}",
            f"--relationships={info['edges']}", "--overwrite-destination=true",
            f"--multiline-fields={'true' if info['multiline'] else 'false'}",
            f"--max-off-heap-memory={env['HFLINEAGE_PAGECACHE']}",
            f"--report-file={workdir / 'import.report'}", "neo4j"]
    admin_env = dict(env, NEO4J_HOME=str(local.home), NEO4J_CONF=str(local.home / "conf"))
    imp = run_measured([local.java(), "-cp", f"{local.lib_dir}/*", ADMIN_CLASS, *args], admin_env, cwd=workdir)
    started = time.monotonic()
    local.start()
    start_s = time.monotonic() - started
    if imp["returncode"]:
        raise SystemExit(f"neo4j-admin database import failed: {(imp['stdout'] + imp['stderr']).strip()[-800:]}")
    started = time.monotonic()
    _schema(env)
    schema_s = time.monotonic() - started
    counts = _counts(env)
    shutil.rmtree(workdir, ignore_errors=True)
    return {"tool": "importer", "wall_s": imp["wall_s"], "rows": info["rows"], "edges": counts["edges"],
            "nodes": counts["nodes"], "peak_rss_mb": imp["peak_rss_mb"], "server_peak_rss_mb": None,
            "convert_s": conv["wall_s"], "convert_rss_mb": conv["peak_rss_mb"], "converter": info["converter"],
            "start_s": start_s, "schema_s": schema_s}


def _schema(env: dict) -> None:
    """The loader's constraint and indexes on the imported graph, waited for (ready to query)."""
    saved = dict(os.environ)
    os.environ.update({k: env[k] for k in ("HFLINEAGE_HOME", "HFLINEAGE_BOLT_PORT", "HFLINEAGE_HTTP_PORT")})
    try:
        from hflineage.store.db import Graph
        from hflineage.store.schema import ensure_schema
        from hflineage.store.settings import resolve_connection

        with Graph(resolve_connection()) as graph:
            ensure_schema(graph)
            graph.driver.execute_query("CALL db.awaitIndexes(3600)", database_=graph.database)
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- naive ---------------------------------------------------------------------------------------

NAIVE_TYPES = {"finetune": "FINETUNE_OF", "adapter": "ADAPTER_OF", "quantized": "QUANTIZATION_OF", "merge": "MERGE_OF"}


def naive_slice(path: Path, rows: int) -> Path:
    """The first ``rows`` rows of ``path`` as their own file (cached beside the synthetic files)."""
    out = OUT / f"{path.stem}_head{rows}.parquet"
    if not out.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        pf = pq.ParquetFile(path)
        batches, n = [], 0
        for batch in pf.iter_batches(batch_size=min(rows, 65_536)):
            batches.append(batch.slice(0, rows - n))
            n += batches[-1].num_rows
            if n >= rows:
                break
        pq.write_table(pa.Table.from_batches(batches, schema=pf.schema_arrow), out)
    return out


def naive_load(path: Path) -> dict:
    """The tutorial loader: one write transaction per row (a MERGE for the model, one per base)."""
    import math

    import pandas as pd
    from neo4j import GraphDatabase

    from hflineage.store.settings import resolve_connection

    def value(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.to_pydatetime().replace(tzinfo=v.tzinfo or __import__("datetime").timezone.utc)
        return v.item() if hasattr(v, "item") else v

    def write_row(tx, row: dict, bases: list[tuple[str, str]]) -> None:
        tx.run("MERGE (m:Model {id: $id}) SET m.author = $author, m.createdAt = $createdAt, "
               "m.lastModified = $lastModified, m.downloads = $downloads, m.downloadsAllTime = $downloadsAllTime, "
               "m.likes = $likes, m.trendingScore = $trendingScore, m.pipelineTag = $pipelineTag, "
               "m.libraryName = $libraryName, m.license = $license", row)
        for base, relation in bases:
            tx.run(f"MATCH (m:Model {{id: $id}}) MERGE (b:Model {{id: $base}}) MERGE (m)-[:{NAIVE_TYPES[relation]}]->(b)",
                   id=row["id"], base=base)

    conn = resolve_connection()
    df = pd.read_parquet(path)
    rows = edges = 0
    with GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
        with driver.session(database=conn.database) as session:
            session.run("CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE").consume()
            for r in df.itertuples(index=False):
                rows += 1
                model_id = (r.id or "").strip()
                if not model_id:
                    continue
                tags = list(r.tags) if r.tags is not None else []
                license_ = next((t[8:] for t in tags if t.startswith("license:")), None)
                row = {"id": model_id, "author": value(r.author), "createdAt": value(r.createdAt),
                       "lastModified": value(r.lastModified), "downloads": value(r.downloads),
                       "downloadsAllTime": value(r.downloadsAllTime), "likes": value(r.likes),
                       "trendingScore": value(r.trendingScore), "pipelineTag": value(r.pipeline_tag),
                       "libraryName": value(r.library_name), "license": license_}
                bases = []
                bm = r.baseModels
                if bm is not None and bm.get("relation") in NAIVE_TYPES and bm.get("models") is not None:
                    for m in bm["models"]:
                        base = (m.get("id") or "").strip()
                        if base and base != model_id:
                            bases.append((base, bm["relation"]))
                session.execute_write(write_row, row, bases)
                edges += len(bases)
    return {"rows": rows, "edges": edges}


def run_naive(env: dict, path: Path, rows: int) -> dict:
    sliced = naive_slice(path, rows)
    empty_database(env)
    m = run_measured(_child("--naive-worker", str(sliced)), env, watch_pid=server(env).pid())
    if m["returncode"]:
        raise SystemExit(f"the naive loader failed: {m['stderr'].strip()[-500:]}")
    info = json.loads(m["stdout"])
    return {"tool": "naive", "wall_s": m["wall_s"], "rows": info["rows"], "edges": info["edges"],
            "nodes": None, "peak_rss_mb": m["peak_rss_mb"], "server_peak_rss_mb": m["server_peak_rss_mb"],
            "slice_of": path.name}


# --- the suite -----------------------------------------------------------------------------------

def run_size(env: dict, label: str, path: Path, args, with_bulk: bool) -> list[dict]:
    """importer, bulk (when available), then ours (leaves the server holding ours' graph)."""
    rows = pq.ParquetFile(path).metadata.num_rows
    print(f"[loaders] {label}: {path.name} ({rows:,} rows)", file=sys.stderr, flush=True)
    results = []
    imp = run_importer(env, path, OUT / "import" / path.stem)
    results.append(imp)
    if with_bulk:
        results.append(run_bulk(env, path, rows))
    ours = run_ours(env, path, args.batch_size, args.workers)
    results.append(ours)
    # the importer's graph must be the loader's graph (same nodes, same edges), else its time means nothing
    for r in results:
        if (r["nodes"], r["edges"]) != (ours["nodes"], ours["edges"]):
            raise SystemExit(f"{r['tool']} wrote {r['nodes']:,} nodes and {r['edges']:,} edges, the loader "
                             f"{ours['nodes']:,} and {ours['edges']:,}: not the same graph")
    for r in results:
        r.update(size=label, file=path.name)
    return results


def run(args, env: dict) -> dict:
    """Every size, plus the naive loader once; returns the results document."""
    files = dataset_files(args.sizes, args.seed, args.real)
    hflineage(env, "db", "start")
    with_bulk = bulk_available(env)
    results, naive = [], None
    if args.naive_rows:
        first = files[0][1]
        naive = run_naive(env, first, args.naive_rows)
        naive.update(size=f"{naive['rows']:,} (slice)", file=first.name)
        print(f"[loaders] naive: {naive['rows']:,} rows in {naive['wall_s']:.1f} s", file=sys.stderr, flush=True)
    for label, path in files:
        results += run_size(env, label, path, args, with_bulk)
    return {"machine": machine(), "bulk_available": with_bulk, "naive": naive, "runs": results,
            "naive_rows": args.naive_rows}


def machine() -> dict:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def print_table(doc: dict, out=sys.stdout) -> None:
    print(render_table(doc) + "\n\n" + render_ratios(doc), file=out)


TOOL_NAMES = {"ours": "ours (`hflineage load`)", "importer": "neo4j-admin import", "bulk": "ours (`hflineage load --bulk`)",
              "naive": "naive loader (MERGE per row)"}


def render_table(doc: dict) -> str:
    """The loading table (markdown): one row per size and tool."""
    lines = ["| size | tool | wall s | rows/s | edges/s | µs per row | peak RSS MB | server peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in doc["runs"] + ([doc["naive"]] if doc.get("naive") else []):
        server_rss = f"{r['server_peak_rss_mb']:,.0f}" if r.get("server_peak_rss_mb") else "-"
        lines.append(f"| {r['size']} | {TOOL_NAMES[r['tool']]} | {r['wall_s']:.1f} | {r['rows'] / r['wall_s']:,.0f} | "
                     f"{r['edges'] / r['wall_s']:,.0f} | {r['wall_s'] / r['rows'] * 1e6:.1f} | {r['peak_rss_mb']:,.0f} | "
                     f"{server_rss} |")
        if r["tool"] == "bulk" and r.get("phases"):
            parts = " + ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())
            lines.append(f"| {r['size']} | --bulk phases: {parts} | | | | | | |")
        if r["tool"] == "importer":
            pipeline = importer_pipeline_s(r)
            lines.append(f"| {r['size']} | importer + CSV conversion {r['convert_s']:.1f} s + server start "
                         f"{r['start_s']:.1f} s + schema {r['schema_s']:.1f} s | {pipeline:.1f} | "
                         f"{r['rows'] / pipeline:,.0f} | {r['edges'] / pipeline:,.0f} | {pipeline / r['rows'] * 1e6:.1f} | "
                         f"{max(r['convert_rss_mb'], r['peak_rss_mb']):,.0f} | - |")
    return "\n".join(lines)


def importer_pipeline_s(r: dict) -> float:
    return r["convert_s"] + r["wall_s"] + r["start_s"] + r["schema_s"]


def ratios(doc: dict) -> list[dict]:
    """Per size: ours / importer, bulk / importer, ours' rate / the naive rate, with the targets."""
    out = []
    naive = doc.get("naive")
    naive_rate = naive["rows"] / naive["wall_s"] if naive else None
    sizes = dict.fromkeys(r["size"] for r in doc["runs"])
    for size in sizes:
        by = {r["tool"]: r for r in doc["runs"] if r["size"] == size}
        ours, imp, bulk = by.get("ours"), by.get("importer"), by.get("bulk")
        row = {"size": size}
        if ours and imp:
            row["ours_vs_import"] = ours["wall_s"] / imp["wall_s"]
            row["ours_vs_import_pipeline"] = ours["wall_s"] / importer_pipeline_s(imp)
        if bulk and imp:
            row["bulk_vs_import"] = bulk["wall_s"] / imp["wall_s"]
        if ours and naive_rate and not size.startswith("real"):  # the tiny real files measure start-up costs
            row["ours_rate_vs_naive"] = ours["rows"] / ours["wall_s"] / naive_rate
        out.append(row)
    return out


def render_ratios(doc: dict) -> str:
    fmt = lambda v, target, better_low=True: "-" if v is None else (  # noqa: E731
        f"{v:.2f}x" + (f" ({'met' if (v <= target if better_low else v >= target) else 'MISSED'})" if target else ""))
    lines = ["| size | ours ÷ import wall (target ≤ 3x at 2.5M) | ours ÷ (convert + import + start + schema) | "
             "--bulk ÷ import wall (target ≤ 1.3x) | ours rows/s ÷ naive rows/s (target ≥ 20x) |",
             "|---|---:|---:|---:|---:|"]
    for r in ratios(doc):
        lines.append(f"| {r['size']} | {fmt(r.get('ours_vs_import'), 3)} | {fmt(r.get('ours_vs_import_pipeline'), None)} | "
                     f"{fmt(r.get('bulk_vs_import'), 1.3) if doc.get('bulk_available') else 'not available'} | "
                     f"{fmt(r.get('ours_rate_vs_naive'), 20, better_low=False)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated model counts (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", action="store_true", help="add the real files of ../shared/data/ as sanity rows")
    ap.add_argument("--naive-rows", type=int, default=20_000, help="rows for the naive loader (0: skip it)")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--keep-server", action="store_true",
                    help="leave the server running, holding the last file as ours loaded it (for bench_peers.py --no-load)")
    add_server_options(ap)
    ap.add_argument("--naive-worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--convert-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.naive_worker:
        print(json.dumps(naive_load(args.naive_worker)))
        return
    if args.convert_worker:
        print(json.dumps(convert_for_import(*args.convert_worker)))
        return
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    env = bench_env(args)
    try:
        doc = run(args, env)
    finally:
        if not args.keep_server:
            hflineage(env, "db", "stop")
    print_table(doc)
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
