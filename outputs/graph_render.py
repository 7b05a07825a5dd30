"""Draw a LineageGraph: Graphviz ``dot`` lays it out; SVG and PNG come straight from dot, the
HTML page inlines the SVG with a small pan/zoom/click script shipped in ``loader/assets/`` (no
network at view time, no JavaScript library).

Bases sit above the models derived from them (edges run base → derived, ranked top to bottom).
Edges are coloured by relation, one colour per transformation type as in seed 002's Fig. 1
(which names no palette; ours is Okabe–Ito, readable with colour-blindness). Box size grows with
log downloads, placeholders (``:Missing``) are dashed and grey, the model asked about is gold,
and a model whose derived models or bases are not all drawn says "+k more".
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from ..store.errors import InputError, RenderError
from .files import check_target, write_atomic
from .graph_view import LineageGraph
from ..store.relations import RELATIONS
from .text import visible

COLOURS = {"adapter": "#E69F00", "finetune": "#0072B2", "quantized": "#009E73", "merge": "#CC79A7"}
assert tuple(COLOURS) == RELATIONS
FORMATS = ("svg", "html", "png")
FONT = "DejaVu Sans"
STAGGER = 5  # rows over which the leaves under one model are spread


def human(n: int | None) -> str:
    """1234567 -> '1.2M' (downloads in labels)."""
    if n is None:
        return "0"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + unit
    return str(n)


def _q(text: str) -> str:
    """A DOT double-quoted string; control characters as visible escapes (Graphviz and the SVG's
    XML cannot hold them), line breaks kept as DOT's."""
    text = visible(text, newlines=True)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: str) -> str:
    """Text inside a DOT HTML-like label: control characters as visible escapes, markup escaped."""
    return html.escape(visible(text))


def _tooltip(n: dict) -> str:
    lines = [n["id"]]
    if n["missing"]:
        lines.append("placeholder: referenced as a base, not in the dump")
    else:
        lines += [f"license: {n['license'] or '(none)'}", f"downloads: {n['downloads']:,}"]
        if n["pipeline_tag"]:
            lines.append(f"pipeline: {n['pipeline_tag']}")
    if n["hidden_children"]:
        lines.append(f"+{n['hidden_children']} derived models not drawn")
    if n["hidden_bases"]:
        lines.append(f"+{n['hidden_bases']} bases not drawn")
    return "\n".join(lines)


def to_dot(g: LineageGraph) -> str:
    """The DOT text of a lineage drawing (node ``n<i>`` is ``g.nodes[i]``)."""
    index = {n["id"]: i for i, n in enumerate(g.nodes)}
    out = [
        "digraph lineage {",
        f'  graph [rankdir=TB, bgcolor="white", fontname={_q(FONT)}, nodesep=0.25, ranksep=0.55, '
        f'tooltip={_q("lineage of " + g.id)}, labelloc=b, fontsize=11, label=<{_legend(g)}>];',
        f'  node [shape=box, style="rounded,filled", fontname={_q(FONT)}, color="#56616b", '
        f'fillcolor="#eef2f6", penwidth=1.2, margin="0.12,0.05"];',
        '  edge [penwidth=1.8, arrowsize=0.7];',
    ]
    for i, n in enumerate(g.nodes):
        scale = min(1.0, math.log10(1 + (n["downloads"] or 0)) / 7)  # 10M downloads: full size
        size = 10 + 7 * scale
        sub = "placeholder (not in the dump)" if n["missing"] else \
            f"{n['license'] or 'no license'} · {human(n['downloads'])} ↓"
        lines = [f"<B>{_h(n['id'])}</B>", f'<FONT POINT-SIZE="{max(8.5, size * 0.72):.1f}" COLOR="#4a545c">{_h(sub)}</FONT>']
        more = []
        if n["hidden_children"]:
            more.append(f"+{n['hidden_children']:,} more derived")
        if n["hidden_bases"]:
            more.append(f"+{n['hidden_bases']:,} more bases")
        if more:
            lines.append(f'<FONT POINT-SIZE="{max(8.5, size * 0.72):.1f}" COLOR="#a3361f">{html.escape(", ".join(more))}</FONT>')
        attrs = [f'id="n{i}"', f"label=<{'<BR/>'.join(lines)}>", f"tooltip={_q(_tooltip(n))}",
                 f"fontsize={size:.1f}", f"height={0.35 + 0.35 * scale:.2f}", f"width={1.0 + 1.2 * scale:.2f}"]
        if n["role"] == "focus":
            attrs += ['fillcolor="#ffd54f"', 'color="#8a6d00"', "penwidth=3"]
        if n["missing"]:
            attrs += ['style="rounded,dashed,filled"', 'fillcolor="#f7f7f7"', 'color="#8c8c8c"', 'fontcolor="#666666"']
        out.append(f"  n{i} [{', '.join(attrs)}];")
    for e in g.edges:
        colour = COLOURS.get(e["relation"], "#888888")
        tip = f"{e['child']} is a {e['relation']} of {e['base']}"
        out.append(f"  n{index[e['base']]} -> n{index[e['child']]} "
                   f"[color={_q(colour)}, tooltip={_q(tip)}, class={_q('rel-' + e['relation'])}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _legend(g: LineageGraph) -> str:
    cells = "".join(f'<TD><FONT COLOR="{c}"><B>━━</B></FONT> {r}</TD>' for r, c in COLOURS.items())
    note = (f"lineage of {_h(g.id)}: {len(g.nodes)} models, {len(g.edges)} edges"
            + (f", +{g.hidden_children:,} derived models not drawn" if g.hidden_children else ""))
    return (f'<TABLE BORDER="0" CELLSPACING="4"><TR>{cells}</TR>'
            f'<TR><TD COLSPAN="2">dashed: placeholder</TD><TD COLSPAN="2">gold: the model asked about</TD></TR>'
            f'<TR><TD COLSPAN="4"><FONT COLOR="#4a545c">{note}; box size: downloads</FONT></TD></TR></TABLE>')


def _dot(dot_text: str, fmt: str) -> bytes:
    exe, unflatten = shutil.which("dot"), shutil.which("unflatten")
    if exe is None or unflatten is None:
        raise RenderError("Graphviz 'dot' is not installed", hint="apt-get install graphviz, or `make setup`")
    # a base with dozens of derived models would make one very wide row: unflatten staggers
    # the leaves under a node over several rows, so the drawing stays readable
    staggered = subprocess.run([unflatten, "-f", "-l", str(STAGGER)], input=dot_text.encode("utf-8"),
                               capture_output=True)
    if staggered.returncode != 0:
        raise RenderError(f"unflatten failed: {staggered.stderr.decode('utf-8', 'replace').strip()}")
    args = [exe, f"-T{fmt}"] + (["-Gdpi=110"] if fmt == "png" else [])
    proc = subprocess.run(args, input=staggered.stdout, capture_output=True)
    if proc.returncode != 0:
        raise RenderError(f"dot failed: {proc.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:]}")
    return proc.stdout


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


_PLACEHOLDER = re.compile(r"\{\{(title|style|svg|data|script)\}\}")


def json_for_script(document) -> str:
    """JSON that is safe as the text of a ``<script>`` element: ``<``, ``>`` and ``&`` as \\u
    escapes, so no value can close the element or open a comment (``</script>``, ``<!--``), and
    U+2028/U+2029 escaped too, which old JavaScript parsers take for line breaks."""
    text = json.dumps(document, ensure_ascii=False)
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def fill(template: str, values: dict[str, str]) -> str:
    """The template with each ``{{name}}`` replaced in one pass: a value is never searched for
    placeholders, so text inside the data (an id like ``{{script}}``) stays text."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def to_html(g: LineageGraph) -> str:
    """A self-contained page: the SVG inline, the data as JSON, the viewer script and style."""
    svg = _dot(to_dot(g), "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: invalid inside HTML
    return fill(_asset("graph_view.html"), {
        "title": html.escape(f"Lineage of {g.id}"),
        "style": _asset("graph_view.css"),
        "svg": svg,
        "data": json_for_script(g.to_dict()),
        "script": _asset("graph_view.js"),
    })


def render_bytes(g: LineageGraph, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(g).encode("utf-8")
    if fmt in ("svg", "png"):
        return _dot(to_dot(g), fmt)
    raise InputError(f"unknown picture format '{fmt}' (use one of {', '.join(FORMATS)})")


def format_of(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"--out {path}: the file name must end in .svg, .html or .png")
    return suffix


def write(g: LineageGraph, path: str | os.PathLike) -> Path:
    """Render ``g`` into ``path`` (format by its suffix), atomically: a failure leaves nothing,
    and a target that is not a regular file (a device, a FIFO, a symlink) is refused."""
    path = Path(path)
    if not path.parent.is_dir():
        raise RenderError(f"--out {path}: the folder {path.parent} does not exist")
    check_target(path)
    write_atomic(path, render_bytes(g, format_of(path)))
    return path
