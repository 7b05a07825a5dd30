"""``hflineage impute``: fill a missing attribute from the lineage graph (kNN or hub vote).

Three command lines, one group:

    hflineage impute MODEL --attribute A [--k 5] [--method knn|hub]
    hflineage impute --all --attribute A --write [--method knn|hub] [--k 5]
    hflineage impute evaluate --attribute A [--holdout 0.2] [--seed S]

The group takes an optional MODEL argument *and* a subcommand, so ``ModelGroup`` (cli/groups.py) makes sure the
word ``evaluate`` in first place names the subcommand rather than a model. (A model whose id is
literally ``evaluate`` is reached by putting an option first: ``impute --attribute license evaluate``.)
The rules themselves (tie-breaking, stored property names) are in ``hflineage.loader.impute``.
"""

from __future__ import annotations

import click

from hflineage.loader import impute as lib

from .groups import ModelArgument, ModelGroup
from .output import emit, format_option, rows_table


def _attribute_option(fn):
    return click.option("--attribute", "attribute", metavar="A",
                        help="license, pipeline_tag, library_name, or a numeric property such as parameters.")(fn)


@click.group(cls=ModelGroup, invoke_without_command=True, options_metavar="[OPTIONS] [MODEL]",
             subcommand_metavar="| evaluate [OPTIONS]")
@click.argument("model_id", metavar="[MODEL]", required=False, cls=ModelArgument)
@_attribute_option
@click.option("--k", "k", type=click.IntRange(1, 1000), default=lib.DEFAULT_K, show_default=True,
              help="Neighbours that vote (knn only).")
@click.option("--method", type=click.Choice(lib.METHODS), default="knn", show_default=True,
              help="knn: the K nearest labelled models; hub: every labelled sibling.")
@click.option("--all", "all_models", is_flag=True, help="Every model that lacks the attribute (needs --write).")
@click.option("--write", is_flag=True, help="With --all: store <prop>_imputed, _method and _confidence.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=lib.BATCH, show_default=True,
              help="With --all: models per write transaction.")
@format_option
@click.pass_context
def impute(click_ctx, model_id, attribute, k, method, all_models, write, batch_size, fmt):
    """Predict a model's missing attribute from its lineage neighbours (kNN by hop count, or hub vote).

    Distance is the hop count in the undirected lineage graph; only declared values vote (never
    imputed ones). knn takes the K nearest (ties: smallest ids); a vote tie goes to the value whose
    nearest supporter is closest, then the smallest value; numbers are averaged. hub votes among
    all labelled siblings (models sharing a direct base). No labelled neighbour: prediction null.

    --all --write stores <prop>_imputed, <prop>_imputed_method and <prop>_imputed_confidence
    beside the declared property (never over it); a re-run skips models already imputed.

    Example:

    \b
        hflineage impute some-org/llama-finetune --attribute license --format json
        hflineage impute some-org/llama-finetune --attribute pipeline_tag --method hub
        hflineage impute --all --attribute license --write
        hflineage impute evaluate --attribute license --holdout 0.2 --seed 0
    """
    if click_ctx.invoked_subcommand is not None:
        return
    if attribute is None:
        raise click.UsageError("--attribute is required (license, pipeline_tag, library_name or a numeric property)")
    ctx = click_ctx.find_root().obj
    if all_models:
        if model_id is not None:
            raise click.UsageError("give either MODEL or --all, not both")
        if not write:
            raise click.UsageError("--all writes imputed values to the graph; pass --write to do it")
        report = ctx.lineage.impute_all(attribute, method=method, k=k, batch_size=batch_size).to_dict()
        _emit_all(fmt, report)
        return
    if model_id is None:
        raise click.UsageError("give a MODEL, --all --write, or the subcommand 'evaluate'")
    if write:
        raise click.UsageError("--write goes with --all; imputing one model only prints the prediction")
    _emit_one(fmt, ctx.lineage.impute(model_id, attribute, k=k, method=method).to_dict())


@impute.command()
@_attribute_option
@click.option("--holdout", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.2,
              show_default=True, help="Fraction of the declared values to hide.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the holdout draw.")
@format_option
@click.pass_context
def evaluate(click_ctx, attribute, holdout, seed, fmt):
    """Hide a seeded fraction of declared values, predict them, and score against the family majority.

    Methods: knn with K = 1, 3, 5 and hub; the baseline predicts the most common declared value
    (not hidden) in the model's family (weakly connected component). Categorical attributes are
    scored by accuracy (no prediction counts as wrong), numeric ones by mean absolute error. The
    table follows Table 1b of Horwitz et al., "Charting and Navigating Hugging Face's Model Atlas".
    Nothing is written to the graph.

    Example:

        hflineage impute evaluate --attribute license --holdout 0.2 --seed 0 --format json
    """
    if attribute is None:
        raise click.UsageError("--attribute is required (license, pipeline_tag, library_name or a numeric property)")
    ctx = click_ctx.find_root().obj
    report = ctx.lineage.impute_evaluate(attribute, holdout=holdout, seed=seed).to_dict()
    _emit_evaluation(fmt, report)


# --- output ----------------------------------------------------------------------------------


TABLE_ROWS = 20  # neighbours listed by the table view (json lists every neighbour used, hub: up to 100)


def _value(value) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _emit_one(fmt: str, doc: dict) -> None:
    """One imputation: a summary and the neighbours table; csv: one row per neighbour."""
    head = {k: doc[k] for k in ("id", "attribute", "method", "k", "prediction", "confidence", "declared")}
    rows = [{**head, "neighbour": n["id"], "distance": n["distance"], "value": n["value"]} for n in doc["neighbours"]]
    rows = rows or [{**head, "neighbour": None, "distance": None, "value": None}]
    method = "hub (all labelled siblings)" if doc["method"] == "hub" else f"knn, k={doc['k']}"
    if doc["prediction"] is None:
        what = "hub" if doc["method"] == "hub" else "graph"
        prediction = f"-   (no model with a declared {doc['attribute']} is reachable in the {what})"
    else:
        share = "agreeing within 10%" if doc["votes"] is None else "vote share"
        prediction = f"{_value(doc['prediction'])}   ({share} {doc['confidence']:.2f}, {method})"
    lines = [
        f"{doc['id']}  {doc['attribute']} ({doc['property']})",
        f"  prediction   {prediction}",
        f"  declared     {_value(doc['declared'])}",
    ]
    if doc["votes"]:
        lines.append("  votes        " + ", ".join(f"{v['value']} {v['votes']}" for v in doc["votes"]))
    shown = doc["neighbours"][:TABLE_ROWS]
    more = f" (the first {len(shown)} shown)" if doc["neighbours_total"] > len(shown) else ""
    lines.append(f"  neighbours   {doc['neighbours_total']}{more}")
    if shown:
        table = rows_table(shown, ["distance", "id", "value"])
        lines += ["    " + line for line in table.splitlines()]
    emit(fmt, doc, rows=rows, text="\n".join(lines),
         columns=["id", "attribute", "method", "k", "prediction", "confidence", "declared",
                  "neighbour", "distance", "value"])


def _emit_all(fmt: str, report: dict) -> None:
    rows = [{"what": k, "value": v} for k, v in report.items() if k != "stored_as"]
    rows.append({"what": "stored_as", "value": ", ".join(report["stored_as"].values())})
    emit(fmt, report, rows=rows)


_HEADERS = {"family_majority": "Family majority", "hub": "Hub", "knn_1": "1-NN", "knn_3": "3-NN", "knn_5": "5-NN"}


def _emit_evaluation(fmt: str, report: dict) -> None:
    """Table 1b's layout: one row per attribute, the baseline first, each method with its gain."""
    scores, base = report["scores"], report["scores"][lib.BASELINE]
    number = "{:.2f}" if report["metric"] == "accuracy" else "{:.4g}"
    gain = "{:+.2f}" if report["metric"] == "accuracy" else "{:+.3g}"
    cells = {"Attribute": report["attribute"]}
    for name, header in _HEADERS.items():
        score = scores[name]
        cell = "-" if score is None else number.format(score)
        if name != lib.BASELINE and score is not None and base is not None:
            cell += f" ({gain.format(score - base)})"
        cells[header] = cell
    metric = "accuracy (no prediction counts as wrong)" if report["metric"] == "accuracy" else \
        "mean absolute error over the predicted models"
    coverage = "  ".join(f"{_HEADERS[n]} {c:.2f}" for n, c in report["coverage"].items())
    text = "\n".join([
        rows_table([cells]),
        "",
        f"{metric}; {report['hidden']} of {report['declared']} declared {report['property']} values hidden "
        f"(holdout {report['holdout']}, seed {report['seed']})",
        f"coverage: {coverage}",
    ])
    flat = {"attribute": report["attribute"], "metric": report["metric"], "holdout": report["holdout"],
            "seed": report["seed"], "declared": report["declared"], "hidden": report["hidden"],
            **report["scores"], **{f"coverage_{n}": c for n, c in report["coverage"].items()}}
    emit(fmt, report, rows=[flat], text=text)


commands = [impute]
