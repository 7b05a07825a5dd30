"""Neo4j Browser ready on first connect: the guide and style the local server serves, the
favourites archive, and a real login in headless Chromium that runs a query from the guide."""

from __future__ import annotations

import html
import re
import urllib.request
import zipfile

from hflineage.cypher import registry
from hflineage.loader.load import load
from hflineage.server import browser

from conftest import SAMPLE, TEST_HOME, TEST_HTTP

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
PARENT = "meta-llama/Llama-3.1-8B"


def _get(path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{TEST_HTTP}{path}", timeout=30) as r:
        return r.status, r.read().decode("utf-8")


def test_server_serves_the_guide_and_style_from_its_own_origin(server):
    status, guide = _get("/browser/hflineage/guide.html")
    assert status == 200
    slides = re.findall(r"<slide[^>]*>(.*?)</slide>", guide, re.S)
    assert len(slides) == 1 + len(browser.QUESTIONS)
    # each question slide: a :param line for a real model of the sample (the suspected-bases slide's
    # declares no base), then the stored query unchanged
    for slide, (name, title, _) in zip(slides[1:], browser.QUESTIONS):
        blocks = [html.unescape(b) for b in re.findall(r'<pre class="runnable">(.*?)</pre>', slide, re.S)]
        assert html.escape(title) in slide
        assert blocks[-1] == registry().get(name).text.strip()
        if registry().get(name).params:
            assert blocks[0] == f':param model_id => "{browser.EXAMPLE_FOR.get(name, MODEL)}"'
    status, grass = _get("/browser/hflineage/hflineage.grass")
    assert status == 200 and "node.Model" in grass and "caption: '{id}'" in grass
    assert grass.index("node.Missing") > grass.index("node.Model")  # the later rule wins on both labels
    conf = (TEST_HOME / "conf" / "neo4j.conf").read_text()
    urls = browser.urls(TEST_HTTP)
    assert f"browser.post_connect_cmd=style {urls['grass']}; play {urls['guide']}" in conf
    assert _get("/browser/")[0] == 200  # the Browser itself still served


def test_favourites_archive(cli, tmp_path):
    out = tmp_path / "queries.zip"
    r = cli("queries", "--export-browser", str(out), "--format", "json")
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        show = z.read("hflineage/show.cypher").decode()
    reads = sorted(f"hflineage/{q.name}.cypher" for q in registry() if q.read_only and "/" not in q.name)
    assert sorted(names) == reads
    lines = show.splitlines()
    assert lines[0] == "// hflineage show"
    assert lines[2] == f':param model_id => "{MODEL}";'
    assert "\n".join(lines[3:]) == registry().get("show").text.strip()
    bad = tmp_path / "queries.txt"
    r = cli("queries", "--export-browser", str(bad))
    assert r.exit_code == 2 and not bad.exists()


def test_login_and_run_a_guide_query_in_headless_chromium(graph, neo4j_browser):
    load(graph, str(SAMPLE), progress=False)
    paths = graph.read("lineage_paths", model_id=MODEL)
    nodes = {n["id"] for row in paths for n in row["p"].nodes}
    rels = {r.element_id for row in paths for r in row["p"].relationships}
    assert {MODEL, PARENT} <= nodes
    shots = TEST_HOME / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = neo4j_browser
    page.click("[data-testid=nextSlide]")
    carousel = page.locator("[data-testid=carousel]")
    carousel.get_by_text("Draw the lineage").wait_for()
    blocks = carousel.locator("pre.runnable")
    assert blocks.nth(0).inner_text().strip() == f':param model_id => "{MODEL}"'
    blocks.nth(0).locator("i").first.click()  # the play icon runs the block
    page.get_by_text("Successfully set your parameters.").wait_for(timeout=60_000)
    blocks.nth(1).locator("i").first.click()
    page.wait_for_selector("svg g.node", timeout=120_000)
    page.wait_for_timeout(1500)  # let the force layout settle for the screenshot
    frame = page.locator("[data-testid=frame]").filter(has=page.locator("svg g.node")).first
    assert frame.locator("svg g.node").count() == len(nodes)
    assert frame.locator("svg g.relationship").count() == len(rels)
    # our style: every model blue and captioned by its id
    fills = frame.locator("svg g.node circle.b-outline").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert fills == ["#4C8EDA"] * len(nodes)
    page.screenshot(path=str(shots / "browser_guide.png"))
    # the Table view lists the model and its parent by full id
    frame.get_by_text("Table", exact=True).click()
    table = frame.inner_text()
    assert f'"{MODEL}"' in table and f'"{PARENT}"' in table
