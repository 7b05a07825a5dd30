"""Fixtures: one real local Neo4j server for the whole run, an empty graph per test.

The server is the same one `hflineage db start` runs, in its own home (.hflineage-test/) and on
its own ports, so a developer's data is never touched. A missing Java or Maven makes the run
fail: there is no skip.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HFLINEAGE_SHARED", REPO.parent / "shared"))
SAMPLE = SHARED / "data" / "hub_stats_sample.parquet"
FAMILIES = SHARED / "data" / "family_trees.parquet"

TEST_HOME = Path(os.environ.get("HFLINEAGE_TEST_HOME", REPO / ".hflineage-test"))
TEST_BOLT = int(os.environ.get("HFLINEAGE_TEST_BOLT_PORT", "17687"))
TEST_HTTP = int(os.environ.get("HFLINEAGE_TEST_HTTP_PORT", "17474"))


@pytest.fixture(scope="session", autouse=True)
def server():
    """Start the test server (fetching the jars on first use); stop it at the end."""
    os.environ["HFLINEAGE_HOME"] = str(TEST_HOME)
    os.environ["HFLINEAGE_BOLT_PORT"] = str(TEST_BOLT)
    os.environ["HFLINEAGE_HTTP_PORT"] = str(TEST_HTTP)
    os.environ.setdefault("HFLINEAGE_HEAP", "1g")
    os.environ.setdefault("HFLINEAGE_PAGECACHE", "512m")
    os.environ["HFLINEAGE_NO_PROGRESS"] = "1"
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        os.environ.pop(name, None)
    # the snapshot loads' copies of the graph go to a cache of the test run's own (another run or a
    # user's loads on this machine keep theirs); the server's jars are shared with the user's cache
    from hflineage.store.settings import cache_home

    shared, own = cache_home(), TEST_HOME / "cache"
    own.mkdir(parents=True, exist_ok=True)
    for jars in shared.glob("neo4j-*"):
        if not (own / jars.name).exists():
            (own / jars.name).symlink_to(jars, target_is_directory=True)
    os.environ["HFLINEAGE_CACHE"] = str(own)
    from hflineage.server.manage import LocalServer

    local = LocalServer(TEST_HOME)
    local.start(timeout=240)
    yield local
    local.stop()


@pytest.fixture
def graph(server):
    """A Graph on the test server, emptied before the test."""
    from hflineage.store.db import Graph
    from hflineage.store.settings import resolve_connection

    g = Graph(resolve_connection())
    with g.driver.session(database=g.database) as session:  # IN TRANSACTIONS needs an implicit tx
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    yield g
    g.close()


@pytest.fixture
def neo4j_browser(server):
    """A headless Chromium page (Debian's, driven by Playwright) logged in to the test server's
    Neo4j Browser, our guide open."""
    from playwright.sync_api import sync_playwright

    password = (TEST_HOME / "password").read_text().strip()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{TEST_HTTP}/browser/")
            page.fill("[data-testid=username]", "neo4j")
            page.fill("[data-testid=password]", password)
            page.click("[data-testid=connect]")
            # post_connect_cmd opens our guide: no URL typed, no file copied
            page.wait_for_selector("[data-testid=carousel] pre.runnable", timeout=120_000)
            yield page
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def hub_schema() -> pa.Schema:
    """The exact published hub-stats types (the first 15 columns of the real sample)."""
    return pq.read_schema(SAMPLE)


@pytest.fixture
def make_parquet(tmp_path, hub_schema):
    """Write rows (dicts; missing keys are null) as a hub-stats parquet file; returns its path."""
    counter = iter(range(1000))

    def make(rows: list[dict], schema: pa.Schema | None = None) -> str:
        schema = schema or hub_schema
        rows = [_row(r) for r in rows]
        table = pa.Table.from_pylist(rows, schema=schema)
        path = tmp_path / f"models_{next(counter)}.parquet"
        pq.write_table(table, path)
        return str(path)

    return make


@pytest.fixture
def make_datasets(tmp_path):
    """Write a hub-stats datasets file (id, tags, cardData) for ``{id: license or None}`` (None:
    a row without a license; a ``(license, license_name)`` pair names an ``other``); returns its path."""
    counter = iter(range(1000))

    def card(v) -> dict:
        license, name = v if isinstance(v, tuple) else (v, None)
        return {**({"license": license} if license else {}), **({"license_name": name} if name else {})}

    def make(licenses: dict) -> str:
        rows = [{"id": i, "tags": [f"license:{card(v)['license']}"] if v else ["task_categories:text-generation"],
                 "cardData": json.dumps(card(v))} for i, v in licenses.items()]
        schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string())), ("cardData", pa.string())])
        path = tmp_path / f"datasets_{next(counter)}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        return str(path)

    return make


def _row(r: dict) -> dict:
    """Shorthand: ``base=[ids], relation=...`` becomes ``baseModels``; ``card`` a cardData JSON."""
    r = dict(r)
    bases = r.pop("base", None)
    relation = r.pop("relation", None)
    if bases is not None:
        r["baseModels"] = {"relation": relation, "models": [{"_id": None, "id": b} for b in bases]}
    card = r.pop("card", None)
    if card is not None:
        r["cardData"] = json.dumps(card)
    r.setdefault("author", (r.get("id") or "x/").split("/")[0])
    return r


@pytest.fixture
def cli():
    """Run the CLI in-process; returns the click Result (stdout and stderr kept apart)."""
    from hflineage.cli.main import cli as app

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def graph_edges(graph) -> set[tuple[str, str, str]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (c:Model)-[e]->(b:Model) RETURN c.id AS c, type(e) AS t, b.id AS b", database_=graph.database)
    return {(r["c"], r["t"], r["b"]) for r in records}


def node_count(graph, label: str = "Model") -> int:
    records, _, _ = graph.driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n", database_=graph.database)
    return records[0]["n"]


# --- helpers the test files share -------------------------------------------------------------

def canon(value):
    """Values that compare by what they are: NaN equals NaN, a DateTime keeps its zone."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: canon(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canon(v) for v in value]
    if hasattr(value, "iso_format"):
        return (type(value).__name__, value.iso_format(), str(getattr(value, "tzinfo", None)))
    return value


def sorted_ids(rows: list[dict]) -> list[dict]:
    """impact lists ids (and its subgraphs' parallel lists) in store order, which differs
    between two stores of one graph: sort them, each subgraph row kept together."""
    def subgraph(r, prefix, columns):
        names = [f"{prefix}_{c}" for c in columns]
        rows = zip(*(r.pop(n) for n in names))
        return sorted(([sorted(v) if isinstance(v, list) else v for v in row] for row in rows), key=str)
    out = []
    for r in rows:
        r = dict(r)
        r["down"] = subgraph(r, "down", ("ids", "depths", "bases", "merge_bases"))
        r["up"] = subgraph(r, "up", ("ids", "depths", "bases"))
        out.append({**r, "deleted": sorted(r["deleted"]), "unknown": sorted(r["unknown"])})
    return out


def empty(graph) -> None:
    with graph.driver.session(database=graph.database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def declared_datasets(path) -> dict[str, set[str]]:
    """Each row's training datasets read straight from a hub-stats file with pyarrow and json:
    ``cardData.datasets`` (a string or a list of strings) and the ``dataset:<id>`` tags."""
    out = {}
    for row in pq.read_table(path, columns=["id", "cardData", "tags"]).to_pylist():
        card = json.loads(row["cardData"]) if row["cardData"] else {}
        named = card.get("datasets") if isinstance(card, dict) else None
        named = [named] if isinstance(named, str) else [d for d in named if isinstance(d, str)] if isinstance(named, list) else []
        named += [t[len("dataset:"):] for t in row["tags"] or [] if t.startswith("dataset:")]
        out[row["id"]] = {d.strip() for d in named if d.strip()}
    return out
