"""One output path for every command: table, json or csv, chosen once by ``--format``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys

import click

from ..api import visible


def format_option(fn):
    """Add ``--format table|json|csv`` to a command (as the ``fmt`` argument)."""
    return click.option(
        "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
        show_default=True, help="Output format; json prints one document on stdout and nothing else.",
    )(fn)


def _default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "iso_format"):  # neo4j.time types
        return value.iso_format()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    from neo4j.graph import Node, Path  # only a raw query's nodes and paths get here

    if isinstance(value, Path):  # queries written for Browser's graph view (lineage_paths)
        return {"nodes": [dict(n) for n in value.nodes],
                "relationships": [{"start": r.start_node["id"], "type": r.type, "end": r.end_node["id"], **dict(r)}
                                  for r in value.relationships]}
    if isinstance(value, Node):
        return dict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(document) -> str:
    return json.dumps(document, default=_default, ensure_ascii=False, indent=2)


def printable(text: str, newlines: bool = False) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\u202e``): text from the
    graph (ids are anybody's) must not drive the terminal; ``newlines``: keep line breaks (a
    multi-line text view), else they are escaped too. JSON and CSV keep the exact values."""
    return visible(text, newlines=newlines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_default, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.6g}"
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)


def rows_table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])
    cells = [[printable(_cell(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(out)


# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_SAFE_ENV = "HFLINEAGE_CSV_SAFE"


def csv_safe() -> bool:
    """Whether ``--csv-safe`` (or ``HFLINEAGE_CSV_SAFE=1``) was given to this command line."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get("csv_safe"))


def _safe_cell(value, text: str) -> str:
    """Safe mode: text that a spreadsheet would run as a formula gets a leading ``'``, which
    spreadsheets show as text; numbers stay numbers (``-3`` is a value, not a formula)."""
    if isinstance(value, (int, float)) or not text.startswith(FORMULA_START):
        return text
    return "'" + text


def rows_csv(rows: list[dict], columns: list[str] | None = None, safe: bool | None = None) -> str:
    """The rows as CSV, every value exact; ``safe`` (default: the command line's ``--csv-safe``):
    cells that start with ``= + - @``, a tab or a carriage return get a leading ``'``."""
    safe = csv_safe() if safe is None else safe
    buf = io.StringIO()
    columns = columns or (list(rows[0]) if rows else [])
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        cells = [(r.get(c), _cell(r.get(c))) for c in columns]
        writer.writerow([_safe_cell(v, t) if safe else t for v, t in cells])
    return buf.getvalue().rstrip("\n")


def emit(fmt: str, document, rows: list[dict] | None = None, text: str | None = None,
         columns: list[str] | None = None) -> None:
    """Print ``document`` as json, ``rows`` as table/csv (or ``text`` as the table view)."""
    if fmt == "json":
        click.echo(to_json(document))
        return
    if rows is None:
        rows = document if isinstance(document, list) else [document]
    if fmt == "csv":
        click.echo(rows_csv(rows, columns))
    else:
        click.echo(printable(text, newlines=True) if text is not None else rows_table(rows, columns))


def close_progress_bars() -> None:
    """Close every open progress bar and clear its line, so that an error printed next stands
    alone (a bar left open would stay on screen, the error glued to its end, and draw itself once
    more when the process exits)."""
    from tqdm import tqdm

    for bar in list(getattr(tqdm, "_instances", ())):
        bar.leave = False
        bar.close()


def warn(message: str) -> None:
    click.echo(printable(message, newlines=True), file=sys.stderr)


SHOWN_UNKNOWN = 5  # unknown ids named on the one warning line


def warn_unknown(unknown: list[str], list_all: bool, how_to_list: str) -> None:
    """Ids not in the graph: one line with their count and the first few (a file of a million
    ids must not become one enormous line), or, with ``list_all``, that line and then every id
    on its own line. ``how_to_list`` tells how to see them all."""
    if not unknown:
        return
    if list_all:
        warn(f"unknown (ignored): {len(unknown)} id(s)")
        for model_id in unknown:
            warn(f"  {printable(model_id)}")
        return
    shown = ", ".join(printable(i) for i in unknown[:SHOWN_UNKNOWN])
    more = (f", … and {len(unknown) - SHOWN_UNKNOWN} more, {len(unknown)} in all ({how_to_list})"
            if len(unknown) > SHOWN_UNKNOWN else "")
    warn(f"unknown (ignored): {shown}{more}")
