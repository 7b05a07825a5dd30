"""``hflineage chart``: suspected bases for undeclared models, listed, and measured.

    hflineage chart [--top 5] [--min-score 0.05] [--seed 0]
    hflineage chart --list [--min-score S] [--format json|csv]
    hflineage chart evaluate FILE... [--component ID...] [--table2] [--seed N]
    hflineage chart evaluate FILE... --hide 0.2 [--seed N]

The work is in ``hflineage.chart``; this module parses, calls and formats.
"""

from __future__ import annotations

import click

from .. import api
from ..api import CHART_MIN_SCORE as MIN_SCORE, CHART_TOP as TOP

from .context import Context
from .output import emit, format_option, rows_table


@click.group("chart", invoke_without_command=True)
@click.option("--list", "list_", is_flag=True, help="List the stored suggestions (one row per model, its best) instead.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help=f"Charting: keep suggestions scored at least this [{MIN_SCORE}]; --list: list those [0].")
@click.option("--top", type=click.IntRange(1, 50), default=TOP, show_default=True, help="Suggestions kept per model.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fit's train/calibration split.")
@format_option
@click.pass_context
def chart(click_ctx, list_, min_score, top, seed, fmt):
    """Suggest bases for the models that declare none, from metadata alone, and store them as
    (:Model)-[:SUSPECTED_BASE {score, relation, evidence, method}]->(:Model), replacing the
    previous run's. Declared lineage, and every answer built on it, is untouched.

    The score is a calibrated probability (among suggestions scored about s, about a share s is
    right on the held-out evaluation); evidence names the signals that fired: the base's name
    inside the model's, author habits, parameter totals, architecture, library, pipeline tag,
    creation order, popularity. A model never gets itself, a placeholder, a quantized-looking
    model or one created after it.

    Example:

    \b
        hflineage chart
        hflineage chart --list --min-score 0.9 --format csv
        hflineage chart evaluate ../shared/data/hub_stats_sample.parquet --hide 0.2 --seed 0
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    if list_:
        rows = ctx.lineage.suspected(min_score=min_score or 0.0)
        emit(fmt, rows, rows=[{**r, "evidence": "; ".join(r["evidence"] or [])} for r in rows],
             columns=["id", "base", "score", "relation", "evidence"])
        return
    report = ctx.lineage.chart(seed=seed, top=top, min_score=MIN_SCORE if min_score is None else min_score)
    doc = report.to_dict()
    emit(fmt, doc, rows=[{"what": k, "value": v} for k, v in doc.items()])


@chart.command()
@click.argument("paths", metavar="FILE...", nargs=-1, required=True)
@click.option("--component", "component_ids", multiple=True, metavar="ID",
              help="Evaluate the connected component holding model ID (repeatable; default: the three largest).")
@click.option("--hide", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Instead: hide this share of all rows with a base and measure precision/recall on them.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the stem / hidden draw and of the fit.")
@click.option("--table2", is_flag=True, help="Print the paper's Table 2 (weight-based) beside.")
@format_option
def evaluate(paths, component_ids, hide, seed, table2, fmt):
    """Measure charting on files' declared bases (no server needed).

    Component protocol (seed 002, Table 2): in each component a seeded 10% of the models keep
    their bases (the stem), the rest are hidden and charted among the component's models;
    accuracy of the top suggestion, with Random, Majority and Price's model on the same split.

    --hide S: hide a seeded share S of every row with a base; per relation and overall:
    coverage, precision and recall at score thresholds, the recall at precision >= 0.9, and a
    calibration table (score bin -> observed precision).

    Example:

    \b
        hflineage chart evaluate ../shared/data/hub_stats_sample.parquet --table2
        hflineage chart evaluate a.parquet b.parquet --component deepseek-ai/DeepSeek-R1
        hflineage chart evaluate ../shared/data/hub_stats_sample.parquet --hide 0.2 --seed 0 --format json
    """
    doc = api.chart_evaluate(paths, component_ids, hide=hide, seed=seed, table2=table2)
    if hide is not None:
        emit(fmt, doc, text=_hidden_text(doc))
        return
    results = doc["components"]
    rows = [{"component": r["component"], "models": r["models"], "evaluated": r["evaluated"],
             "reachable": r["reachable"], **r["accuracy"]} for r in results]
    text = rows_table(rows)
    if table2:
        table = doc["table2"]
        paper = [{"method": k, **dict(zip(table["components"], v))} for k, v in table["accuracy"].items()]
        text += "\n\nTable 2 of the paper (accuracy %, from weights):\n" + rows_table(paper)
    emit(fmt, doc, rows=rows, text=text)


def _hidden_text(doc: dict) -> str:
    rows = []
    for name, g in doc["groups"].items():
        row = {"group": name, "hidden": g["hidden"], "reachable": g["reachable"], "coverage": g["coverage"]}
        for t, m in g["at"].items():
            row[f"P@{t}"] = m["precision"]
            row[f"R@{t}"] = m["recall"]
        row["R@P>=0.9"] = g["recall_at_precision_0.9"]["recall"]
        rows.append(row)
    head = f"hidden {doc['hidden']} of {doc['rows_with_base']} rows with a base (seed {doc['seed']})"
    return "\n".join([head, rows_table(rows), "", "calibration:", rows_table(doc["calibration"])])


commands = [chart]
