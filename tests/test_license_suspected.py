"""``license audit --with-suspected`` (SPEC "Suspected lineage"): undeclared-lineage findings
through SUSPECTED_BASE edges, known answers worked out by hand on a small graph against the real
server; the JUnit, Markdown and HTML views of such a finding."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import sync_playwright

from hflineage.licenses import propagation as lib
from hflineage.loader.load import load

from graphs import lic

CHROMIUM = os.environ.get("HFLINEAGE_CHROMIUM", "/usr/bin/chromium")
NC = "apache-2.0 drops non-commercial of suspected ancestor under cc-by-nc-4.0 (distance 1)"


def suspected_graph():
    """Roots s/nc (cc-by-nc-4.0) and s/llama (llama3); s/ft and s/ft2 (mit) finetune s/llama.
    Models declaring no base (apache-2.0): m/hi, m/lo, m/deep, m/two, m/tie, m/ids; m/decl
    declares s/llama as its base; m/nc declares cc-by-nc-4.0 (keeps it)."""
    rows = [{"id": "s/nc", "tags": lic("cc-by-nc-4.0")}, {"id": "s/llama", "tags": lic("llama3")},
            {"id": "s/ft", "base": ["s/llama"], "relation": "finetune", "tags": lic("mit")},
            {"id": "s/ft2", "base": ["s/llama"], "relation": "finetune", "tags": lic("mit")},
            {"id": "m/decl", "base": ["s/llama"], "relation": "finetune", "tags": lic("apache-2.0")},
            {"id": "m/nc", "tags": lic("cc-by-nc-4.0")}]
    rows += [{"id": m, "tags": lic("apache-2.0")} for m in ("m/hi", "m/lo", "m/deep", "m/two", "m/tie", "m/ids")]
    return rows


# (model, suspected base, score, evidence)
EDGES = [("m/hi", "s/nc", 0.95, ["name shares 'nc'", "same author"]),
         ("m/lo", "s/nc", 0.5, ["same pipeline"]),
         ("m/deep", "s/ft", 0.95, ["name contains 'ft'"]),
         ("m/two", "s/ft", 0.97, ["a"]), ("m/two", "s/llama", 0.91, ["b"]),
         ("m/tie", "s/ft", 0.92, ["c"]), ("m/tie", "s/ft2", 0.97, ["d"]),
         ("m/decl", "s/ft", 0.95, ["e"]),
         ("m/nc", "s/nc", 0.99, ["f"])]


@pytest.fixture
def loaded(graph, make_parquet):
    load(graph, make_parquet(suspected_graph()), progress=False)
    written = graph.write("chart_write", rows=[
        {"id": m, "base": b, "score": s, "relation": "finetune", "evidence": e, "method": "test", "rank": 1}
        for m, b, s, e in EDGES])
    assert written[0]["written"] == len(EDGES)
    return graph


@pytest.fixture
def policy():
    return lib.load_policy()


ALL = ["m/hi", "m/lo", "m/deep", "m/two", "m/tie", "m/ids", "m/decl", "m/nc"]


def undeclared(doc: dict) -> dict[tuple[str, str], tuple]:
    return {(r["model"], r["ancestor"]): (r["severity"], tuple(r["dropped"]), r["distance"], r["suspected_base"],
                                          r["score"])
            for r in doc["conflicts"] if r["kind"] == "undeclared-lineage"}


LLAMA = ("medium", ("keep-terms", "use-restrictions"))
DEFAULT = {("m/hi", "s/nc"): ("high", ("non-commercial",), 1, "s/nc", 0.95),
           ("m/deep", "s/llama"): (*LLAMA, 2, "s/ft", 0.95),  # through the suspected base's declared parent
           ("m/two", "s/llama"): (*LLAMA, 1, "s/llama", 0.91),  # the shorter way wins over the higher score
           ("m/tie", "s/llama"): (*LLAMA, 2, "s/ft2", 0.97)}  # same distance: the higher score


def test_known_answers_over_a_list_and_all(loaded, policy):
    doc = lib.audit(loaded, ALL, policy, min_score=0.9)
    assert undeclared(doc) == DEFAULT
    (hi,) = [r for r in doc["conflicts"] if r["model"] == "m/hi"]
    assert hi == {"model": "m/hi", "license": "apache-2.0", "kind": "undeclared-lineage", "ancestor": "s/nc",
                  "ancestor_license": "cc-by-nc-4.0", "ancestor_terms": "cc-by-nc-4.0", "distance": 1,
                  "severity": "high", "dropped": ["non-commercial"], "reason": NC, "suspected_base": "s/nc",
                  "score": 0.95, "evidence": ["name shares 'nc'", "same author"]}
    # m/decl declares s/llama: a lineage conflict, not an undeclared one too
    assert [(r["kind"], r["ancestor"]) for r in doc["conflicts"] if r["model"] == "m/decl"] == [("lineage", "s/llama")]
    assert doc["checked"] == len(ALL) and doc["counts"]["high"] == 1 and doc["counts"]["medium"] == 4
    every = lib.audit_all(loaded, policy, min_score=0.9)
    assert every["conflicts"] == lib.audit(loaded, [*ALL, "s/nc", "s/llama", "s/ft", "s/ft2"], policy,
                                           min_score=0.9)["conflicts"]
    assert undeclared(every) == DEFAULT
    # a list audits only its models
    assert undeclared(lib.audit(loaded, ["m/deep", "nobody/x"], policy, min_score=0.9)) == {
        ("m/deep", "s/llama"): DEFAULT[("m/deep", "s/llama")]}


def test_the_threshold(loaded, policy):
    assert ("m/lo", "s/nc") not in undeclared(lib.audit(loaded, ["m/lo"], policy, min_score=0.9))
    low = undeclared(lib.audit_all(loaded, policy, min_score=0.4))
    assert low[("m/lo", "s/nc")] == ("high", ("non-commercial",), 1, "s/nc", 0.5)
    assert low == {**DEFAULT, ("m/lo", "s/nc"): low[("m/lo", "s/nc")]}
    # at 0.95, m/two keeps only s/ft's way (0.97): s/llama at distance 2
    assert undeclared(lib.audit(loaded, ["m/two"], policy, min_score=0.95)) == {
        ("m/two", "s/llama"): (*LLAMA, 2, "s/ft", 0.97)}


def test_without_the_flag_nothing_changes(loaded, cli, policy):
    assert lib.audit(loaded, ALL, policy) == lib.audit(loaded, ALL, policy, min_score=None)
    assert not undeclared(lib.audit_all(loaded, policy))
    plain = cli("license", "audit", "--all", "--format", "json")
    assert plain.exit_code == 3  # the declared llama3 conflicts
    rows = json.loads(plain.stdout)["conflicts"]
    assert [(r["model"], r["kind"]) for r in rows] == [("m/decl", "lineage"), ("s/ft", "lineage"), ("s/ft2", "lineage")]
    assert "suspected_base" not in plain.stdout and "suspected_min_score" not in plain.stdout


def test_cli_and_api(loaded, cli, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("m/lo\nm/hi\n", encoding="utf-8")
    r = cli("license", "audit", str(ids), "--with-suspected", "--format", "json")
    assert r.exit_code == 3
    doc = json.loads(r.stdout)
    assert [(c["model"], c["kind"], c["ancestor"]) for c in doc["conflicts"]] == [("m/hi", "undeclared-lineage", "s/nc")]
    assert doc["suspected_min_score"] == 0.9
    r = cli("license", "audit", str(ids), "--with-suspected", "--min-score", "0.4", "--format", "csv")
    assert r.stdout.splitlines()[0].split(",")[-3:] == ["suspected_base", "score", "reason"]
    assert [line.split(",")[2] for line in r.stdout.splitlines()[1:]] == ["m/hi", "m/lo"]
    table = cli("license", "audit", "--all", "--with-suspected").stdout
    assert "undeclared-lineage" in table and "s/ft2" in table
    assert cli("license", "audit", "--all", "--with-suspected", "--min-score", "1.5").exit_code == 2

    import hflineage

    with hflineage.connect() as lineage:
        audit = lineage.license_audit(["m/hi"], with_suspected=True)
        assert [c["suspected_base"] for c in audit.conflicts] == ["s/nc"]
        assert list(audit.to_pandas().columns)[-3:] == ["suspected_base", "score", "evidence"]
        assert lineage.license_audit(["m/lo"], with_suspected=True, min_score=0.4).conflicts[0]["score"] == 0.5
        assert lineage.license_audit(["m/hi"]).conflicts == []
        with pytest.raises(hflineage.HFLineageError, match="min_score"):
            lineage.license_audit(["m/hi"], with_suspected=True, min_score=2)


def test_junit_markdown_and_html(loaded, cli, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("m/deep\nm/hi\n", encoding="utf-8")
    md, page = tmp_path / "audit.md", tmp_path / "audit.html"
    r = cli("license", "audit", str(ids), "--with-suspected", "--format", "junit", "--report", str(md))
    assert r.exit_code == 3
    root = ET.fromstring(r.stdout)
    assert {p.get("name"): p.get("value") for p in root.iter("property")}["suspected_min_score"] == "0.9"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["m/deep"].find("failure").text == (
        "[medium] m/deep: apache-2.0 drops keep-terms, use-restrictions of suspected ancestor under llama3 "
        "(distance 2) (suspected, not declared: ancestor s/llama through suspected base s/ft, score 0.95; "
        "evidence: name contains 'ft')")
    text = md.read_text(encoding="utf-8")
    assert ("- Suspected lineage: included, suspected bases of score 0.9 or more (`hflineage chart`); findings "
            "marked *suspected lineage* are suspected, not declared") in text
    assert ("### 2. MEDIUM: `m/deep` (apache-2.0) under `s/llama` (llama3), suspected lineage") in text
    assert ("- **Suspected, not declared**: `m/deep` declares no base; `hflineage chart` suspects `s/ft` "
            "(score 0.95); evidence: name contains 'ft'") in text
    assert ("- **Suspected lineage path** (distance 2: the suspected edge, then the declared path above the "
            "suspected base): `m/deep` (apache-2.0) —suspected base (score 0.95; not declared)→ `s/ft` (mit) "
            "—finetune of→ `s/llama` (llama3)") in text
    assert "| llama3 (suspected lineage) | apache-2.0 | 1 | medium |" in text
    assert "`m/hi` (apache-2.0) —suspected base (score 0.95; not declared)→ `s/nc` (cc-by-nc-4.0)" in text

    cli("license", "audit", str(ids), "--with-suspected", "--report", str(page))
    html = page.read_text(encoding="utf-8")
    assert ('<li><code>m/deep</code> — license apache-2.0 <span class="rel">has the suspected base (score 0.95; '
            'suspected, not declared)</span></li><li><code>s/ft</code> — license mit <span class="rel">is a '
            'finetune of</span></li><li><code>s/llama</code> — license llama3</li>') in html
    assert '<span class="suspected">suspected lineage</span>' in html
    assert "Suspected lineage: included, suspected bases of score 0.9 or more" in html
    assert "<li><code>name shares &#x27;nc&#x27;</code></li><li><code>same author</code></li>" in html
    with sync_playwright() as p:  # what a reader sees, in the system Chromium
        browser = p.chromium.launch(executable_path=CHROMIUM)
        tab = browser.new_page()
        tab.goto(page.as_uri())
        deep = tab.locator("section.case").nth(1).inner_text()
        browser.close()
    assert deep.startswith("2. MEDIUM m/deep (apache-2.0) under s/llama (llama3), suspected lineage")
    assert "Suspected, not declared\nThe model declares no base; hflineage chart suspects s/ft (score 0.95)." in deep
    assert ("m/deep — license apache-2.0 has the suspected base (score 0.95; suspected, not declared)\n"
            "s/ft — license mit is a finetune of\ns/llama — license llama3") in deep


def test_hostile_evidence_is_inert(graph, make_parquet, cli, tmp_path):
    load(graph, make_parquet([{"id": "s/nc", "tags": lic("cc-by-nc-4.0")},
                              {"id": "m/x", "tags": lic("apache-2.0")}]), progress=False)
    bad = "<img src=x onerror=alert(1)>|`*\x01"
    graph.write("chart_write", rows=[{"id": "m/x", "base": "s/nc", "score": 0.99, "relation": "finetune",
                                      "evidence": [bad], "method": "test", "rank": 1}])
    md, page = tmp_path / "a.md", tmp_path / "a.html"
    r = cli("license", "audit", "--all", "--with-suspected", "--format", "junit", "--report", str(md))
    text = md.read_text(encoding="utf-8")
    assert "<img" not in text and "evidence: &#60;img src=x onerror=alert(1)&#62;&#124;&#96;&#42;&#92;x01" in text
    root = ET.fromstring(r.stdout)  # parses: the control character is a visible escape
    assert "\\x01" in root.find(".//failure").text
    cli("license", "audit", "--all", "--with-suspected", "--report", str(page))
    assert "<img" not in page.read_text(encoding="utf-8")


def test_bom_lists_suspected_bases_as_properties_never_as_pedigree(loaded, cli):
    """``bom --with-suspected``: the model's suspected bases at or above --min-score become
    hflineage:suspectedBase properties (score, relation, evidence); the pedigree and the
    dependencies stay the declared lineage; without the flag the BOM is as before."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    def bom(*args):
        result = cli("bom", "m/two", *args)
        assert result.exit_code == 0, result.stderr
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
        doc = json.loads(result.stdout)
        model = doc["components"][0]
        return doc, model, [p["value"] for p in model.get("properties", []) if p["name"] == "hflineage:suspectedBase"]

    plain, plain_model, none = bom()
    assert none == [] and "pedigree" not in plain_model
    doc, model, listed = bom("--with-suspected")
    assert listed == ["s/ft (finetune, score 0.97; suspected, not declared): a",
                      "s/llama (finetune, score 0.91; suspected, not declared): b"]
    assert "pedigree" not in model  # m/two declares no base: suggestions never become pedigree
    assert doc["dependencies"] == plain["dependencies"]
    _, _, high = bom("--with-suspected", "--min-score", "0.95")
    assert high == listed[:1]
    bad = cli("bom", "m/two", "--with-suspected", "--min-score", "1.5")
    assert bad.exit_code == 2
