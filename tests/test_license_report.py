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
