"""Lookup benchmark against peer tools: our stored queries on Neo4j, DuckDB, networkx.

    python bench/bench_peers.py --sizes 100000 --home /tmp/hfl-bench --bolt-port 14687 --http-port 14474
    python bench/bench_peers.py --sizes 100000 --no-load      # after bench_loaders.py --keep-server

(bench/run_all.py runs bench_loaders.py and this together and writes BENCHMARKS.md.)

Four questions, each answered by every tool for the same models (``--sample`` random models,
seeded, and the roots of the ``--roots`` largest families):

| question     | ours (library function, stored query) | DuckDB (SQL)                    | networkx                       |
|--------------|---------------------------------------|---------------------------------|--------------------------------|
| descendants  | analyses.show                         | recursive CTE down, visited set | nx.descendants                 |
| depth        | analyses.chain                        | recursive CTE up, USING KEY     | dag_longest_path_length        |
| licenses     | licenses.model_license                | recursive CTE up, visited set   | single_source_shortest_path_length |
| impact       | analyses.impact                       | 5 recursive CTEs (orphans, path counts) | descendants + DP        |

Compared answers: descendants = (count, subtree downloads 30-day and all-time); depth = (depth,
sorted roots); licenses = the model's (license, license_name) and every ancestor's (id, license,
license_name, shortest distance, missing); impact = every number SPEC.md defines for a set of
one (affected derived/downstream, orphaned, merges losing a parent, downstream downloads both
ways, disrupted chains as exact integers, families touched).

**The same graph for everyone.** The loader interprets the parquet (trimmed ids, the last row of
a repeated id, declared edges plus edges inferred from ``cardData.base_model``, self-references
and repeated bases dropped, cycles broken, placeholders for absent bases). The peers get exactly
that graph: after ``hflineage load`` the edges (child, base, relation) and the node attributes the
questions read (license, license_name, downloads, downloads_all_time, missing) are read back from
Neo4j once into two parquet files (timed apart, not charged to anyone). Every answer of every
peer is compared with ours; any difference stops the run with the differing answers
(AgreementError, exit 1).

**The peers' best shot.** DuckDB: the two files loaded once into tables of a DuckDB database file
(build timed; cold lookups open that file), and recursive CTEs in the forms DuckDB documents for
graphs: ``USING KEY`` with a visited set read from ``recurring.<cte>``, so a node is expanded
once (depth keeps a node's last, i.e. longest, distance; path counts aggregate per node per
level), never the path-enumerating ``UNION ALL`` that merge ladders blow up. The
``duckdb-parquet`` variant runs the same SQL on ``read_parquet`` of the two files in every query
(no tables), on the first 20 random models and 3 biggest roots only (``--parquet-sample``,
``--parquet-roots``): it rescans both files at every recursive step, minutes per lookup at 2.5M;
its ratio is taken against ours on the same models. networkx: built once per process from the same files with pandas (seed 001's way of
reading the parquet), build time and memory reported apart, then queried in memory.

Every tool runs in its own child process, one after the other, on the same machine: each lookup
once to warm up, then once timed (as bench_queries.py does). Cold first answer: a new process
that answers one descendants lookup (ours: ``hflineage show M --format json``; DuckDB: open the
database file and query; networkx: read, build, query).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_load import OUT, bench_env, hflineage, run_measured  # noqa: E402
from bench_loaders import add_server_options, dataset_files, machine, run_ours  # noqa: E402
from bench_queries import percentile  # noqa: E402

from hflineage.store.relations import RELATION_OF  # noqa: E402

QUESTIONS = ("descendants", "depth", "licenses", "impact")
TOOLS = ("ours", "duckdb", "duckdb-parquet", "networkx")
TOOL_NAMES = {"ours": "ours (Neo4j)", "duckdb": "DuckDB (tables)", "duckdb-parquet": "DuckDB (parquet per query)",
              "networkx": "networkx"}
IMPACT_KEYS = ("affected_derived", "affected_downstream", "orphaned", "merges_losing_parent", "downstream_downloads",
               "downstream_downloads_all_time", "disrupted_chains", "families_touched")


class AgreementError(AssertionError):
    """A peer's answer differs from ours: the benchmark's figures would compare different work."""


# --- comparing answers ---------------------------------------------------------------------------

def compare_answers(reference: dict, candidate: dict, tool: str, show: int = 5, models: set | None = None) -> int:
    """Check that ``candidate`` answers every question for every model (of ``models`` when given,
    else of ``reference``) exactly as ``reference``.

    Both are ``{question: {model_id: answer}}`` with answers as JSON values (what the workers
    write). Returns the number of answers compared; raises AgreementError naming the tool, the
    question, the model and both answers when any differs or is missing.
    """
    problems, compared = [], 0
    for question, answers in reference.items():
        theirs = candidate.get(question, {})
        for model, ours in answers.items():
            if models is not None and model not in models:
                continue
            compared += 1
            if model not in theirs:
                problems.append(f"{question}({model}): no answer from {tool}")
            elif _canonical(theirs[model]) != _canonical(ours):
                problems.append(f"{question}({model}): ours {_short(ours)} != {tool} {_short(theirs[model])}")
    if problems:
        more = f" (and {len(problems) - show} more)" if len(problems) > show else ""
        raise AgreementError(f"{tool} disagrees with ours on {len(problems)} of {compared} answers{more}:\n  "
                             + "\n  ".join(problems[:show]))
    return compared


def _canonical(value):
    return json.loads(json.dumps(value, sort_keys=True))


def _short(value, width: int = 300) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[:width] + "..."


# --- the shared graph: read back from Neo4j --------------------------------------------------------

NODES_QUERY = ("MATCH (m:Model) RETURN m.id AS id, m.license AS license, m.licenseName AS license_name, "
               "m.downloads AS downloads, m.downloadsAllTime AS downloads_all_time, m:Missing AS missing")
NODE_SCHEMA = pa.schema([("id", pa.string()), ("license", pa.string()), ("license_name", pa.string()),
                         ("downloads", pa.int64()), ("downloads_all_time", pa.int64()), ("missing", pa.bool_())])
EDGE_SCHEMA = pa.schema([("child", pa.string()), ("base", pa.string()), ("relation", pa.string())])


def export_graph(graph, folder: Path) -> dict:
    """The loaded graph as nodes.parquet and edges.parquet (what every peer reads)."""
    import neo4j

    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with graph.driver.session(database=graph.database, default_access_mode=neo4j.READ_ACCESS) as session:
        _write_stream((r.values() for r in session.run(NODES_QUERY)), NODE_SCHEMA, folder / "nodes.parquet")
    _write_stream(((c, b, RELATION_OF[t]) for c, b, t, _family in graph.stream("stats_edges")), EDGE_SCHEMA,
                  folder / "edges.parquet")
    return {"export_s": time.monotonic() - started, "nodes": pq.ParquetFile(folder / "nodes.parquet").metadata.num_rows,
            "edges": pq.ParquetFile(folder / "edges.parquet").metadata.num_rows}


def _write_stream(rows, schema: pa.Schema, path: Path, chunk: int = 200_000) -> None:
    with pq.ParquetWriter(path, schema) as writer:
        buf = []
        for row in rows:
            buf.append(row)
            if len(buf) == chunk:
                writer.write_table(_table(buf, schema))
                buf = []
        writer.write_table(_table(buf, schema))


def _table(rows: list, schema: pa.Schema) -> pa.Table:
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table([pa.array(c, f.type) for c, f in zip(cols, schema)], schema=schema)


def pick_models(folder: Path, sample: int, roots: int, seed: int) -> dict:
    """``sample`` random models (seeded, from the sorted ids of non-placeholder models) and the
    roots naming the ``roots`` largest families (weakly connected components; each named by its
    root with most descendants, ties to the smallest id, as ``hflineage stats`` does)."""
    from hflineage.lineage import dag

    nodes = pq.read_table(folder / "nodes.parquet", columns=["id", "missing"])
    ids = sorted(nodes.filter(pc.invert(nodes["missing"]))["id"].to_pylist())
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    edges = pq.read_table(folder / "edges.parquet")
    if edges.num_rows == 0 or roots == 0:
        return {"random": chosen, "roots": []}
    enc = dag.encode(edges["child"].combine_chunks(), edges["base"].combine_chunks())
    names = enc.names.to_pylist()
    n = len(names)
    family = dag.components(n, enc.child, enc.base)
    sizes = np.bincount(family, minlength=n)
    top = sorted(np.flatnonzero(sizes), key=lambda f: (-sizes[f], names[f]))[:roots]
    order = np.argsort(enc.base, kind="stable")
    starts = np.searchsorted(enc.base[order], np.arange(n + 1))
    kids = enc.child[order]
    is_root = np.bincount(enc.child, minlength=n) == 0
    named = []
    for f in top:
        best = None
        for r in np.flatnonzero((family == f) & is_root):
            seen, todo = {r}, deque([r])
            while todo:
                x = todo.popleft()
                for k in kids[starts[x]:starts[x + 1]]:
                    if k not in seen:
                        seen.add(k)
                        todo.append(k)
            key = (-(len(seen) - 1), names[r])
            best = min(best, key) if best else key
        named.append(best[1])
    return {"random": chosen, "roots": named}


# --- ours ----------------------------------------------------------------------------------------

class Ours:
    """The library functions the CLI runs (stored queries on the benchmark server)."""

    def __init__(self, folder: Path):
        from hflineage.licenses import propagation as licenses
        from hflineage.store.db import Graph
        from hflineage.store.settings import resolve_connection

        self.graph = Graph(resolve_connection())
        self.policy = licenses.load_policy()
        self.build = {}

    def answer(self, question: str, model: str):
        from hflineage.lineage import analyses
        from hflineage.licenses import propagation as licenses

        if question == "descendants":
            r = analyses.show(self.graph, model)
            return {"descendants": r["descendants"], "subtree_downloads": r["subtree_downloads"],
                    "subtree_downloads_all_time": r["subtree_downloads_all_time"]}
        if question == "depth":
            r = analyses.chain(self.graph, model)
            return {"depth": r["depth"], "roots": sorted(r["roots"])}
        if question == "licenses":
            r = licenses.model_license(self.graph, model, self.policy)
            return {"license": r["license"], "license_name": r["license_name"],
                    "ancestors": sorted([a["id"], a["license"], a["license_name"], a["distance"], a["missing"]]
                                        for a in r["inherited"])}
        r = analyses.impact(self.graph, [model])
        return {k: r[k] for k in IMPACT_KEYS}

    def close(self) -> None:
        self.graph.close()


# --- DuckDB --------------------------------------------------------------------------------------

# {E} and {N}: the edges (child, base, relation) and nodes (id, license, license_name, downloads,
# downloads_all_time, missing) relations: tables, or read_parquet(...) in the parquet variant.
DUCK_SQL = {
    "descendants": """
WITH RECURSIVE down(node) USING KEY (node) AS (
  SELECT $m::VARCHAR
  UNION
  SELECT DISTINCT e.child FROM down JOIN {E} e ON e.base = down.node
  WHERE e.child NOT IN (SELECT node FROM recurring.down)
)
SELECT count(*) - 1, sum(coalesce(n.downloads, 0)), sum(coalesce(n.downloads_all_time, 0))
FROM down JOIN {N} n ON n.id = down.node""",
    "depth": """
WITH RECURSIVE up(node, d) USING KEY (node) AS (
  SELECT $m::VARCHAR, 0
  UNION
  SELECT DISTINCT e.base, up.d + 1 FROM up JOIN {E} e ON e.child = up.node
)
SELECT (SELECT max(d) FROM up),
       (SELECT list(node ORDER BY node) FROM up WHERE NOT EXISTS (SELECT 1 FROM {E} e WHERE e.child = up.node))""",
    "licenses": """
WITH RECURSIVE up(node, d) USING KEY (node) AS (
  SELECT $m::VARCHAR, 0
  UNION
  SELECT DISTINCT e.base, up.d + 1 FROM up JOIN {E} e ON e.child = up.node
  WHERE e.base NOT IN (SELECT node FROM recurring.up)
)
SELECT up.node, n.license, n.license_name, up.d, n.missing FROM up JOIN {N} n ON n.id = up.node""",
    "impact": """
WITH RECURSIVE
down(node) USING KEY (node) AS (
  SELECT $m::VARCHAR
  UNION
  SELECT DISTINCT e.child FROM down JOIN {E} e ON e.base = down.node
  WHERE e.child NOT IN (SELECT node FROM recurring.down)
),
ds AS MATERIALIZED (SELECT node FROM down WHERE node <> $m),
kids AS MATERIALIZED (SELECT child, relation FROM {E} WHERE base = $m),
anchored(node) USING KEY (node) AS (
  -- downstream models with a base outside the downstream set and the deleted model keep a way
  -- up, and so does everything below them
  SELECT DISTINCT e.child FROM {E} e JOIN ds ON e.child = ds.node
  WHERE e.base <> $m AND e.base NOT IN (SELECT node FROM ds)
  UNION
  SELECT DISTINCT e.child FROM anchored JOIN {E} e ON e.base = anchored.node
  WHERE e.child NOT IN (SELECT node FROM recurring.anchored)
),
up_paths(node, n) AS (
  -- paths from the model up to each ancestor, one row per ancestor and length
  SELECT $m::VARCHAR, 1::HUGEINT
  UNION ALL
  SELECT e.base, sum(p.n)::HUGEINT FROM up_paths p JOIN {E} e ON e.child = p.node GROUP BY e.base
),
down_paths(node, n) AS (
  SELECT $m::VARCHAR, 1::HUGEINT
  UNION ALL
  SELECT e.child, sum(p.n)::HUGEINT FROM down_paths p JOIN {E} e ON e.base = p.node GROUP BY e.child
)
SELECT
  (SELECT count(DISTINCT child) FROM kids),
  (SELECT count(*) FROM ds),
  (SELECT count(*) FROM ds) - (SELECT count(*) FROM anchored),
  (SELECT count(DISTINCT child) FROM kids WHERE relation = 'merge'),
  (SELECT coalesce(sum(coalesce(n.downloads, 0)), 0) FROM ds JOIN {N} n ON n.id = ds.node),
  (SELECT coalesce(sum(coalesce(n.downloads_all_time, 0)), 0) FROM ds JOIN {N} n ON n.id = ds.node),
  CASE WHEN EXISTS (SELECT 1 FROM kids) THEN
    (SELECT sum(n) FROM up_paths p WHERE NOT EXISTS (SELECT 1 FROM {E} e WHERE e.child = p.node))
    * (SELECT sum(n) FROM down_paths p WHERE NOT EXISTS (SELECT 1 FROM {E} e WHERE e.base = p.node))
  ELSE 0 END""",
}


class Duck:
    """DuckDB over the shared graph: tables in a database file, or the parquet files per query."""

    def __init__(self, folder: Path, tables: bool):
        import duckdb

        self.build = {}
        if tables:
            db = folder / "lineage.duckdb"
            started = time.monotonic()
            if not db.exists():  # the one-off "load" of a DuckDB user: tables from the files
                con = duckdb.connect(str(db) + ".tmp")
                con.execute(f"CREATE TABLE edges AS SELECT * FROM read_parquet('{folder / 'edges.parquet'}')")
                con.execute(f"CREATE TABLE nodes AS SELECT * FROM read_parquet('{folder / 'nodes.parquet'}')")
                # ART indexes on the join and lookup keys: measurably faster lookups at 100k
                con.execute("CREATE INDEX edges_child ON edges (child)")
                con.execute("CREATE INDEX edges_base ON edges (base)")
                con.execute("CREATE INDEX nodes_id ON nodes (id)")
                con.close()
                os.replace(str(db) + ".tmp", db)
                self.build["tables_s"] = time.monotonic() - started
            self.con = duckdb.connect(str(db), read_only=True)
            where = {"E": "edges", "N": "nodes"}
        else:
            self.con = duckdb.connect()
            where = {"E": f"read_parquet('{folder / 'edges.parquet'}')", "N": f"read_parquet('{folder / 'nodes.parquet'}')"}
        self.sql = {q: text.replace("{E}", where["E"]).replace("{N}", where["N"]) for q, text in DUCK_SQL.items()}
        self.build["duckdb"] = __import__("duckdb").__version__

    def answer(self, question: str, model: str):
        rows = self.con.execute(self.sql[question], {"m": model}).fetchall()
        if question == "descendants":
            count, down, down_all = rows[0]
            return {"descendants": count, "subtree_downloads": int(down), "subtree_downloads_all_time": int(down_all)}
        if question == "depth":
            depth, roots = rows[0]
            return {"depth": depth, "roots": roots}
        if question == "licenses":
            own = next(r for r in rows if r[3] == 0)
            return {"license": own[1], "license_name": own[2],
                    "ancestors": sorted([r[0], r[1], r[2], r[3], r[4]] for r in rows if r[3] > 0)}
        values = [int(v) for v in rows[0]]
        return dict(zip(IMPACT_KEYS, values + [1]))

    def close(self) -> None:
        self.con.close()


# --- networkx ------------------------------------------------------------------------------------

class Nx:
    """networkx, built once from the same files read with pandas (seed 001's tools)."""

    def __init__(self, folder: Path):
        import networkx as nx
        import pandas as pd
        import psutil

        rss = psutil.Process().memory_info().rss
        started = time.monotonic()
        nodes = pd.read_parquet(folder / "nodes.parquet")
        edges = pd.read_parquet(folder / "edges.parquet")
        g = nx.DiGraph()  # base -> child, as the Hub's model tree reads
        g.add_nodes_from((r.id, {"license": _str(r.license), "license_name": _str(r.license_name),
                                 "downloads": _int(r.downloads), "downloads_all_time": _int(r.downloads_all_time),
                                 "missing": bool(r.missing)})
                         for r in nodes.itertuples(index=False))
        g.add_edges_from(zip(edges["base"], edges["child"], ({"relation": r} for r in edges["relation"])))
        del nodes, edges
        self.g = g
        self.nx = nx
        self.build = {"build_s": time.monotonic() - started,
                      "build_rss_mb": (psutil.Process().memory_info().rss - rss) / 2**20,
                      "networkx": nx.__version__}

    def answer(self, question: str, model: str):
        g, nx = self.g, self.nx
        if question == "descendants":
            below = nx.descendants(g, model)
            return {"descendants": len(below),
                    "subtree_downloads": sum(g.nodes[x]["downloads"] for x in (*below, model)),
                    "subtree_downloads_all_time": sum(g.nodes[x]["downloads_all_time"] for x in (*below, model))}
        if question == "depth":
            above = nx.ancestors(g, model) | {model}
            return {"depth": nx.dag_longest_path_length(g.subgraph(above)),
                    "roots": sorted(x for x in above if g.in_degree(x) == 0)}
        if question == "licenses":
            dist = nx.single_source_shortest_path_length(g.reverse(copy=False), model)
            node = g.nodes[model]
            return {"license": node["license"], "license_name": node["license_name"],
                    "ancestors": sorted([a, g.nodes[a]["license"], g.nodes[a]["license_name"], d, g.nodes[a]["missing"]]
                                        for a, d in dist.items() if d > 0)}
        return self._impact(model)

    def _impact(self, model: str) -> dict:
        g, nx = self.g, self.nx
        below = nx.descendants(g, model)
        kids = set(g.successors(model))
        # a downstream model keeps a way up when a base lies outside the downstream set and the
        # deleted model; everything below such a model keeps one too
        anchored = {x for x in below if any(b != model and b not in below for b in g.predecessors(x))}
        for x in list(anchored):
            anchored |= nx.descendants(g, x)
        disrupted = 0
        if kids:
            up = nx.ancestors(g, model) | {model}
            paths_up = {}
            for x in nx.topological_sort(g.subgraph(up)):
                bases = list(g.predecessors(x))
                paths_up[x] = 1 if not bases else sum(paths_up[b] for b in bases)
            paths_down = {}
            for x in reversed(list(nx.topological_sort(g.subgraph(below | {model})))):
                children = list(g.successors(x))
                paths_down[x] = 1 if not children else sum(paths_down[c] for c in children)
            disrupted = paths_up[model] * paths_down[model]
        return {"affected_derived": len(kids), "affected_downstream": len(below),
                "orphaned": len(below - anchored),
                "merges_losing_parent": sum(1 for k in kids if g.edges[model, k]["relation"] == "merge"),
                "downstream_downloads": sum(g.nodes[x]["downloads"] for x in below),
                "downstream_downloads_all_time": sum(g.nodes[x]["downloads_all_time"] for x in below),
                "disrupted_chains": disrupted, "families_touched": 1}

    def close(self) -> None:
        pass


def _str(v) -> str | None:
    return v if isinstance(v, str) else None  # pandas reads an all-null string column as NaN


def _int(v) -> int:
    return 0 if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)


def make_tool(tool: str, folder: Path):
    if tool == "ours":
        return Ours(folder)
    if tool in ("duckdb", "duckdb-parquet"):
        return Duck(folder, tables=tool == "duckdb")
    if tool == "networkx":
        return Nx(folder)
    raise ValueError(tool)


# --- workers (one child process per tool) ---------------------------------------------------------

def worker(tool: str, folder: Path, models: dict, warmup: int, questions=QUESTIONS) -> dict:
    """Answer every question for every model with one tool: warm-up calls, then one timed call."""
    started = time.monotonic()
    impl = make_tool(tool, folder)
    ready_s = time.monotonic() - started
    answers = {q: {} for q in questions}
    times = {q: {} for q in questions}
    try:
        for q in questions:
            for group in ("random", "roots"):
                for m in models[group]:
                    for _ in range(warmup):
                        impl.answer(q, m)
                    t = time.perf_counter()
                    answers[q][m] = impl.answer(q, m)
                    times[q][m] = (time.perf_counter() - t) * 1000
    finally:
        impl.close()
    return {"tool": tool, "ready_s": ready_s, "build": impl.build, "answers": answers, "times_ms": times}


def cold(tool: str, folder: Path, model: str) -> dict:
    """A fresh process's first answer (descendants of ``model``)."""
    impl = make_tool(tool, folder)
    answer = impl.answer("descendants", model)
    impl.close()
    return answer


def run_worker(env: dict, tool: str, folder: Path, models_file: Path, warmup: int) -> dict:
    out = folder / f"answers_{tool}.json"
    m = run_measured([sys.executable, __file__, "--worker", tool, "--folder", str(folder),
                      "--models-file", str(models_file), "--warmup", str(warmup), "--out", str(out)], env)
    if m["returncode"]:
        raise SystemExit(f"{tool} worker failed: {m['stderr'].strip()[-1500:]}")
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc.update(wall_s=m["wall_s"], peak_rss_mb=m["peak_rss_mb"])
    return doc


def time_cold(env: dict, tool: str, folder: Path, models: list[str]) -> list[float]:
    """Wall seconds of a new process answering one lookup, for each model."""
    walls = []
    for model in models:
        if tool == "ours":
            cmd = [sys.executable, "-m", "hflineage.cli", "show", model, "--format", "json"]
        else:
            cmd = [sys.executable, __file__, "--cold", tool, "--folder", str(folder), "--model", model]
        m = run_measured(cmd, env)
        if m["returncode"]:
            raise SystemExit(f"cold {tool} lookup failed: {m['stderr'].strip()[-800:]}")
        walls.append(m["wall_s"])
    return walls


# --- one size ------------------------------------------------------------------------------------

def run_size(env: dict, label: str, path: Path, args, load: bool = True) -> dict:
    """Load (unless the server holds the file already), export, pick, run every tool, compare."""
    from hflineage.store.db import Graph
    from hflineage.store.settings import resolve_connection

    print(f"[peers] {label}: {path.name}", file=sys.stderr, flush=True)
    if load:
        run_ours(env, path, batch_size=10_000, workers=2)
    folder = OUT / "peers" / path.stem
    for old in folder.glob("*"):
        old.unlink()
    saved = dict(os.environ)
    os.environ.update({k: env[k] for k in ("HFLINEAGE_HOME", "HFLINEAGE_BOLT_PORT", "HFLINEAGE_HTTP_PORT")})
    try:
        with Graph(resolve_connection()) as graph:
            exported = export_graph(graph, folder)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    models = pick_models(folder, args.sample, args.roots, args.seed)
    models_file = folder / "models.json"
    models_file.write_text(json.dumps(models), encoding="utf-8")
    # the parquet-per-query variant rescans both files in every recursive step: at 2.5M one
    # lookup takes seconds to minutes, so it answers the first models of each group only
    subset = {"random": models["random"][:args.parquet_sample], "roots": models["roots"][:args.parquet_roots]}
    subset_file = folder / "models_parquet_variant.json"
    subset_file.write_text(json.dumps(subset), encoding="utf-8")
    tool_models = {tool: subset if tool == "duckdb-parquet" else models for tool in TOOLS}
    docs = {}
    for tool in TOOLS:
        print(f"[peers] {label}: {tool} ...", file=sys.stderr, flush=True)
        docs[tool] = run_worker(env, tool, folder, subset_file if tool == "duckdb-parquet" else models_file,
                                args.warmup)
    agreement = {}
    for tool in TOOLS[1:]:
        agreement[tool] = compare_answers(docs["ours"]["answers"], docs[tool]["answers"], tool,
                                          models={*tool_models[tool]["random"], *tool_models[tool]["roots"]})
    cold_models = models["random"][:args.cold_runs]
    cold_s = {tool: time_cold(env, tool, folder, cold_models) for tool in ("ours", "duckdb", "networkx")}
    result = {"size": label, "file": path.name, "graph": exported, "models": models, "agreement": agreement,
              "cold_s": cold_s, "tools": {}}
    for tool, doc in docs.items():
        result["tools"][tool] = {"build": doc["build"], "ready_s": doc["ready_s"], "wall_s": doc["wall_s"],
                                 "peak_rss_mb": doc["peak_rss_mb"], "stats": latency_stats(doc["times_ms"], tool_models[tool])}
        if tool_models[tool] is not models:  # ours on the same models, for a like-for-like ratio
            result["tools"][tool]["ours_same_models"] = latency_stats(docs["ours"]["times_ms"], tool_models[tool])
    result["parquet_variant_models"] = subset
    return result


def latency_stats(times_ms: dict, models: dict) -> dict:
    """p50/p95 per question and model group, and over all lookups pooled ("all"), in milliseconds."""
    pooled = [v for per_model in times_ms.values() for v in per_model.values()]
    out = {"all": {"n": len(pooled), "p50": statistics.median(pooled), "p95": percentile(pooled, 95),
                   "max": max(pooled)}} if pooled else {}
    for q, per_model in times_ms.items():
        for group in ("random", "roots"):
            values = [per_model[m] for m in models[group] if m in per_model]
            if values:
                out[f"{q}/{group}"] = {"n": len(values), "p50": statistics.median(values),
                                       "p95": percentile(values, 95), "max": max(values)}
    return out


# --- reporting -----------------------------------------------------------------------------------

def render(results: list[dict]) -> str:
    """Markdown tables: latency per question, tool and group with ratios to ours; builds; cold starts."""
    parts = []
    for r in results:
        g = r["graph"]
        parts.append(f"#### {r['size']} ({r['file']}: {g['nodes']:,} nodes, {g['edges']:,} edges; "
                     f"{len(r['models']['random'])} random models, {len(r['models']['roots'])} biggest roots; "
                     f"answers agree: " + ", ".join(f"{TOOL_NAMES[t]} {n:,}/{n:,}" for t, n in r["agreement"].items())
                     + ")")
        head = "| question | models | " + " | ".join(f"{TOOL_NAMES[t]} p50 / p95 ms" for t in TOOLS)
        head += " | " + " | ".join(f"{TOOL_NAMES[t]} ÷ ours (p50)" for t in TOOLS[1:]) + " |"
        lines = [head, "|---|---|" + "---:|" * (2 * len(TOOLS) - 1)]
        for key in r["tools"]["ours"]["stats"]:
            if key == "all":
                continue
            q, group = key.split("/")
            cells, ratios = [], []
            n_ours = r["tools"]["ours"]["stats"][key]["n"]
            for t in TOOLS:
                s = r["tools"][t]["stats"][key]
                cells.append(f"{_ms(s['p50'])} / {_ms(s['p95'])}" + (f" (n={s['n']})" if s["n"] != n_ours else ""))
                if t != "ours":  # against ours on the same models
                    ours = r["tools"][t].get("ours_same_models", r["tools"]["ours"]["stats"])[key]["p50"]
                    ratios.append(_ratio(s["p50"] / ours))
            lines.append(f"| {q} | {group} ({r['tools']['ours']['stats'][key]['n']}) | " + " | ".join(cells + ratios) + " |")
        parts.append("\n".join(lines))
        nx_build = r["tools"]["networkx"]["build"]
        duck_build = r["tools"]["duckdb"]["build"].get("tables_s")
        cold = {t: statistics.median(v) for t, v in r["cold_s"].items()}
        parts.append(
            "| one-off cost | seconds | memory MB |\n|---|---:|---:|\n"
            f"| graph read back from Neo4j into the peers' parquet files (not charged) | {g['export_s']:.1f} | - |\n"
            f"| DuckDB: tables from the files, once | {duck_build:.2f} | - |\n"
            f"| networkx: pandas read + DiGraph build, once per process | {nx_build['build_s']:.2f} | "
            f"{nx_build['build_rss_mb']:,.0f} (RSS growth; worker peak {r['tools']['networkx']['peak_rss_mb']:,.0f}) |\n"
            f"| cold process, first answer (descendants), median of {len(r['cold_s']['ours'])}: ours "
            f"(`hflineage show`) | {cold['ours']:.2f} | - |\n"
            f"| ... DuckDB (open the database file, query) | {cold['duckdb']:.2f} | - |\n"
            f"| ... networkx (read, build, query) | {cold['networkx']:.2f} | - |\n"
            f"| **networkx build ÷ ours cold first answer** (target ≥ 10x) | "
            f"**{nx_build['build_s'] / cold['ours']:.1f}x** | |")
    return "\n\n".join(parts)


def _ms(v: float) -> str:
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def _ratio(v: float) -> str:
    return f"{v:.1f}x" if v >= 1 else f"{v:.2f}x" if v >= 0.01 else f"{v:.4f}x"


def targets(results: list[dict]) -> list[str]:
    """The issue's lookup targets, evaluated on the largest synthetic size measured."""
    synthetic = [r for r in results if not r["size"].startswith("real")]
    if not synthetic:
        return []
    r = synthetic[-1]
    out = []
    for q in ("descendants", "depth", "licenses", "impact"):
        for group in ("random", "roots"):
            key = f"{q}/{group}"
            ratio = r["tools"]["duckdb"]["stats"][key]["p50"] / r["tools"]["ours"]["stats"][key]["p50"]
            out.append(f"{r['size']}: {q} ({group}) DuckDB-table p50 ÷ ours p50 = {ratio:.1f}x "
                       f"(target ≥ 5x: {'met' if ratio >= 5 else 'MISSED'})")
    ratio = r["tools"]["networkx"]["build"]["build_s"] / statistics.median(r["cold_s"]["ours"])
    out.append(f"{r['size']}: networkx build ÷ ours cold first answer = {ratio:.1f}x "
               f"(target ≥ 10x: {'met' if ratio >= 10 else 'MISSED'})")
    return out


def add_peer_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--sample", type=int, default=200, help="random models per size (default %(default)s)")
    ap.add_argument("--roots", type=int, default=10, help="biggest roots per size (default %(default)s)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed calls before the timed one (default %(default)s)")
    ap.add_argument("--cold-runs", type=int, default=3, help="cold-process lookups per tool (default %(default)s)")
    ap.add_argument("--parquet-sample", type=int, default=20,
                    help="random models the DuckDB parquet-per-query variant answers (default %(default)s)")
    ap.add_argument("--parquet-roots", type=int, default=3,
                    help="biggest roots the DuckDB parquet-per-query variant answers (default %(default)s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated model counts (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", action="store_true", help="add the real files of ../shared/data/")
    ap.add_argument("--no-load", action="store_true",
                    help="the server holds the (single) file already (bench_loaders.py --keep-server)")
    ap.add_argument("--keep-server", action="store_true", help="leave the benchmark server running")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    add_peer_options(ap)
    add_server_options(ap)
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--cold", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--models-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        models = json.loads(args.models_file.read_text(encoding="utf-8"))
        args.out.write_text(json.dumps(worker(args.worker, args.folder, models, args.warmup)), encoding="utf-8")
        return
    if args.cold:
        print(json.dumps(cold(args.cold, args.folder, args.model)))
        return
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    env = bench_env(args)
    hflineage(env, "db", "start")
    results = []
    try:
        for label, path in dataset_files(sizes, args.seed, args.real):
            results.append(run_size(env, label, path, args, load=not args.no_load))
    except AgreementError as e:
        sys.exit(f"ANSWERS DISAGREE: {e}")
    finally:
        if not args.keep_server:
            hflineage(env, "db", "stop")
    print(render(results))
    print("\n".join(targets(results)))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
