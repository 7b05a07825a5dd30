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
DATASET = "WizardLM/WizardLM_evol_instruct_V2_196k"


def _get(path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{TEST_HTTP}{path}", timeout=30) as r:
        return r.status, r.read().decode("utf-8")


def test_server_serves_the_guide_and_style_from_its_own_origin(server):
    status, guide = _get("/browser/hflineage/guide.html")
    assert status == 200
    slides = re.findall(r"<slide[^>]*>(.*?)</slide>", guide, re.S)
    assert len(slides) == 1 + len(browser.QUESTIONS) + len(browser.PAGES)
    # each question slide: a :param line for a real model of the sample (the suspected-bases slide's
    # declares no base), then the stored query unchanged
    for slide, (name, title, _) in zip(slides[1:], browser.QUESTIONS):
        blocks = [html.unescape(b) for b in re.findall(r'<pre class="runnable">(.*?)</pre>', slide, re.S)]
        assert html.escape(title) in slide
        assert blocks[-1] == registry().get(name).text.strip()
        if registry().get(name).params:
            assert blocks[0] == f':param model_id => "{browser.EXAMPLE_FOR.get(name, MODEL)}"'
    # the datasets page: each example's :param block (no model for the dataset ones), then its query
    (page,) = [s for s in slides if "<h3>Training datasets</h3>" in s]
    blocks = [html.unescape(b) for b in re.findall(r'<pre class="runnable">(.*?)</pre>', page, re.S)]
    assert blocks == [
        ':param model_id => "mlabonne/NeuralDaredevil-8B-abliterated"', registry().get("model_datasets").text.strip(),
        f':param dataset_id => "{DATASET}"', registry().get("dataset_reach_paths").text.strip(),
        f':param ids => ["{DATASET}"]', registry().get("dataset_reach").text.strip()]
    status, grass = _get("/browser/hflineage/hflineage.grass")
    assert status == 200 and "node.Model" in grass and "caption: '{id}'" in grass
    assert grass.index("node.Missing") > grass.index("node.Model")  # the later rule wins on both labels
    assert f"node.Dataset {{\n  diameter: 90px;\n  color: {browser.DATASET_COLOUR};" in grass
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
        reach = z.read("hflineage/dataset_reach.cypher").decode()
    reads = sorted(f"hflineage/{q.name}.cypher" for q in registry() if q.read_only and "/" not in q.name)
    assert sorted(names) == reads
    lines = show.splitlines()
    assert lines[0] == "// hflineage show"
    assert lines[2] == f':param model_id => "{MODEL}";'
    assert "\n".join(lines[3:]) == registry().get("show").text.strip()
    assert reach.splitlines()[2] == f':param ids => ["{DATASET}"];'  # datasets, not the example model
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


# --- the datasets page ---------------------------------------------------------------------------


def test_the_datasets_page_queries_known_answers(graph, make_parquet, make_datasets):
    """trained_lineage: org/m's own d/own, then at distance 1 d/nc (base/b), d/shared and d/two
    (org/ft; d/shared again from base/a at 2), at 2 d/one (base/a). d/nc reaches base/b, org/m,
    org/q, org/leaf and y/card: its TRAINED_ON edge and the four base edges among them (org/m's
    edge to org/ft, outside the reach, is not drawn)."""
    from graphs import load_trained

    load_trained(graph, make_parquet, make_datasets)
    rows = graph.read("model_datasets", model_id="org/m")
    assert [(r["dataset"], r["license"], r["described"], r["distance"], r["trained_by"]) for r in rows] == [
        ("d/own", None, False, 0, ["org/m"]),
        ("d/nc", "other", True, 1, ["base/b"]),
        ("d/shared", "apache-2.0", True, 1, ["org/ft", "base/a"]),
        ("d/two", "cc-by-nc-4.0", True, 1, ["org/ft"]),
        ("d/one", "mit", True, 2, ["base/a"]),
    ]
    assert rows[1]["license_name"] == "nc-research-terms"
    assert graph.read("model_datasets", model_id="x/solo") == []
    paths = graph.read("dataset_reach_paths", dataset_id="d/nc")
    edges = {(p.start_node["id"], p.relationships[0].type, p.end_node["id"]) for p in (r["p"] for r in paths)}
    assert len(paths) == len(edges) == 5
    assert edges == {("d/nc", "TRAINED_ON", "base/b"), ("org/m", "MERGE_OF", "base/b"), ("org/q", "QUANTIZATION_OF", "org/m"),
                     ("org/leaf", "FINETUNE_OF", "org/q"), ("y/card", "FINETUNE_OF", "base/b")}


def test_the_datasets_page_runs_in_headless_chromium(graph, neo4j_browser):
    """The sample with the datasets fixture: the page's first example lists the example model's
    datasets with their licenses (table), its second draws the example dataset's reach: the
    dataset vermillion and captioned by its id, every model of the reach blue."""
    from hflineage.loader.datasets_file import load_datasets

    from conftest import REPO

    load(graph, str(SAMPLE), progress=False)
    load_datasets(graph, str(REPO / "tests" / "fixtures" / "datasets.parquet"), progress=False)
    paths = [r["p"] for r in graph.read("dataset_reach_paths", dataset_id=DATASET)]
    nodes = {n.element_id for p in paths for n in p.nodes}
    rels = {r.element_id for p in paths for r in p.relationships}
    assert len(nodes) == 23  # the dataset and the 22 models it reaches
    shots = TEST_HOME / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = neo4j_browser
    carousel = page.locator("[data-testid=carousel]")
    for _ in range(1 + len(browser.guide_queries())):
        page.click("[data-testid=nextSlide]")
    carousel.get_by_text("Training datasets", exact=True).wait_for()
    page.wait_for_timeout(500)  # the slide's transition
    carousel.screenshot(path=str(shots / "browser_datasets_slide.png"))
    blocks = carousel.locator("pre.runnable")
    assert blocks.nth(0).inner_text().strip() == ':param model_id => "mlabonne/NeuralDaredevil-8B-abliterated"'
    blocks.nth(0).locator("i").first.click()
    page.get_by_text("Successfully set your parameters.").first.wait_for(timeout=60_000)
    blocks.nth(1).locator("i").first.click()
    table = page.locator("[data-testid=frame]").filter(has_text="mlabonne/orpo-dpo-mix-40k").first
    table.wait_for(timeout=120_000)
    text = table.inner_text()
    # its own dataset and an ancestor's non-commercial one, with their (made-up) licenses
    assert "apache-2.0" in text and "teknium/OpenHermes-2.5" in text and "cc-by-nc-4.0" in text
    page.screenshot(path=str(shots / "browser_datasets_page.png"))
    blocks.nth(2).locator("i").first.click()
    page.get_by_text("Successfully set your parameters.").nth(1).wait_for(timeout=60_000)
    blocks.nth(3).locator("i").first.click()
    page.wait_for_selector("svg g.node", timeout=120_000)
    page.wait_for_timeout(2500)  # let the force layout settle for the screenshot
    frame = page.locator("[data-testid=frame]").filter(has=page.locator("svg g.node")).first
    assert frame.locator("svg g.node").count() == len(nodes)
    assert frame.locator("svg g.relationship").count() >= len(rels)
    fills = frame.locator("svg g.node circle.b-outline").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert sorted(fills) == sorted([browser.DATASET_COLOUR] + ["#4C8EDA"] * (len(nodes) - 1))
    # the dataset's caption is its id (the Browser cuts a long one into lines and ends it with …)
    caption = frame.locator("svg g.node").filter(has=page.locator(f"circle[fill='{browser.DATASET_COLOUR}']"))
    words = caption.locator("text").evaluate_all("els => els.map(e => e.textContent).join('')")
    shown = words.strip().rstrip("…")
    assert len(shown) > 5 and DATASET.startswith(shown)
    page.screenshot(path=str(shots / "browser_dataset_graph.png"))
