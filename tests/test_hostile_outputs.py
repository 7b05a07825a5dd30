"""Issue 24, hostile data in what people open and where outputs go: one test per class (the
issue's numbers), each against the real server, each failing before its fix.

Ids are anybody's (the store accepts any string), so every output that shows them is fed ids
built to break it: template placeholders and markup, control characters XML cannot hold, raw
HTML and backticks for Markdown, emoji and backticks for purls and URLs, mathtext for plots,
formulas for spreadsheets, and list separators other than a line feed.
"""

from __future__ import annotations

import html.parser
import json
import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hflineage.loader.load import load

from conftest import SAMPLE


def lic(license_id: str) -> list[str]:
    return [f"license:{license_id}"]


def _stderr_lines(text: str) -> list[str]:
    """What a terminal shows of ``text``: each line as left after its carriage returns."""
    return [line.rsplit("\r", 1)[-1].strip() for line in text.split("\n") if line.rsplit("\r", 1)[-1].strip()]


# 1. placeholders and markup in `graph --out x.html` --------------------------------------------------

ROOT = 'x/{{data}}<img src=x onerror=window.pwned=1>'
HOSTILE_GRAPH = [
    {"id": ROOT, "downloads": 900, "tags": lic('{{script}}<script>window.pwned=2</script>')},
    {"id": "x/{{script}}</script><script>window.pwned=3</script>", "downloads": 50, "base": [ROOT],
     "relation": "finetune", "pipeline_tag": "{{style}}</style><svg onload=window.pwned=4>"},
    {"id": "x/{{title}}{{svg}}<!--\u2028\u2029&amp;", "downloads": 40, "base": [ROOT], "relation": "adapter"},
    {"id": "x/\"'><iframe srcdoc='<script>parent.pwned=5</script>'>", "downloads": 30, "base": [ROOT],
     "relation": "quantized"},
]


def test_html_graph_with_placeholder_and_markup_ids_runs_no_script(graph, make_parquet, cli, tmp_path):
    from playwright.sync_api import sync_playwright

    load(graph, make_parquet(HOSTILE_GRAPH), progress=False)
    page_path = tmp_path / "hostile.html"
    result = cli("graph", ROOT, "--out", str(page_path))
    assert result.exit_code == 0, result.output
    ids = sorted(r["id"] for r in HOSTILE_GRAPH)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            errors: list[str] = []
            dialogs: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                       else route.continue_())
            page.goto(page_path.as_uri())
            page.wait_for_timeout(300)
            assert page.evaluate("window.pwned") is None and page.evaluate("parent.pwned") is None
            assert page.locator("script").count() == 2  # the data and the viewer, nothing injected
            assert page.locator("img, iframe, #view svg svg").count() == 0
            # the viewer works, with every id exactly as stored
            data = page.evaluate("window.hflineageGraph.data")
            assert sorted(n["id"] for n in data["nodes"]) == ids
            assert page.locator("#view svg g.node").count() == 4
            assert page.title() == f"Lineage of {ROOT}"
            index = [n["id"] for n in data["nodes"]].index(HOSTILE_GRAPH[1]["id"])
            page.click(f"#n{index}")
            info = page.inner_text("#info")
            assert HOSTILE_GRAPH[1]["id"] in info and HOSTILE_GRAPH[1]["pipeline_tag"] in info
            assert errors == [] and dialogs == []
        finally:
            browser.close()


def test_json_for_a_script_element_cannot_close_it():
    from hflineage.outputs.graph_render import fill, json_for_script

    value = "</script><!--<script>&\u2028\u2029{{data}}"
    text = json_for_script({"id": value})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"id": value}
    assert fill("{{title}}|{{data}}", {"title": "{{data}}", "data": "{{title}}"}) == "{{data}}|{{title}}"


# 2. control characters in every drawing and in JUnit XML ---------------------------------------------

CONTROL = [
    {"id": "c/\x01ro\x0bot", "tags": lic("cc-by-nc-4.0"), "pipeline_tag": "text\x0cgen\uffff"},
    {"id": "c/ch\x0cild\uffff\x1f\x7fz", "base": ["c/\x01ro\x0bot"], "relation": "finetune", "tags": lic("apache-2.0")},
]


def test_control_characters_in_ids_draw_and_make_valid_junit(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet(CONTROL), progress=False)
    for suffix in ("svg", "png", "html"):
        out = tmp_path / f"c.{suffix}"
        result = cli("graph", "c/ch\x0cild\uffff\x1f\x7fz", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    svg = ET.parse(tmp_path / "c.svg").getroot()  # expat: strict XML 1.0
    texts = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "c/\\x01ro\\x0bot" in texts and "c/ch\\x0cild\\uffff\\x1f\\x7fz" in texts
    ids = tmp_path / "ids.txt"
    ids.write_bytes("c/ch\x0cild\uffff\x1f\x7fz\nc/\x01ro\x0bot\n".encode())
    result = cli("license", "audit", str(ids), "--format", "junit")
    assert result.exit_code == 3
    root = ET.fromstring(result.stdout.encode())
    suite = root.find("testsuite")
    assert [c.get("name") for c in suite.iter("testcase")] == ["c/ch\\x0cild\\uffff\\x1f\\x7fz", "c/\\x01ro\\x0bot"]
    failure = suite.find("testcase/failure")
    assert "[high] c/ch\\x0cild\\uffff\\x1f\\x7fz:" in failure.text and "(ancestor c/\\x01ro\\x0bot)" in failure.text
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["escaped"] == "control characters in ids and texts are shown as \\xNN / \\uNNNN escapes"
    # plain ids: no note (an audit must check a model: one that checked none is an error)
    load(graph, make_parquet([{"id": "plain/model", "tags": lic("mit")}]), progress=False)
    plain = tmp_path / "plain.txt"
    plain.write_text("plain/model\nnobody/x\n", encoding="utf-8")
    root = ET.fromstring(cli("license", "audit", str(plain), "--format", "junit").stdout.encode())
    assert "escaped" not in {p.get("name") for p in root.find("testsuite/properties")}


# 3. Markdown report ------------------------------------------------------------------------------------

MD_BASE = "b/<img src=x onerror=alert(1)>*em*_u_[l](javascript:alert(2))"
MD_CHILD = "m/`code`` <script>alert(3)</script>|pipe\\"
MD_LICENSE = "<b>x</b>&lt;`y`|~~z~~"


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_markdown_report_escapes_ids_and_licenses(graph, make_parquet, cli, tmp_path):
    import markdown
    from markdown_it import MarkdownIt

    load(graph, make_parquet([
        {"id": MD_BASE, "tags": lic("cc-by-nc-4.0")},
        {"id": MD_CHILD, "base": [MD_BASE], "relation": "finetune", "tags": lic(MD_LICENSE)},
    ]), progress=False)
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{MD_CHILD}\n", encoding="utf-8")
    report = tmp_path / "r.md"
    result = cli("license", "audit", str(ids), "--report", str(report))
    assert result.exit_code == 3, result.output
    text = report.read_text(encoding="utf-8")
    renders = {"python-markdown": markdown.markdown(text, extensions=["tables"]),
               "markdown-it": MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)}
    allowed = {"h1", "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "strong"}
    for name, rendered in renders.items():
        parsed = _Tags()
        parsed.feed(rendered)
        assert {t for t, _ in parsed.tags} <= allowed, (name, rendered)
        assert all(not attrs or t in ("th", "td") for t, attrs in parsed.tags), name  # no href, no onerror
        shown = "".join(parsed.text)
        assert MD_BASE in shown and MD_CHILD in shown and MD_LICENSE in shown, (name, shown)


# 4. bom of ids with an emoji or a backtick ------------------------------------------------------------

def test_bom_encodes_ids_in_purls_and_urls(graph, make_parquet, cli):
    from packageurl import PackageURL

    load(graph, make_parquet([
        {"id": "emoji/\U0001F600 model", "tags": lic("mit")},
        {"id": "tick/a`b#c?d", "base": ["emoji/\U0001F600 model"], "relation": "finetune", "tags": lic("other")},
    ]), progress=False)
    result = cli("bom", "tick/a`b#c?d")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (component,) = doc["components"]
    assert component["purl"] == "pkg:huggingface/tick/a%60b%23c%3Fd"
    assert PackageURL.from_string(component["purl"]).name == "a`b#c?d"
    assert component["externalReferences"][0]["url"] == "https://huggingface.co/tick/a%60b%23c%3Fd"
    (ancestor,) = component["pedigree"]["ancestors"]
    assert ancestor["purl"] == "pkg:huggingface/emoji/%F0%9F%98%80%20model"


def test_a_schema_failure_is_one_line():
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType

    from hflineage.outputs import bom as lib
    from hflineage.store.errors import BomError

    bom = Bom()
    bom.components.add(Component(type=ComponentType.MACHINE_LEARNING_MODEL, name="x", bom_ref="x",
                                 external_references=[ExternalReference(type=ExternalReferenceType.WEBSITE,
                                                                        url=XsUri("https://h/a`b"))]))
    with pytest.raises(BomError) as e:
        lib.to_json(bom)
    message = str(e.value)
    assert "\n" not in message and len(message) < 500
    assert "/components/0/externalReferences/0/url" in message


# 5. stats --plots with mathtext in labels -----------------------------------------------------------

MATH = [
    {"id": "$\\frac{1}{0}$/root", "pipeline_tag": "$x^{$", "downloads": 5},
    {"id": "m/\\mathbf{x}$", "base": ["$\\frac{1}{0}$/root"], "relation": "finetune", "pipeline_tag": "$x^{$"},
    {"id": "m/$\\sqrt", "base": ["m/\\mathbf{x}$"], "relation": "merge", "pipeline_tag": "a\\b\x01"},
]


def test_plots_with_mathtext_ids_and_tags(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet(MATH), progress=False)
    out = tmp_path / "figs"
    result = cli("stats", "--plots", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["chain_length.png", "depth_by_pipeline_tag.png", "family_size.png",
                     "relation_mix_by_pipeline_tag.png", "stats.json", "top_families.png"]
    assert all((out / n).stat().st_size > 0 for n in names)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["models_0.parquet", "figs"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["figs", "models_0.parquet"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_plots_folder_is_complete_or_untouched(graph, make_parquet, cli, tmp_path, monkeypatch):
    from hflineage.outputs import plots

    load(graph, make_parquet(MATH[:2]), progress=False)

    def broken(plt, data):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "_top_families", broken)  # the fourth figure fails
    fresh = tmp_path / "new"
    with pytest.raises(RuntimeError):
        cli("stats", "--plots", str(fresh))
    assert not fresh.exists()
    kept = tmp_path / "old"
    kept.mkdir()
    (kept / "chain_length.png").write_bytes(b"old")
    (kept / "mine.txt").write_bytes(b"mine")
    with pytest.raises(RuntimeError):
        cli("stats", "--plots", str(kept))
    assert sorted(p.name for p in kept.iterdir()) == ["chain_length.png", "mine.txt"]
    assert (kept / "chain_length.png").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models_0.parquet", "old"]  # no staging left
    monkeypatch.undo()
    assert cli("stats", "--plots", str(kept)).exit_code == 0
    assert len(list(kept.iterdir())) == 7 and (kept / "mine.txt").read_bytes() == b"mine"
    assert (kept / "chain_length.png").read_bytes()[:4] == b"\x89PNG"


# 6. formulas in CSV cells ---------------------------------------------------------------------------

FORMULAS = ["f/root", "=HYPERLINK(\"http://x\",\"y\")", "+1+cmd", "-2+3", "@SUM(A1)"]


def test_csv_keeps_exact_values_and_offers_a_safe_mode(graph, make_parquet, cli, monkeypatch):
    load(graph, make_parquet([{"id": "f/root", "downloads": 1}]
                             + [{"id": i, "base": ["f/root"], "relation": "finetune", "downloads": 1}
                                for i in FORMULAS[1:]]), progress=False)
    exact = cli("graph", "f/root", "--format", "csv")
    rows = list(__import__("csv").DictReader(exact.stdout.splitlines()))
    assert sorted(r["id"] for r in rows) == sorted(FORMULAS)
    safe = cli("--csv-safe", "graph", "f/root", "--format", "csv")
    rows = list(__import__("csv").DictReader(safe.stdout.splitlines()))
    assert sorted(r["id"] for r in rows) == sorted(["f/root"] + ["'" + i for i in FORMULAS[1:]])
    monkeypatch.setenv("HFLINEAGE_CSV_SAFE", "1")
    up = cli("graph", "=HYPERLINK(\"http://x\",\"y\")", "--format", "csv")
    rows = {r["id"]: r for r in __import__("csv").DictReader(up.stdout.splitlines())}
    assert rows["f/root"]["level"] == "-1"  # a number is a value, never prefixed
    assert set(rows) == {"f/root", "'=HYPERLINK(\"http://x\",\"y\")"}


# 15. --out never replaces a special file -----------------------------------------------------------

def test_out_refuses_special_files_and_dash_is_stdout(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet([{"id": "o/m", "tags": lic("mit")}]), progress=False)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    victim = tmp_path / "victim.json"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    targets = [fifo, link]
    if os.geteuid() == 0:  # a device node like /dev/full, made here so that a failure harms nothing
        device = tmp_path / "full.json"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        targets.append(device)
    before = {p: os.lstat(p) for p in targets}
    for target in targets:
        result = cli("bom", "o/m", "--out", str(target))
        assert result.exit_code == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and "not a regular file" in result.stderr, result.stderr
        after = os.lstat(target)
        assert (after.st_mode, after.st_ino, after.st_rdev) == (before[target].st_mode, before[target].st_ino,
                                                                before[target].st_rdev)
    assert victim.read_text(encoding="utf-8") == "precious" and os.readlink(link) == str(victim)
    svg_link = tmp_path / "g.svg"
    svg_link.symlink_to(victim)
    result = cli("graph", "o/m", "--out", str(svg_link))
    assert result.exit_code == 2 and svg_link.is_symlink() and "a symlink" in result.stderr
    md_link = tmp_path / "r.md"
    md_link.symlink_to(victim)
    ids = tmp_path / "ids.txt"
    ids.write_text("o/m\n", encoding="utf-8")
    result = cli("license", "audit", str(ids), "--report", str(md_link))
    assert result.exit_code == 2 and md_link.is_symlink() and victim.read_text(encoding="utf-8") == "precious"
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "stats.json").symlink_to(victim)
    result = cli("stats", "--plots", str(figs))
    assert result.exit_code == 2 and [p.name for p in figs.iterdir()] == ["stats.json"]
    assert victim.read_text(encoding="utf-8") == "precious"
    # '-' is standard output, byte for byte what --out FILE writes
    dash = cli("bom", "o/m", "--out", "-")
    assert dash.exit_code == 0 and not (Path.cwd() / "-").exists()
    assert json.loads(dash.stdout)["components"][0]["name"] == "m"


# 19. one reader of id lists --------------------------------------------------------------------------

ODD_IDS = ["v/a\x0bb", "v/c\x0cd", "v/e\u2028f", "v/g\x85h", "v/i\rj"]


def test_every_command_reads_id_files_alike(graph, make_parquet, cli, tmp_path):
    from hflineage.cli.idlist import parse_ids

    load(graph, make_parquet([{"id": i, "tags": lic("mit")} for i in ODD_IDS]), progress=False)
    body = "v/a\x0bb\r\nv/c\x0cd\n\n  # a comment\n\tv/e\u2028f  \r\n\r\nv/g\x85h\nv/i\rj\n"
    assert parse_ids(body) == ODD_IDS
    path = tmp_path / "ids.txt"
    path.write_bytes(("\ufeff" + body).encode("utf-8"))
    audit = cli("license", "audit", str(path), "--format", "json")
    assert audit.exit_code == 0, audit.output
    doc = json.loads(audit.stdout)
    assert (doc["checked"], doc["unknown"]) == (5, [])
    bom = cli("bom", "--file", str(path))
    assert bom.exit_code == 0, bom.output
    assert sorted(c["bom-ref"] for c in json.loads(bom.stdout)["components"]) == sorted(f"hf:{i}" for i in ODD_IDS)
    impact = cli("impact", "--file", str(path), "--format", "json")
    assert impact.exit_code == 0 and json.loads(impact.stdout)["unknown"] == []
    piped = cli("license", "audit", "--format", "json", input=body)
    assert json.loads(piped.stdout)["checked"] == 5
    path.write_bytes(b"v/a\n\xff\xfe\n")
    for args in (["license", "audit", str(path)], ["bom", "--file", str(path)], ["impact", "--file", str(path)]):
        result = cli(*args)
        assert result.exit_code == 2 and result.stderr.strip() == \
            f"error: cannot read the model list {path}: not UTF-8 text (byte 4)", args


# 20. a progress bar never stays on screen before an error ---------------------------------------------

def test_an_error_during_a_load_is_the_only_line_on_stderr(server, tmp_path):
    schema = pq.read_schema(SAMPLE)
    schema = schema.set(schema.get_field_index("downloads"), pa.field("downloads", pa.uint64()))
    rows = [{"id": f"u/m{i}", "author": "u", "downloads": 2 ** 64 - 1 if i == 3 else i} for i in range(2000)]
    path = tmp_path / "u64.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    env = {k: v for k, v in os.environ.items() if k != "HFLINEAGE_NO_PROGRESS"}
    proc = subprocess.run([sys.executable, "-m", "hflineage.cli", "load", str(path)], env=env,
                          capture_output=True, timeout=120)  # bytes: text mode would turn \r into \n
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2
    assert "models:" in stderr  # the bar was drawn ...
    lines = _stderr_lines(stderr)  # ... and is gone: the error stands alone
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: column 'downloads' has type uint64"), stderr
