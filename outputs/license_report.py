"""What a license audit hands on: a JUnit XML gate for CI servers, and an evidence report (HTML or
Markdown) for compliance and legal readers.

Both are built from the audit document of :mod:`.licenses` (``audit`` / ``audit_all``). The
report adds, per finding, the evidence: for a lineage conflict the path from the model up to the
ancestor, for a training-data finding the path from the dataset to the model trained on it and
down to the model audited, for an undeclared-lineage finding the suspected edge (score and
evidence, labelled as suspected) and then the declared path from the suspected base up to the
ancestor, with every hop's relation and declared license (from ``license MODEL`` of each model
with a finding); the policy rule of each dropped obligation, the severity and why. The HTML is one self-contained file
(inline CSS, no script, no external resource), so it opens offline.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Iterable

from tqdm import tqdm

from ..licenses import propagation as lic
from ..licenses import suspected
from ..licenses.suspected import KIND as SUSPECTED
from ..licenses.training import KIND as TRAINING
from .text import UNSAFE, visible
from ..store.db import Graph

KEPT_BY_TEXT = {
    "same-license": "kept only by the same license, or one the policy lists as compatible with it",
    "same-obligation": "kept by any license that imposes the same obligation",
    "any-license": "kept by any license",
    "nothing": "kept by no derivative license",
}


# --- JUnit XML -----------------------------------------------------------------------------------


def junit_xml(doc: dict, policy: lic.Policy, model_ids: Iterable[str] | None = None) -> str:
    """One test case per model: a failure when it has conflicts at or above the audit's
    ``fail_on`` (each listed in the failure text), conflicts below it in ``system-out``; ids not in
    the graph are skipped cases. ``model_ids``: the ids audited (None for ``--all``, where only
    the models with a conflict get a case).

    XML 1.0 cannot hold most control characters (not even as ``&#1;``), and a store accepts any
    id: every text is written with its control characters as visible escapes (``\\x01``, as the
    table view shows them), and a property ``escaped`` says so when that happened."""
    fail_on = doc["fail_on"]
    by_model: dict[str, list[dict]] = {}
    for row in doc["conflicts"]:
        by_model.setdefault(row["model"], []).append(row)
    unknown = set(doc["unknown"])
    ids = list(dict.fromkeys(model_ids)) if model_ids is not None else sorted(by_model)
    failing = {m for m, rows in by_model.items() if any(_at_or_above(r["severity"], fail_on) for r in rows)}

    suites = ET.Element("testsuites", name="hflineage license audit")
    suite = ET.SubElement(suites, "testsuite", name="hflineage license audit", tests=str(len(ids)),
                          failures=str(len(failing & set(ids))), errors="0",
                          skipped=str(len([i for i in ids if i in unknown])),
                          timestamp=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())
    properties = ET.SubElement(suite, "properties")
    for name, value in (("policy", doc["policy"]), ("policy_sha256", policy.sha256 or ""),
                        ("fail_on", fail_on)):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    if doc.get("suspected_min_score") is not None:
        ET.SubElement(properties, "property", name="suspected_min_score", value=str(doc["suspected_min_score"]))
    for model_id in ids:
        case = ET.SubElement(suite, "testcase", classname="license", name=_xml_text(model_id))
        if model_id in unknown:
            ET.SubElement(case, "skipped", message="not in the graph")
            continue
        rows = by_model.get(model_id, [])
        above = [r for r in rows if _at_or_above(r["severity"], fail_on)]
        below = [r for r in rows if not _at_or_above(r["severity"], fail_on)]
        if above:
            worst = above[0]["severity"]  # rows are sorted worst first
            failure = ET.SubElement(case, "failure", type=f"license-conflict-{worst}",
                                    message=f"{len(above)} license conflict(s) at or above '{fail_on}' (worst {worst})")
            failure.text = "\n".join(_xml_text(_conflict_line(r)) for r in above)
        if below:
            out = ET.SubElement(case, "system-out")
            out.text = f"below '{fail_on}':\n" + "\n".join(_xml_text(_conflict_line(r)) for r in below)
    texts = [r.get(k) for r in doc["conflicts"] for k in ("model", "ancestor", "dataset", "via", "reason",
                                                          "suspected_base")]
    texts += [e for r in doc["conflicts"] for e in r.get("evidence") or ()]
    if any(UNSAFE.search(str(v)) or "\n" in str(v) for v in [doc["policy"], *ids, *(t for t in texts if t is not None)]):
        ET.SubElement(properties, "property", name="escaped",
                      value="control characters in ids and texts are shown as \\xNN / \\uNNNN escapes")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _score(score: float) -> str:
    return f"{score:.2f}"


def _evidence_text(evidence: list[str]) -> str:
    return "; ".join(str(e) for e in evidence) or "none recorded"


def _at_or_above(severity: str, fail_on: str) -> bool:
    return lic.LEVELS.index(severity) >= lic.LEVELS.index(fail_on)


def _xml_text(value: str) -> str:
    return visible(str(value))


def _conflict_line(row: dict) -> str:
    if row["kind"] == TRAINING:
        return f"[{row['severity']}] {row['model']}: {row['reason']} (dataset {row['dataset']} via {row['via']})"
    if row["kind"] == SUSPECTED:
        return (f"[{row['severity']}] {row['model']}: {row['reason']} (suspected, not declared: ancestor "
                f"{row['ancestor']} through suspected base {row['suspected_base']}, score {_score(row['score'])}; "
                f"evidence: {_evidence_text(row['evidence'])})")
    return f"[{row['severity']}] {row['model']}: {row['reason']} (ancestor {row['ancestor']})"


# --- the evidence ---------------------------------------------------------------------------------


def evidence(graph: Graph, doc: dict, policy: lic.Policy, progress: bool = False) -> list[dict]:
    """Every finding of the audit with its evidence, worst first (the audit's order), and the rule
    of each dropped obligation. The path of a lineage conflict runs from the model up to the
    ancestor (each hop: id, relation to the next, declared license); that of a training-data
    finding from the dataset to the model trained on it and down to the model audited (each hop:
    id, relation to the next, declared license, ``dataset`` true on the first); that of an
    undeclared-lineage finding from the model over its suspected edge (``suspected`` true on the
    model's hop, with the edge's score and evidence) to the suspected base and up its declared
    path to the ancestor. One ``license MODEL`` lookup per model with a finding, and one lineage
    lookup per suspected base."""
    models = list(dict.fromkeys(r["model"] for r in doc["conflicts"]))
    reports = {m: lic.model_license(graph, m, policy)
               for m in tqdm(models, desc="evidence", unit="model", disable=not progress)}
    cases = []
    for row in doc["conflicts"]:
        report = reports[row["model"]]
        licensed = {a["id"]: a for a in report["inherited"]}
        licensed[report["id"]] = report
        rules = [{"obligation": o, "description": policy.obligations[o].description,
                  "kept_by": policy.obligations[o].kept_by, "rule": KEPT_BY_TEXT[policy.obligations[o].kept_by],
                  "severity": policy.obligations[o].severity} for o in row["dropped"]]
        case = {**row, "model_license": _label(report), "rules": rules, "why": _why(policy, row, rules)}
        if row["kind"] == TRAINING:
            source = (_label({"license": row["dataset_license"], "license_name": row["dataset_license_name"]})
                      if row["dataset_license"] is not None else "no license known")
            case.update(dataset_license_label=source, source_license_label=f"{source} (training data)",
                        path=_training_path(report, row, licensed, source))
        elif row["kind"] == SUSPECTED:
            up = suspected.declared_path(graph, row["suspected_base"], row["ancestor"])
            source = _label(up[-1])
            case.update(ancestor_license_label=source, source_license_label=f"{source} (suspected lineage)",
                        path=[{"id": report["id"], "relation": "suspected base", "license": _label(report),
                               "suspected": True, "score": row["score"], "evidence": row["evidence"]}]
                        + [{"id": h["id"], "relation": h["relation"], "license": _label(h), "suspected": False}
                           for h in up])
        else:
            source = _label(licensed[row["ancestor"]])
            case.update(ancestor_license_label=source, source_license_label=source,
                        path=[{"id": h["id"], "relation": h["relation"], "license": _label(licensed[h["id"]])}
                              for h in licensed[row["ancestor"]]["path"]])
        cases.append(case)
    return cases


def _why(policy: lic.Policy, row: dict, rules: list[dict]) -> str:
    if not rules:  # a training dataset whose license is missing or not classified
        return (f"A training dataset whose license is missing or not classified is rated {row['severity']} "
                "by the policy (training_data.unknown_license).")
    worst = max(rules, key=lambda r: policy.rank(r["severity"]))
    why = f"The worst obligation dropped, {worst['obligation']}, is rated {worst['severity']} by the policy"
    if worst["severity"] != row["severity"]:
        why += f"; capped at {row['severity']} (see the reason)"
    return why + "."


def _training_path(report: dict, row: dict, licensed: dict, source: str) -> list[dict]:
    """dataset -> the model trained on it -> ... -> the model audited: the finding's path (the
    model up to the one trained on the dataset) read downwards; each hop's relation names the
    edge to the next hop (``training data`` from the dataset, null on the model audited)."""
    finding = next(f for f in report["training_findings"] if f["dataset"] == row["dataset"])
    up = finding["path"]
    hops = [{"id": row["dataset"], "relation": "training data", "license": source, "dataset": True}]
    for i in range(len(up) - 1, -1, -1):
        hops.append({"id": up[i]["id"], "relation": up[i - 1]["relation"] if i else None,
                     "license": _label(licensed[up[i]["id"]]), "dataset": False})
    return hops


_NONE = "no license declared"


def _label(entry: dict) -> str:
    if entry["license"] is None:
        return _NONE
    if entry.get("license_name") and str(entry["license"]).lower() == "other":
        return f"other ({entry['license_name']})"
    return entry["license"]


def summary(doc: dict, cases: list[dict]) -> dict:
    pairs = Counter((c["source_license_label"], c["model_license"]) for c in cases)
    worst = {}
    for c in cases:
        key = (c["source_license_label"], c["model_license"])
        worst.setdefault(key, c["severity"])  # cases come worst first
    return {
        "checked": doc["checked"], "unknown": doc["unknown"], "conflicts": len(cases),
        "models_with_conflicts": len({c["model"] for c in cases}), "counts": doc["counts"],
        "failing": doc["failing"], "fail_on": doc["fail_on"],
        "pairs": [{"ancestor_license": a, "model_license": m, "conflicts": n, "worst": worst[(a, m)]}
                  for (a, m), n in sorted(pairs.items(), key=lambda kv: (-lic._RANK[worst[kv[0]]], -kv[1], kv[0]))],
    }


# --- Markdown ------------------------------------------------------------------------------------


# Characters with a meaning in Markdown text (CommonMark, GitHub's tables, Python-Markdown), as
# numeric character references: every renderer shows them as the character and none reads them as
# markup, raw HTML, a code span, a link or a table cell's end. (A backslash escape is not enough:
# Python-Markdown keeps ``\<img ...>`` as live HTML.)
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "&<>`*_[]\\|~!#$"}


def _md(text) -> str:
    """Text from the data (ids, licenses, reasons) as inert Markdown text on one line."""
    return "".join(_MD_SPECIAL.get(c, c) for c in visible(str(text)))


def _code(text) -> str:
    """A code span holding ``text`` exactly: a fence longer than any run of backticks inside (the
    CommonMark rule), padded when the text starts or ends with one. Inside a code span no markup
    or raw HTML is read."""
    text = visible(str(text))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _path_md(path: list[dict]) -> str:
    parts = []
    for hop in path:
        parts.append(f"{_code(hop['id'])} ({_md(hop['license'])})")
        if hop["relation"]:
            parts.append(f"—{_md(hop['relation'])} of→")
    return " ".join(parts)


def _training_path_md(path: list[dict]) -> str:
    """``dataset`` —training data of→ ``model`` —base of (finetune)→ … ``the model audited``."""
    parts = []
    for hop in path:
        parts.append(f"{_code(hop['id'])} ({'dataset, ' if hop['dataset'] else ''}{_md(hop['license'])})")
        if hop["dataset"]:
            parts.append("—training data of→")
        elif hop["relation"]:
            parts.append(f"—base of ({_md(hop['relation'])})→")
    return " ".join(parts)


def _suspected_path_md(path: list[dict]) -> str:
    """``model`` —suspected base (score 0.95; not declared)→ ``base`` —finetune of→ … ``ancestor``."""
    parts = []
    for hop in path:
        parts.append(f"{_code(hop['id'])} ({_md(hop['license'])})")
        if hop["suspected"]:
            parts.append(f"—suspected base (score {_score(hop['score'])}; not declared)→")
        elif hop["relation"]:
            parts.append(f"—{_md(hop['relation'])} of→")
    return " ".join(parts)


def _case_md(n: int, c: dict) -> list[str]:
    if c["kind"] == SUSPECTED:
        lines = [f"### {n}. {c['severity'].upper()}: {_code(c['model'])} ({_md(c['model_license'])}) "
                 f"under {_code(c['ancestor'])} ({_md(c['ancestor_license_label'])}), suspected lineage", "",
                 f"- **Suspected, not declared**: {_code(c['model'])} declares no base; `hflineage chart` "
                 f"suspects {_code(c['suspected_base'])} (score {_score(c['score'])}); evidence: "
                 + _md(_evidence_text(c["evidence"])),
                 f"- **Suspected lineage path** (distance {c['distance']}: the suspected edge, then the "
                 f"declared path above the suspected base): {_suspected_path_md(c['path'])}"]
    elif c["kind"] == TRAINING:
        lines = [f"### {n}. {c['severity'].upper()}: {_code(c['model'])} ({_md(c['model_license'])}) "
                 f"under training data {_code(c['dataset'])} ({_md(c['dataset_license_label'])})", "",
                 f"- **Evidence path** (dataset → model trained on it → … → this model; distance "
                 f"{c['distance']}): {_training_path_md(c['path'])}"]
    else:
        lines = [f"### {n}. {c['severity'].upper()}: {_code(c['model'])} ({_md(c['model_license'])}) "
                 f"under {_code(c['ancestor'])} ({_md(c['ancestor_license_label'])})", "",
                 f"- **Lineage path** ({c['distance']} hop(s)): {_path_md(c['path'])}"]
    lines += [f"- **Why**: {_md(c['reason'])}", f"- **Severity {c['severity']}**: {_md(c['why'])}"]
    if c["rules"]:
        lines.append("- **Obligations dropped**:")
        lines += [f"  - {_code(r['obligation'])} ({_md(r['severity'])}): {_md(r['description'])}; "
                  f"policy rule: {_md(r['rule'])}" for r in c["rules"]]
    return lines + [""]


def markdown(doc: dict, cases: list[dict], policy: lic.Policy, generated: str | None = None) -> str:
    s = summary(doc, cases)
    generated = generated or _now()
    lines = ["# License audit report", "",
             f"- Policy: {_code(policy.source)} (SHA-256 {_code(policy.sha256)})",
             f"- Generated: {generated} by hflineage",
             f"- Gate: fails on conflicts of severity **{s['fail_on']}** or higher: "
             f"**{s['failing']}** conflict(s) fail",
             *([f"- Suspected lineage: included, suspected bases of score {doc['suspected_min_score']} or more "
                "(`hflineage chart`); findings marked *suspected lineage* are suspected, not declared"]
               if doc.get("suspected_min_score") is not None else []), "",
             "## Summary", "",
             f"{s['checked']} model(s) checked, {s['models_with_conflicts']} with conflicts, "
             f"{s['conflicts']} conflict(s) in all."
             + (f" Not in the graph (ignored): {', '.join(_code(u) for u in s['unknown'])}." if s["unknown"] else ""), "",
             "| Severity | Conflicts |", "|---|---:|"]
    lines += [f"| {_md(sev)} | {n} |" for sev, n in s["counts"].items()]
    lines += ["", "| Ancestor or training-data license | Model license | Conflicts | Worst |", "|---|---|---:|---|"]
    lines += [f"| {_md(p['ancestor_license'])} | {_md(p['model_license'])} | {p['conflicts']} | {p['worst']} |"
              for p in s["pairs"]] or ["| (none) | | | |"]
    lines += ["", "## Conflicts, worst first", ""]
    if not cases:
        lines.append("No conflicts.")
    for n, c in enumerate(cases, 1):
        lines += _case_md(n, c)
    return "\n".join(lines).rstrip() + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
:root { --high: #b00020; --medium: #b45309; --low: #4b5563; --warning: #1d4ed8; }
body { font: 16px/1.5 Georgia, 'Times New Roman', serif; color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 0 0 .5rem; }
.meta { color: #444; font-size: .95rem; } .meta code { font-size: .85rem; word-break: break-all; }
table { border-collapse: collapse; margin: .8rem 0; } th, td { border: 1px solid #ccc; padding: .3rem .7rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } caption { text-align: left; font-weight: bold; padding-bottom: .3rem; } td.n { text-align: right; }
.sev { display: inline-block; color: #fff; font: bold .8rem/1.6 Arial, sans-serif; padding: 0 .5rem; border-radius: .25rem; text-transform: uppercase; }
.sev.high { background: var(--high); } .sev.medium { background: var(--medium); } .sev.low { background: var(--low); }
.sev.warning { background: var(--warning); }
.case { border: 1px solid #ccc; border-left: .4rem solid var(--low); padding: .8rem 1rem; margin: 1rem 0; page-break-inside: avoid; }
.case.high { border-left-color: var(--high); } .case.medium { border-left-color: var(--medium); }
.case.warning { border-left-color: var(--warning); }
ol.path { margin: .3rem 0; padding-left: 1.5rem; } ol.path li { margin: .1rem 0; }
.rel { color: #555; font-style: italic; } code { font-family: Menlo, Consolas, monospace; font-size: .9rem; }
dl { display: grid; grid-template-columns: 10rem 1fr; gap: .2rem 1rem; margin: .5rem 0; } dt { font-weight: bold; }
.suspected { font: bold .8rem/1.6 Arial, sans-serif; color: #7c2d12; background: #ffedd5; padding: 0 .4rem; border-radius: .25rem; }
.gate { padding: .5rem 1rem; background: #f7f7f7; border: 1px solid #ddd; }
@media print { body { margin: 0; } }
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _sev(severity: str) -> str:
    return f'<span class="sev {_e(severity)}">{_e(severity)}</span>'


def html_report(doc: dict, cases: list[dict], policy: lic.Policy, generated: str | None = None) -> str:
    s = summary(doc, cases)
    generated = generated or _now()
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>License audit report</title>', f'<style>{_CSS}</style></head><body>',
           '<h1>License audit report</h1>',
           f'<p class="meta">Policy: <code>{_e(policy.source)}</code><br>'
           f'Policy SHA-256: <code>{_e(policy.sha256)}</code><br>Generated {_e(generated)} by hflineage</p>',
           f'<p class="gate">Gate: conflicts of severity <b>{_e(s["fail_on"])}</b> or higher fail the audit. '
           f'<b>{s["failing"]}</b> conflict(s) fail it.</p>',
           *([f'<p class="gate">Suspected lineage: included, suspected bases of score {_e(doc["suspected_min_score"])} '
              'or more (<code>hflineage chart</code>); findings marked <span class="suspected">suspected lineage</span> '
              'are suspected, not declared.</p>'] if doc.get("suspected_min_score") is not None else []),
           '<h2>Summary</h2>',
           f'<p>{s["checked"]} model(s) checked; {s["models_with_conflicts"]} with conflicts; '
           f'{s["conflicts"]} conflict(s) in all.'
           + (f' Not in the graph (ignored): {_e(", ".join(s["unknown"]))}.' if s["unknown"] else "") + '</p>',
           '<table><caption>Conflicts by severity</caption><tr><th>Severity</th><th>Conflicts</th></tr>']
    out += [f'<tr><td>{_sev(sev)}</td><td class="n">{n}</td></tr>' for sev, n in s["counts"].items()]
    out += ['</table>', '<table><caption>Conflicts by license pair</caption><tr><th>Ancestor or training-data license</th>'
            '<th>Model license</th><th>Conflicts</th><th>Worst</th></tr>']
    out += [f'<tr><td>{_e(p["ancestor_license"])}</td><td>{_e(p["model_license"])}</td>'
            f'<td class="n">{p["conflicts"]}</td><td>{_sev(p["worst"])}</td></tr>' for p in s["pairs"]]
    if not s["pairs"]:
        out.append('<tr><td colspan="4">No conflicts.</td></tr>')
    out += ['</table>', '<h2>Conflicts, worst first</h2>']
    if not cases:
        out.append('<p>No conflicts.</p>')
    for n, c in enumerate(cases, 1):
        out += _case_html(n, c)
    out.append('</body></html>')
    return "\n".join(out) + "\n"


def _hop_html(hop: dict) -> str:
    if hop.get("suspected"):
        return (f'<li><code>{_e(hop["id"])}</code> — {_e(_license_text(hop["license"]))} '
                f'<span class="rel">has the suspected base (score {_e(_score(hop["score"]))}; suspected, '
                'not declared)</span></li>')
    if hop.get("dataset"):
        return (f'<li><code>{_e(hop["id"])}</code> — dataset, {_e(_license_text(hop["license"]))} '
                '<span class="rel">is training data of</span></li>')
    if "dataset" in hop:  # a training-data path runs downwards: base to derived
        rel = f' <span class="rel">is the base of ({_e(hop["relation"])})</span>' if hop["relation"] else ""
    else:
        rel = f' <span class="rel">is a {_e(hop["relation"])} of</span>' if hop["relation"] else ""
    return f'<li><code>{_e(hop["id"])}</code> — {_e(_license_text(hop["license"]))}{rel}</li>'


def _license_text(label: str) -> str:
    return label if label in (_NONE, "no license known") else f"license {label}"


def _case_html(n: int, c: dict) -> list[str]:
    path = "".join(_hop_html(hop) for hop in c["path"])
    rules = "".join(f'<li><b>{_e(r["obligation"])}</b> ({_e(r["severity"])}): {_e(r["description"])}. '
                    f'Policy rule: {_e(r["rule"])}.</li>' for r in c["rules"])
    if c["kind"] == SUSPECTED:
        under = (f'<code>{_e(c["ancestor"])}</code> ({_e(c["ancestor_license_label"])}), '
                 '<span class="suspected">suspected lineage</span>')
        evidence = "".join(f"<li><code>{_e(e)}</code></li>" for e in c["evidence"]) or "<li>none recorded</li>"
        where = (f'<dt>Suspected, not declared</dt><dd>The model declares no base; <code>hflineage chart</code> '
                 f'suspects <code>{_e(c["suspected_base"])}</code> (score {_e(_score(c["score"]))}). '
                 f'Evidence:<ul>{evidence}</ul></dd>'
                 f'<dt>Suspected lineage path</dt><dd>Distance {c["distance"]}: the suspected edge, then the '
                 f'declared path from the suspected base up to the ancestor:<ol class="path">{path}</ol></dd>')
    elif c["kind"] == TRAINING:
        under = f'training data <code>{_e(c["dataset"])}</code> ({_e(c["dataset_license_label"])})'
        where = (f'<dt>Evidence path</dt><dd>From the dataset to the model trained on it and down to the model '
                 f'audited (distance {c["distance"]}):<ol class="path">{path}</ol></dd>')
    else:
        under = f'<code>{_e(c["ancestor"])}</code> ({_e(c["ancestor_license_label"])})'
        where = (f'<dt>Lineage path</dt><dd>{c["distance"]} hop(s) from the model up to the ancestor:'
                 f'<ol class="path">{path}</ol></dd>')
    return [f'<section class="case {_e(c["severity"])}">',
            f'<h3>{n}. {_sev(c["severity"])} <code>{_e(c["model"])}</code> ({_e(c["model_license"])}) under {under}</h3>',
            '<dl>',
            f'<dt>Why</dt><dd>{_e(c["reason"])}</dd>',
            f'<dt>Severity</dt><dd>{_sev(c["severity"])} {_e(c["why"])}</dd>',
            f'<dt>Obligations dropped</dt><dd><ul>{rules}</ul></dd>' if rules else "",
            where,
            '</dl></section>']


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
