"""``license audit --format junit`` (the CI gate) and ``--report FILE.html|.md`` (the evidence
report), on a known-answer lineage against the real server; the HTML is rendered in headless
Chromium (the system browser) and its visible text checked."""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from importlib import resources

from playwright.sync_api import sync_playwright

from graphs import license_diamond as diamond

CHROMIUM = os.environ.get("HFLINEAGE_CHROMIUM", "/usr/bin/chromium")
POLICY_SHA = hashlib.sha256(
    resources.files("hflineage.licenses").joinpath("license_policy.yaml").read_bytes()).hexdigest()


def ids_file(tmp_path, *ids):
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return str(path)


def cases(xml_text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuites"
    (suite,) = root
    return suite, {c.get("name"): c for c in suite.iter("testcase")}


def test_junit_one_case_per_model_failing_at_fail_on(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    ids = ids_file(tmp_path, "org/merge", "org/diamond", "org/ft", "nobody/x")
    result = cli("license", "audit", ids, "--format", "junit", "--fail-on", "medium")
    assert result.exit_code == 3  # the gate's exit code is kept, the XML printed first
    suite, by_name = cases(result.stdout)
    assert list(by_name) == ["org/merge", "org/diamond", "org/ft", "nobody/x"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    failure = by_name["org/merge"].find("failure")
    assert failure.get("message") == "3 license conflict(s) at or above 'medium' (worst high)"
    assert failure.text.splitlines()[0] == (
        "[high] org/merge: apache-2.0 drops non-commercial of cc-by-nc-4.0 (distance 1) (ancestor base/nc)")
    assert len(failure.text.splitlines()) == 3
    assert list(by_name["org/diamond"]) == [] and list(by_name["org/ft"]) == []
    assert by_name["nobody/x"].find("skipped").get("message") == "not in the graph"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props == {"policy": "license_policy.yaml (built in)", "policy_sha256": POLICY_SHA, "fail_on": "medium"}

    result = cli("license", "audit", ids, "--format", "junit", "--fail-on", "high")
    _, by_name = cases(result.stdout)
    merge = by_name["org/merge"]
    assert len(merge.find("failure").text.splitlines()) == 1  # the high one fails ...
    assert merge.find("system-out").text.splitlines()[1:] == [  # ... the two medium ones are reported
        "[medium] org/merge: apache-2.0 drops keep-terms, use-restrictions of llama3.1 (distance 1) (ancestor org/ft)",
        "[medium] org/merge: apache-2.0 drops keep-terms, use-restrictions of llama3 (distance 2) (ancestor base/llama)"]
    clean = cli("license", "audit", ids_file(tmp_path, "org/diamond"), "--format", "junit")
    assert clean.exit_code == 0 and cases(clean.stdout)[0].get("failures") == "0"
    everything = cli("license", "audit", "--all", "--format", "junit")
    assert everything.exit_code == 3 and list(cases(everything.stdout)[1]) == ["org/merge"]


def test_markdown_report(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    report = tmp_path / "audit.md"
    result = cli("license", "audit", ids_file(tmp_path, "org/merge", "org/diamond"), "--report", str(report))
    assert result.exit_code == 3
    text = report.read_text(encoding="utf-8")
    assert f"- Policy: `license_policy.yaml (built in)` (SHA-256 `{POLICY_SHA}`)" in text
    assert "2 model(s) checked, 1 with conflicts, 3 conflict(s) in all." in text
    assert "| high | 1 |\n| medium | 2 |\n| low | 0 |" in text
    assert "| cc-by-nc-4.0 | apache-2.0 | 1 | high |\n| llama3 | apache-2.0 | 1 | medium |\n" \
           "| llama3.1 | apache-2.0 | 1 | medium |" in text
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == [
        "### 1. HIGH: `org/merge` (apache-2.0) under `base/nc` (cc-by-nc-4.0)",
        "### 2. MEDIUM: `org/merge` (apache-2.0) under `org/ft` (llama3.1)",
        "### 3. MEDIUM: `org/merge` (apache-2.0) under `base/llama` (llama3)"]
    assert ("- **Lineage path** (2 hop(s)): `org/merge` (apache-2.0) —merge of→ `org/ft` (llama3.1) "
            "—finetune of→ `base/llama` (llama3)") in text
    assert ("  - `non-commercial` (high): no commercial use of the model or its derivatives; "
            "policy rule: kept by any license that imposes the same obligation") in text


def test_html_report_renders_in_chromium(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    report = tmp_path / "audit.html"
    result = cli("license", "audit", ids_file(tmp_path, "org/merge", "org/diamond", "nobody/x"),
                 "--fail-on", "high", "--report", str(report))
    assert result.exit_code == 3
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        body = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
        sections = page.locator("section.case")
        first = sections.nth(0).inner_text()
        count = sections.count()
        browser.close()
    assert requests == [report.as_uri()]  # self-contained: nothing else is fetched
    assert body.startswith("License audit report")
    assert f"Policy SHA-256: {POLICY_SHA}" in body
    assert "Gate: conflicts of severity high or higher fail the audit. 1 conflict(s) fail it." in body
    assert "2 model(s) checked; 1 with conflicts; 3 conflict(s) in all. Not in the graph (ignored): nobody/x." in body
    assert count == 3
    assert first.startswith("1. HIGH org/merge (apache-2.0) under base/nc (cc-by-nc-4.0)")
    assert "org/merge — license apache-2.0 is a merge of\nbase/nc — license cc-by-nc-4.0" in first
    assert "Why\napache-2.0 drops non-commercial of cc-by-nc-4.0 (distance 1)" in first


def test_report_bad_name_or_unwritable_writes_nothing(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    ids = ids_file(tmp_path, "org/merge")
    result = cli("license", "audit", ids, "--report", str(tmp_path / "audit.pdf"))
    assert result.exit_code == 2 and "give a .html or .md file name" in result.stderr
    target = tmp_path / "missing-dir" / "audit.html"
    result = cli("license", "audit", ids, "--report", str(target))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == f"error: cannot write {target}: No such file or directory"
    assert sorted(os.listdir(tmp_path)) == ["ids.txt", "models_0.parquet"]


# --- training data: the evidence path runs from the dataset down to the model ---------------------


def training_lineage(leaf: str = "r/leaf", odd_license: str | None = None):
    """r/root (llama3, trained on ds/nc) <- r/ft (llama3, finetune) <- ``leaf`` (apache-2.0,
    quantized; trained on ds/ghost, in no datasets file): the leaf drops the NC data's
    non-commercial at distance 2 (high), the llama3 terms of both ancestors (medium), and ds/ghost
    has no known license (warning). With ``odd_license``, the leaf is also trained on ds/odd under
    that (unclassified) license: one more warning."""
    extra = ["dataset:ds/odd"] if odd_license else []
    models = [{"id": "r/root", "tags": ["license:llama3", "dataset:ds/nc"]},
              {"id": "r/ft", "base": ["r/root"], "relation": "finetune", "tags": ["license:llama3"]},
              {"id": leaf, "base": ["r/ft"], "relation": "quantized",
               "tags": ["license:apache-2.0", "dataset:ds/ghost", *extra]}]
    datasets = {"ds/nc": "cc-by-nc-4.0", **({"ds/odd": odd_license} if odd_license else {})}
    return models, datasets


def load_training(cli, make_parquet, make_datasets, **kw):
    models, datasets = training_lineage(**kw)
    assert cli("load", make_parquet(models), "--datasets", make_datasets(datasets)).exit_code == 0


def test_markdown_report_training_data_path(graph, cli, make_parquet, make_datasets, tmp_path):
    load_training(cli, make_parquet, make_datasets)
    report = tmp_path / "audit.md"
    result = cli("license", "audit", ids_file(tmp_path, "r/leaf"), "--report", str(report))
    assert result.exit_code == 3
    text = report.read_text(encoding="utf-8")
    assert "1 model(s) checked, 1 with conflicts, 4 conflict(s) in all." in text
    assert "| high | 1 |\n| medium | 2 |\n| low | 0 |\n| warning | 1 |" in text
    assert ("| cc-by-nc-4.0 (training data) | apache-2.0 | 1 | high |\n| llama3 | apache-2.0 | 2 | medium |\n"
            "| no license known (training data) | apache-2.0 | 1 | warning |") in text
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == [
        "### 1. HIGH: `r/leaf` (apache-2.0) under training data `ds/nc` (cc-by-nc-4.0)",
        "### 2. MEDIUM: `r/leaf` (apache-2.0) under `r/ft` (llama3)",
        "### 3. MEDIUM: `r/leaf` (apache-2.0) under `r/root` (llama3)",
        "### 4. WARNING: `r/leaf` (apache-2.0) under training data `ds/ghost` (no license known)"]
    assert ("- **Evidence path** (dataset → model trained on it → … → this model; distance 2): "
            "`ds/nc` (dataset, cc-by-nc-4.0) —training data of→ `r/root` (llama3) —base of (finetune)→ "
            "`r/ft` (llama3) —base of (quantized)→ `r/leaf` (apache-2.0)") in text
    assert "- **Why**: apache-2.0 drops non-commercial of training data under cc-by-nc-4.0 (distance 2)" in text
    warning = text.split("### 4. ")[1]
    assert ("`ds/ghost` (dataset, no license known) —training data of→ `r/leaf` (apache-2.0)") in warning
    assert "Obligations dropped" not in warning
    assert "is missing or not classified is rated warning by the policy (training" in warning


def test_html_report_training_data_path_escaped(graph, cli, make_parquet, make_datasets, tmp_path):
    leaf = "r/<img src=x onerror=window.pwned=1>"
    odd = "<b>odd</b>"
    load_training(cli, make_parquet, make_datasets, leaf=leaf, odd_license=odd)
    report = tmp_path / "audit.html"
    result = cli("license", "audit", ids_file(tmp_path, leaf), "--report", str(report))
    assert result.exit_code == 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        page.goto(report.as_uri())
        first = page.locator("section.case").nth(0).inner_text()
        last = page.locator("section.case").nth(4).inner_text()
        injected = page.evaluate("document.querySelectorAll('section img, ol.path b, h3 b, dd > b').length")
        pwned = page.evaluate("window.pwned === undefined")
        browser.close()
    assert pwned and injected == 0
    assert first.startswith(f"1. HIGH {leaf} (apache-2.0) under training data ds/nc (cc-by-nc-4.0)")
    assert ("ds/nc — dataset, license cc-by-nc-4.0 is training data of\nr/root — license llama3 is the base of "
            f"(finetune)\nr/ft — license llama3 is the base of (quantized)\n{leaf} — license apache-2.0") in first
    assert "Evidence path\nFrom the dataset to the model trained on it and down to the model audited (distance 2):" in first
    assert last.startswith(f"5. WARNING {leaf} (apache-2.0) under training data ds/odd ({odd})")
    assert f"training data under {odd} is not classified by the policy (distance 0)" in last


def test_markdown_training_data_escapes_ids_and_licenses(graph, cli, make_parquet, make_datasets, tmp_path):
    import markdown
    from markdown_it import MarkdownIt

    from test_hostile_outputs import MD_CHILD, MD_LICENSE, _Tags

    load_training(cli, make_parquet, make_datasets, leaf=MD_CHILD, odd_license=MD_LICENSE)
    report = tmp_path / "r.md"
    assert cli("license", "audit", ids_file(tmp_path, MD_CHILD), "--report", str(report)).exit_code == 3
    text = report.read_text(encoding="utf-8")
    renders = {"python-markdown": markdown.markdown(text, extensions=["tables"]),
               "markdown-it": MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)}
    allowed = {"h1", "h2", "h3", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "strong"}
    for name, rendered in renders.items():
        parsed = _Tags()
        parsed.feed(rendered)
        assert {t for t, _ in parsed.tags} <= allowed, (name, rendered)
        assert all(not attrs or t in ("th", "td") for t, attrs in parsed.tags), name
        shown = "".join(parsed.text)
        assert MD_CHILD in shown and MD_LICENSE in shown and "ds/odd" in shown, (name, shown)
