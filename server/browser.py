"""Neo4j Browser, ready on first connect: our stored queries as a Browser guide, a graph style,
and a favourites archive.

The local server serves the guide itself, from its own origin, so no other host and no CORS
setting is needed. Neo4j 5.26 serves ``/browser`` from ``<home>/web/neo4j-browser.zip`` when
that folder exists (the server's ``internal.dbms.web_dir_path``, default ``web`` under the home;
the archive name must match ``neo4j-browser[-<date>+<n>].zip``), and from the neo4j-browser jar
on the classpath otherwise. ``db start`` therefore writes that archive: the Browser's files from
the jar plus ``browser/hflineage/guide.html`` and ``browser/hflineage/hflineage.grass``, so the
Browser at ``http://127.0.0.1:<port>/browser/`` finds them at ``/browser/hflineage/…``.
``browser.post_connect_cmd`` (neo4j.conf) runs ``:style`` and ``:play`` on them after login;
``browser.remote_content_hostname_whitelist`` lets the Browser fetch from 127.0.0.1/localhost.

The guide is Browser's HTML guide format: one ``<slide>`` per question, ``<pre class="runnable">``
blocks that the Browser turns into click-to-run code (the ``:param`` line first, then the stored
query's text unchanged). Nothing here builds Cypher from user input: the queries are the files in
``cypher/``, the example values are JSON literals in ``:param`` lines.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import zipfile
from pathlib import Path

from ..cypher import StoredQuery, registry
from ..store.relations import EDGE_TYPE

GUIDE_DIR = "hflineage"
GUIDE_FILE = "guide.html"
GRASS_FILE = "hflineage.grass"
ARCHIVE = "neo4j-browser.zip"
# a model of the real hub-stats sample that has a base and derived models
EXAMPLE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"

# (stored query, the question it answers); one slide each, in this order
QUESTIONS = [
    ("lineage_paths", "Draw the lineage", "Its bases up to the roots and its most downloaded derived "
     "models, as a graph: models blue and captioned by id, placeholders (bases no row describes) pale grey, "
     "edges coloured by relation."),
    ("show", "Show a model", "Properties, bases with relation, the Hub-style model tree, descendants, depth."),
    ("chain", "Its longest chain", "Depth and the longest path up to a root, hop by hop, and every root it reaches."),
    ("impact_one", "What would deleting it break?", "Derived and downstream models, orphans, merges losing "
     "a parent, downstream downloads, disrupted chains (`hflineage impact`)."),
    ("license_lineage", "Which licenses does it inherit?", "Every ancestor's license with its distance and "
     "path (`hflineage license` adds the policy and the conflicts)."),
    ("stats_relation_mix", "Relation mix of the whole graph", "Edges by relation, declared and inferred."),
    ("chart_suspected", "Suspected bases (not declared)", "For a model that declares no base: the bases "
     "`hflineage chart` suspects from metadata, best first, each with its calibrated score, guessed relation "
     "and the evidence that fired. Run `hflineage chart` first; suggestions are SUSPECTED_BASE edges, never "
     "part of the declared lineage. `hflineage chart --list` lists every model's best."),
]
# pages with several stored queries (title, what the page is about as HTML, [(stored query, what it
# shows)]), after the one-query slides
PAGES = [
    ("Training datasets", "The datasets models were trained on (<code>TRAINED_ON</code>, from "
     "<code>cardData.datasets</code> and <code>dataset:</code> tags) and how far they reach. A dataset's license "
     "is known once a datasets file was loaded (<code>hflineage load --datasets FILE</code>); the others show "
     "<code>described</code> false. Datasets are drawn vermillion.",
     [("model_datasets", "The datasets of a model and of its ancestors, with their licenses"),
      ("dataset_reach_paths", "The reach of a dataset: the models trained on it and their downstream, as a graph"),
      ("dataset_reach", "The same reach counted: trained models, downstream models, downloads, families")]),
]
# the example model of a question that the default example cannot answer: a model of the sample
# that declares no base, and for which `hflineage chart` suspects one; a model of the sample whose
# lineage names datasets (its own and its ancestors')
EXAMPLE_FOR = {"chart_suspected": "Josephgflowers/Cinder-Phi-2-V1-F16-gguf",
               "model_datasets": "mlabonne/NeuralDaredevil-8B-abliterated"}
# a dataset of the sample: 14 models trained on it, 22 models reached (a graph the Browser draws legibly)
EXAMPLE_DATASET = "WizardLM/WizardLM_evol_instruct_V2_196k"
# parameters whose example is no model (``ids`` is a list of models elsewhere)
EXAMPLE_PARAMS = {"dataset_reach": {"ids": [EXAMPLE_DATASET]},
                  "dataset_reach_paths": {"dataset_id": EXAMPLE_DATASET},
                  "dataset": {"dataset_id": EXAMPLE_DATASET}}
# stored queries of later features join the guide when they exist (e.g. snapshot changes)
OPTIONAL_PREFIXES = ("changes",)

# Okabe–Ito, the same colours as `hflineage graph`
EDGE_COLOURS = {"adapter": "#E69F00", "finetune": "#0072B2", "quantized": "#009E73", "merge": "#CC79A7"}
DATASET_COLOUR, DATASET_BORDER = "#D55E00", "#A34A00"  # Okabe–Ito vermillion: no relation's colour


def grass() -> str:
    """The Browser graph style: a Model captioned by its id, Missing set apart, a Dataset vermillion
    and captioned by its id, typed edges coloured."""
    rules = [
        "node {\n  diameter: 50px;\n  color: #A5ABB6;\n  border-color: #9AA1AC;\n  border-width: 2px;\n"
        "  text-color-internal: #FFFFFF;\n  font-size: 10px;\n}",
        "relationship {\n  color: #A5ABB6;\n  shaft-width: 2px;\n  font-size: 8px;\n  padding: 3px;\n"
        "  text-color-external: #000000;\n  text-color-internal: #FFFFFF;\n  caption: '<type>';\n}",
        "node.Model {\n  diameter: 80px;\n  color: #4C8EDA;\n  border-color: #2870C2;\n"
        "  text-color-internal: #FFFFFF;\n  caption: '{id}';\n}",
        # after node.Model: a placeholder carries both labels and the later rule wins
        "node.Missing {\n  diameter: 65px;\n  color: #F2F2F2;\n  border-color: #8C8C8C;\n  border-width: 3px;\n"
        "  text-color-internal: #555555;\n  caption: '{id}';\n}",
    ]
    # training data beside the lineage: its own colour for the node and the edge into it; larger than a
    # model, as the hub a reach graph is drawn around, with room for more of its id
    rules.append(f"node.Dataset {{\n  diameter: 90px;\n  color: {DATASET_COLOUR};\n  border-color: {DATASET_BORDER};\n"
                 "  text-color-internal: #FFFFFF;\n  caption: '{id}';\n}")
    rules.append(f"relationship.TRAINED_ON {{\n  color: {DATASET_COLOUR};\n  shaft-width: 2px;\n  caption: '<type>';\n}}")
    # a suspicion, not lineage: grey and thin beside the coloured declared edges
    rules.append("relationship.SUSPECTED_BASE {\n  color: #A5ABB6;\n  shaft-width: 1px;\n  caption: '{score}';\n}")
    for relation, edge_type in EDGE_TYPE.items():
        rules.append(f"relationship.{edge_type} {{\n  color: {EDGE_COLOURS[relation]};\n  shaft-width: 3px;\n"
                     f"  caption: '<type>';\n}}")
    return "\n".join(rules) + "\n"


_EXAMPLE = re.compile(r"e\.g\.\s*(\[[^\]]*\]|\"[^\"]*\"|-?\d+(?:\.\d+)?)")


def example_params(query: StoredQuery, model_id: str = EXAMPLE_MODEL) -> dict[str, object] | None:
    """Example values for a query's parameters (the model for ``model_id``, else the header's
    ``e.g.``), or None when a parameter has no example."""
    values: dict[str, object] = {}
    for name, description in query.params.items():
        if name in EXAMPLE_PARAMS.get(query.name, {}):
            values[name] = EXAMPLE_PARAMS[query.name][name]
        elif name == "model_id":
            values[name] = model_id
        elif name in ("ids", "model_ids"):
            values[name] = [model_id]
        else:
            match = _EXAMPLE.search(description)
            if match is None:
                return None
            values[name] = json.loads(match.group(1))
    return values


def _example_for(query: StoredQuery, model_id: str) -> str:
    return EXAMPLE_FOR.get(query.name, model_id) if model_id == EXAMPLE_MODEL else model_id


def param_lines(values: dict[str, object]) -> list[str]:
    """Browser ``:param`` lines (the value is a JSON literal, valid Cypher for these types)."""
    return [f":param {name} => {json.dumps(value, ensure_ascii=False)}" for name, value in values.items()]


def guide_queries() -> list[tuple[StoredQuery, str, str]]:
    reg = registry()
    chosen = [(reg.get(name), title, text) for name, title, text in QUESTIONS]
    names = {q.name for q, _, _ in chosen}
    for q in reg:
        if q.read_only and q.name.startswith(OPTIONAL_PREFIXES) and q.name not in names:
            chosen.append((q, q.name.replace("_", " ").capitalize(), q.description))
    return chosen


def guide_pages() -> list[tuple[str, str, list[tuple[StoredQuery, str]]]]:
    reg = registry()
    return [(title, text, [(reg.get(name), caption) for name, caption in examples])
            for title, text, examples in PAGES]


def _pre(text: str) -> str:
    return f'<pre class="runnable">{html.escape(text)}</pre>'


def _example(q: StoredQuery, model_id: str) -> str:
    """A stored query as the guide shows it: what it answers, its ``:param`` block, its text."""
    values = example_params(q, _example_for(q, model_id))
    params = _pre("\n".join(param_lines(values))) if values else ""
    return (f"<p class=\"hflineage-query\">Stored query <code>{q.name}</code>: {html.escape(q.description)}</p>"
            f"{params}{_pre(q.text.strip())}")


def guide_html(model_id: str = EXAMPLE_MODEL, grass_url: str | None = None) -> str:
    """The Browser guide: a welcome slide, then one slide per question."""
    slides = []
    style = (f'<p>The graph style (models captioned by id, placeholders pale, datasets vermillion, edges '
             f'coloured by relation) was applied on connect; to apply it again: {_pre(":style " + grass_url)}</p>'
             ) if grass_url else ""
    items = "".join(f"<li>{html.escape(title)} <code>{q.name}</code></li>" for q, title, _ in guide_queries())
    items += "".join(f"<li>{html.escape(title)} " + ", ".join(f"<code>{q.name}</code>" for q, _ in examples) + "</li>"
                     for title, _, examples in guide_pages())
    slides.append(
        "<h3>hflineage: lineage of Hugging Face models</h3>"
        "<p>Each slide asks one question with a stored query of <code>hflineage</code> (the files in "
        "<code>cypher/</code>, unchanged). Click a grey block to copy it into the editor, or its "
        "&#9654; icon to run it. Set the parameter first: the <code>:param</code> block names "
        f"<code>{html.escape(model_id)}</code>; put any model id there.</p>"
        f"<ol>{items}</ol>{style}"
        "<p>The same queries are in the favourites archive <code>hflineage queries --export-browser "
        "FILE.zip</code> (drag it onto the Favorites drawer).</p>"
    )
    for q, title, text in guide_queries():
        slides.append(f"<h3>{html.escape(title)}</h3><p>{html.escape(text)}</p>{_example(q, model_id)}")
    for title, text, examples in guide_pages():
        slides.append(f"<h3>{html.escape(title)}</h3><p>{text}</p>" + "".join(
            f"<h4>{html.escape(caption)}</h4>{_example(q, model_id)}" for q, caption in examples))
    body = "\n".join(f'<slide class="row-fluid"><div class="col-sm-12">{s}</div></slide>' for s in slides)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>hflineage</title></head>\n"
            f"<body><article class=\"guide\"><carousel class=\"deck container-fluid\">\n{body}\n"
            "</carousel></article></body></html>\n")


def favorites_zip(path: str | os.PathLike, model_id: str = EXAMPLE_MODEL) -> list[str]:
    """Write a Browser favourites archive (folder ``hflineage/``, one ``.cypher`` file per stored
    read query, its ``:param`` lines first); returns the names written. The archive is written
    next to ``path`` and renamed into place, so a failure leaves nothing."""
    path = Path(path)
    names = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for q in registry():
            if not q.read_only or "/" in q.name:
                continue
            values = example_params(q, _example_for(q, model_id))
            lines = [f"// hflineage {q.name}", f"// {q.description}"]
            if values:
                lines += [line + ";" for line in param_lines(values)]
            else:
                lines += [f"// set ${name} first: {desc}" for name, desc in q.params.items()]
            lines.append(q.text.strip())
            name = f"{GUIDE_DIR}/{q.name}.cypher"
            z.writestr(name, "\n".join(lines) + "\n")
            names.append(name)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, path)
    return names


def browser_files(http_port: int, model_id: str = EXAMPLE_MODEL) -> dict[str, str]:
    """The files served under ``/browser/hflineage/``."""
    base = f"http://127.0.0.1:{http_port}/browser/{GUIDE_DIR}"
    return {GUIDE_FILE: guide_html(model_id, grass_url=f"{base}/{GRASS_FILE}"), GRASS_FILE: grass()}


def urls(http_port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{http_port}/browser/{GUIDE_DIR}"
    return {"guide": f"{base}/{GUIDE_FILE}", "grass": f"{base}/{GRASS_FILE}"}


def install(home: Path, browser_jar: Path, http_port: int) -> Path:
    """Write ``<home>/web/neo4j-browser.zip`` (the Browser from ``browser_jar`` plus our files)
    unless the one there was built from the same inputs; returns its path."""
    files = browser_files(http_port)
    digest = hashlib.sha256()
    digest.update(str(browser_jar.resolve()).encode() + str(browser_jar.stat().st_size).encode())
    for name, text in sorted(files.items()):
        digest.update(name.encode() + b"\0" + text.encode("utf-8"))
    stamp = digest.hexdigest()
    web = home / "web"
    target, stamp_file = web / ARCHIVE, web / ".hflineage-stamp"
    if target.is_file() and stamp_file.is_file() and stamp_file.read_text().strip() == stamp:
        return target
    web.mkdir(parents=True, exist_ok=True)
    tmp = web / f".{ARCHIVE}.tmp"  # not matched by the server's neo4j-browser*.zip pattern
    with zipfile.ZipFile(browser_jar) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        # the server serves the folder named by the archive's first entry
        out.writestr("browser/", "")
        for info in src.infolist():
            if info.filename.startswith("browser/") and info.filename != "browser/":
                out.writestr(info, src.read(info))
        out.writestr(f"browser/{GUIDE_DIR}/", "")
        for name, text in files.items():
            out.writestr(f"browser/{GUIDE_DIR}/{name}", text)
    os.replace(tmp, target)
    stamp_file.write_text(stamp + "\n")
    return target
