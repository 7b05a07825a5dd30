"""`hflineage graph`: the drawn nodes and edges of a hand-made family (known answers), the cut
at --max-nodes, the SVG/PNG/HTML files, and the HTML page driven in headless Chromium."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from hflineage.outputs import graph_view
from hflineage.loader.load import load

from conftest import TEST_HOME
from graphs import FAMILY

# Branch weights (downloads + descendants' downloads): ft1 500+5+50+7 = 562, ft2 10+300+1 = 311,
# m1 50+7 = 57, ad1 300, deep 7, q1 5, ad2 1. ghost/base has no row: a placeholder.


@pytest.fixture
def family(graph, make_parquet):
    load(graph, make_parquet(FAMILY), progress=False)
    return graph


def _levels(g) -> dict[str, int]:
    return {n["id"]: n["level"] for n in g.nodes}


def _edges(g) -> set[tuple[str, str, str]]:
    return {(e["child"], e["base"], e["relation"]) for e in g.edges}


def test_ancestors_and_descendants_of_a_model(family):
    g = graph_view.lineage(family, "a/ft1")
    assert _levels(g) == {"org/root": -1, "a/ft1": 0, "a/q1": 1, "a/m1": 1, "a/deep": 2}
    assert _edges(g) == {("a/ft1", "org/root", "finetune"), ("a/q1", "a/ft1", "quantized"),
                         ("a/m1", "a/ft1", "merge"), ("a/deep", "a/m1", "finetune")}
    by_id = {n["id"]: n for n in g.nodes}
    assert by_id["a/ft1"]["role"] == "focus" and by_id["a/ft1"]["license"] == "mit"
    root = by_id["org/root"]
    assert (root["role"], root["downloads"], root["license"]) == ("ancestor", 1000, "apache-2.0")
    assert (root["children"], root["hidden_children"], root["hidden_bases"]) == (2, 1, 0)  # a/ft2 not drawn
    assert (by_id["a/m1"]["bases"], by_id["a/m1"]["hidden_bases"]) == (2, 1)  # ghost/base not drawn
    assert g.hidden_children == 1


def test_every_ancestor_with_the_placeholder(family):
    g = graph_view.lineage(family, "a/deep")
    assert _levels(g) == {"a/deep": 0, "a/m1": -1, "a/ft1": -2, "ghost/base": -2, "org/root": -3}
    assert _edges(g) == {("a/deep", "a/m1", "finetune"), ("a/m1", "a/ft1", "merge"),
                         ("a/m1", "ghost/base", "merge"), ("a/ft1", "org/root", "finetune")}
    assert [n["id"] for n in g.nodes if n["missing"]] == ["ghost/base"]
    # --up 1 --down 0: the merge's two bases are cut
    g = graph_view.lineage(family, "a/deep", up=1, down=0)
    assert _levels(g) == {"a/deep": 0, "a/m1": -1}
    assert {n["id"]: n["hidden_bases"] for n in g.nodes} == {"a/deep": 0, "a/m1": 2}


def test_max_nodes_keeps_the_most_downloaded_branches(family):
    # root; then ft1 (562) > ft2 (311); then ad1 (300) beats m1 (57) and q1 (5): 4 models
    g = graph_view.lineage(family, "org/root", max_nodes=4)
    assert _levels(g) == {"org/root": 0, "a/ft1": 1, "a/ft2": 1, "a/ad1": 2}
    assert _edges(g) == {("a/ft1", "org/root", "finetune"), ("a/ft2", "org/root", "finetune"),
                         ("a/ad1", "a/ft2", "adapter")}
    assert {n["id"]: n["hidden_children"] for n in g.nodes} == {"org/root": 0, "a/ft1": 2, "a/ft2": 1, "a/ad1": 0}
    assert g.hidden_children == 3
    # down 1: the whole first level, nothing below it
    assert _levels(graph_view.lineage(family, "org/root", down=1)) == {"org/root": 0, "a/ft1": 1, "a/ft2": 1}


def test_cli_json_and_unknown_model(family, cli):
    r = cli("graph", "a/deep", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["id"] == "a/deep" and len(doc["nodes"]) == 5 and len(doc["edges"]) == 4
    r = cli("graph", "nobody/nothing", "--format", "json")
    assert r.exit_code != 0 and r.stdout == ""
    assert r.stderr.strip() == "error: model 'nobody/nothing' is not in the graph"


def test_cli_writes_svg_png_and_refuses_a_bad_suffix(family, cli, tmp_path):
    svg = tmp_path / "deep.svg"
    r = cli("graph", "a/deep", "--out", str(svg))
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(svg)
    root = ET.parse(svg).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = root.findall(".//s:g[@class='node']", ns)
    assert sorted(n.find("s:title", ns).text for n in nodes) == [f"n{i}" for i in range(5)]
    titles = {n.get("id"): " ".join(t.text or "" for t in n.iter("{http://www.w3.org/2000/svg}text")) for n in nodes}
    assert any("ghost/base" in t and "placeholder" in t for t in titles.values())
    edges = [g.get("class").split() for g in root.iter("{http://www.w3.org/2000/svg}g") if "edge" in g.get("class", "").split()]
    assert sorted(c[1] for c in edges) == ["rel-finetune", "rel-finetune", "rel-merge", "rel-merge"]
    ghost = next(n for n in nodes if "ghost/base" in titles[n.get("id")])
    assert any(el.get("stroke-dasharray") for el in ghost.iter())  # placeholders are dashed
    png = tmp_path / "deep.png"
    assert cli("graph", "a/deep", "--out", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = tmp_path / "deep.jpg"
    r = cli("graph", "a/deep", "--out", str(bad))
    assert r.exit_code == 2
    assert "must end in .svg, .html or .png" in r.stderr and not bad.exists()
    r = cli("graph", "a/deep", "--out", str(tmp_path / "nowhere" / "deep.svg"))
    assert r.exit_code == 1 and r.stderr.strip().endswith("does not exist") and len(r.stderr.splitlines()) == 1


def test_html_page_in_headless_chromium(family, cli, tmp_path):
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "ft1.html"
    assert cli("graph", "a/ft1", "--out", str(page_path)).exit_code == 0
    text = page_path.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text.replace(
        "https://huggingface.co/", "")  # nothing fetched at view time
    shots = TEST_HOME / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                       else route.continue_())
            page.goto(page_path.as_uri())
            assert page.locator("#view svg g.node").count() == 5
            assert page.locator("#view svg g.edge").count() == 4
            # click the root: its id, license and downloads appear in the panel
            index = [n["id"] for n in page.evaluate("window.hflineageGraph.data.nodes")].index("org/root")
            page.click(f"#n{index}")
            info = page.inner_text("#info")
            assert "org/root" in info and "apache-2.0" in info and "1,000" in info
            assert page.locator(f"#n{index}.selected").count() == 1
            before = page.evaluate("window.hflineageGraph.box()")
            page.mouse.move(400, 300)
            page.mouse.wheel(0, -400)
            page.wait_for_timeout(100)
            assert page.evaluate("window.hflineageGraph.box()")[2] < before[2]  # zoomed in
            page.screenshot(path=str(shots / "graph_html.png"))
            assert errors == []
        finally:
            browser.close()
