"""`hflineage changes`: what moved between snapshot loads (seed 003, RQ2 §2.1-2.2)."""

from __future__ import annotations

import datetime as dt

import click

from ..api import LIST_KINDS, flatten

from .context import pass_ctx
from .output import emit, format_option, rows_table


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


# the interval table's rows: (label, path in the interval document)
FIGURES = [
    ("models before", ("models", "previous")), ("models after", ("models", "current")),
    *((f"{kind} {cls}", (kind, cls)) for kind in ("added", "deleted", "updated", "rebased")
      for cls in ("total", "isolated", "derived", "finetune", "adapter", "quantized", "merge", "base", "relational")),
    ("added in new families", ("in_new_families",)), ("added in existing families", ("in_existing_families",)),
    ("new chains", ("new_chains",)), ("deleted chains", ("deleted_chains",)),
    ("new families", ("new_families",)), ("deleted families", ("deleted_families",)),
    *((f"impact: {k.replace('_', ' ')}", ("deletion_impact", k)) for k in (
        "deleted_base_models", "affected_derived", "affected_downstream", "orphaned", "merges_losing_parent",
        "downstream_downloads", "downstream_downloads_all_time", "disrupted_chains", "disrupted_families")),
    ("added in top-10 families", ("added_in_top",)), ("deleted from top-10 families", ("deleted_in_top",)),
    ("gained a new_version", ("new_version", "total")),
]


def _get(doc, path):
    """The figure at ``path``, or "-" when the interval was recorded before the figure existed."""
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return "-"
        doc = doc[key]
    return doc


def _figure(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _text(result) -> str:
    if not result.snapshots:
        return "no snapshot stored (hflineage load FILE --snapshot)"
    parts = ["snapshots: " + ", ".join(f"{s['date']} ({s['models']:,} models)" for s in result.snapshots)]
    if result.intervals:
        heads = [f"{i['from'] or 'before'} -> {i['to']}" for i in result.intervals]
        rows = [{"figure": label, **{h: _figure(_get(i, path)) for h, i in zip(heads, result.intervals)}}
                for label, path in FIGURES]
        parts.append(rows_table(rows, ["figure", *heads]))
        last = result.intervals[-1]
        parts.append(f"top-10 families of {last['to']} (added: in this interval; previous size: {last['from']}):\n"
                     + rows_table(last["top_families"], ["rank", "family", "size", "added", "previous_size"]))
    top = result.top_families
    if top["families"]:
        parts.append(f"top-10 families, {top['first']} against {top['last']}:\n" + rows_table(top["families"]))
    return "\n\n".join(parts)


@click.command("changes")
@click.option("--since", callback=_date, help="First snapshot date to include (YYYY-MM-DD).")
@click.option("--until", callback=_date, help="Last snapshot date to include (YYYY-MM-DD).")
@click.option("--list", "kind", type=click.Choice(LIST_KINDS),
              help="List the models of one interval that were added, deleted, updated or rebased.")
@click.option("--deleted-impact", is_flag=True,
              help="For one interval: each deleted base model with its affected downstream models and their "
                   "downloads, largest first.")
@click.option("--week", callback=_date, help="The interval ending on this snapshot date (default: the latest).")
@format_option
@pass_ctx
def changes(ctx, since, until, kind, deleted_impact, week, fmt):
    """What changed between consecutive snapshot loads: models added, deleted, updated and rebased
    by class and relation, new and deleted chains and families, the observed deletion impact, and
    the top-10 families.

    --format json prints {snapshots, intervals, top_families}; --format csv one row per interval.

    Example:

        hflineage changes --since 2025-10-01 --format csv > weekly.csv

        hflineage changes --list deleted --week 2025-11-20

        hflineage changes --deleted-impact --format json
    """
    if kind and deleted_impact:
        raise click.UsageError("give --list or --deleted-impact, not both")
    if week and not (kind or deleted_impact):
        raise click.UsageError("--week goes with --list or --deleted-impact")
    if kind or deleted_impact:
        result = ctx.lineage.change_list(kind, week) if kind else ctx.lineage.deleted_impact(week)
        doc = result.to_dict()
        head = f"{doc['interval']['from'] or 'before'} -> {doc['interval']['to']}"
        title = f"{kind}: {len(doc['models']):,} models, {head}" if kind else \
            f"deleted base models, {head}: {len(doc['models']):,}"
        emit(fmt, doc, rows=doc["models"], text=title + "\n" + rows_table(doc["models"]))
        return
    result = ctx.lineage.changes(since, until)
    doc = result.to_dict()
    emit(fmt, doc, rows=[flatten(i) for i in doc["intervals"]], text=_text(result))


commands = [changes]
