"""``hflineage impute``: fill a missing attribute from the lineage graph (kNN or hub vote).

Three command lines, one group:

    hflineage impute MODEL --attribute A [--k 5] [--method knn|hub]
    hflineage impute --all --attribute A --write [--method knn|hub] [--k 5]
    hflineage impute evaluate --attribute A [--holdout 0.2] [--seed S] [--scale raw|log10]
    hflineage impute evaluate --table1 [--holdout 0.2] [--seed S]

The group takes an optional MODEL argument *and* a subcommand, so ``ModelGroup`` (cli/groups.py) makes sure the
word ``evaluate`` in first place names the subcommand rather than a model. (A model whose id is
literally ``evaluate`` is reached by putting an option first: ``impute --attribute license evaluate``.)
The rules themselves (tie-breaking, stored property names) are in ``hflineage.impute.knn``,
the evaluation (holdout, populations, Table 1) in ``hflineage.impute.evaluate``.
"""

from __future__ import annotations

import click

from .. import api

from .context import Context, pass_ctx
from .groups import ModelArgument, ModelGroup
from .output import emit, format_option, rows_table


def _attribute_option(fn):
    return click.option("--attribute", "attribute", metavar="A",
                        help="license, pipeline_tag, library_name, model_type, relation_type, or a numeric property "
                             "such as parameters.")(fn)


@click.group(cls=ModelGroup, invoke_without_command=True, options_metavar="[OPTIONS] [MODEL]",
             subcommand_metavar="| evaluate [OPTIONS]")
@click.argument("model_id", metavar="[MODEL]", required=False, cls=ModelArgument)
@_attribute_option
@click.option("--k", "k", type=click.IntRange(1, 1000), default=api.DEFAULT_K, show_default=True,
              help="Neighbours that vote (knn only).")
@click.option("--method", type=click.Choice(api.METHODS), default="knn", show_default=True,
              help="knn: the K nearest labelled models; hub: every labelled sibling.")
@click.option("--all", "all_models", is_flag=True, help="Every model that lacks the attribute (needs --write).")
@click.option("--write", is_flag=True, help="With --all: store <prop>_imputed, _method and _confidence.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=api.IMPUTE_BATCH, show_default=True,
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
        raise click.UsageError("--attribute is required (license, pipeline_tag, library_name, model_type, "
                               "relation_type or a numeric property)")
    ctx = click_ctx.find_object(Context)
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
@click.option("--scale", type=click.Choice(api.SCALES), default="raw", show_default=True,
              help="Numeric attributes: the regression view on the values or on log10(1 + value).")
@click.option("--table1", is_flag=True,
              help="Table 1 of the paper: license, pipeline_tag, library_name, model_type, relation_type "
                   "(1b) and parameters, downloads on the log scale (1a), the paper's figures beside ours.")
@format_option
@pass_ctx
def evaluate(ctx, attribute, holdout, seed, scale, table1, fmt):
    """Hide a seeded fraction of declared values, predict them, and score against the majority label.

    All declared: knn with K = 1, 3, 5 and hub against the family majority (most common visible
    value in the model's family, its weakly connected component), over every hidden model; a
    missing prediction counts as wrong (numeric: mean absolute error over the predicted ones).

    Hub population (categorical; Table 1b of Horwitz et al., "Charting and Navigating Hugging
    Face's Model Atlas"): the hidden models with at least one labelled sibling (another child of
    one of their bases whose value is visible); hub vote vs graph-level (family) majority there.

    Regression (numeric; Table 1a): the K = 1, 2, 3, 5 nearest labelled models' mean vs the family
    mean, MSE, MAE and Pearson correlation, over the hidden models whose family holds a value.

    --table1 evaluates all of Table 1 and prints the paper's figures beside ours. Nothing is
    written to the graph.

    Example:

    \b
        hflineage impute evaluate --attribute license --holdout 0.2 --seed 0 --format json
        hflineage impute evaluate --attribute parameters --scale log10
        hflineage impute evaluate --table1 --seed 0
    """
    if table1:
        if attribute is not None:
            raise click.UsageError("--table1 evaluates its own attributes; drop --attribute")
        if scale != "raw":
            raise click.UsageError("--table1 uses log10 for its numeric attributes; drop --scale")
        _emit_table1(fmt, ctx.lineage.impute_table1(holdout=holdout, seed=seed).to_dict())
        return
    if attribute is None:
        raise click.UsageError("--attribute is required (license, pipeline_tag, library_name, model_type, "
                               "relation_type or a numeric property), or --table1")
    _emit_evaluation(fmt, ctx.lineage.impute_evaluate(attribute, holdout=holdout, seed=seed, scale=scale).to_dict())


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
_HUB_HEADERS = {"graph_majority": "Graph majority", "hub": "Hub", "global_majority": "Global majority"}
_REGRESSION_NAMES = {"family_mean": "Family mean", "knn_1": "1-NN", "knn_2": "2-NN", "knn_3": "3-NN", "knn_5": "5-NN"}


def _num(value, spec: str = "{:.2f}") -> str:
    return "-" if value is None else spec.format(value)


def _with_gain(score, base, spec: str = "{:.2f}", gain: str = "{:+.2f}") -> str:
    cell = _num(score, spec)
    if score is not None and base is not None:
        cell += f" ({gain.format(score - base)})"
    return cell


def _scaled_name(prop: str, scale: str) -> str:
    return f"log10(1+{prop})" if scale == "log10" else prop


def _emit_evaluation(fmt: str, report: dict) -> None:
    """All declared in Table 1b's layout (a row, the baseline first, each method with its gain),
    then the paper's population: the hub population (categorical) or the regression (numeric)."""
    scores, base = report["scores"], report["scores"][api.BASELINE]
    accuracy = report["metric"] == "accuracy"
    number, gain = ("{:.2f}", "{:+.2f}") if accuracy else ("{:.4g}", "{:+.3g}")
    cells = {"Attribute": report["attribute"]}
    for name, header in _HEADERS.items():
        cells[header] = _num(scores[name], number) if name == api.BASELINE else \
            _with_gain(scores[name], base, number, gain)
    metric = "accuracy (no prediction counts as wrong)" if accuracy else "mean absolute error over the predicted models"
    coverage = "  ".join(f"{_HEADERS[n]} {_num(c)}" for n, c in report["coverage"].items())
    lines = [
        rows_table([cells]),
        "",
        f"all declared: {metric}; {report['hidden']} of {report['declared']} declared {report['property']} values "
        f"hidden (holdout {report['holdout']}, seed {report['seed']})",
        f"coverage: {coverage}",
    ]
    pop = report["hub_population"]
    if pop is not None:
        row = {"Attribute": report["attribute"],
               "Graph majority": _num(pop["scores"]["graph_majority"]),
               "Hub": _with_gain(pop["scores"]["hub"], pop["scores"]["graph_majority"]),
               "Global majority": _num(pop["scores"]["global_majority"]),
               "Hub population": f"{pop['hidden']} of {report['hidden']} ({pop['share']:.2f})"}
        lines += ["", "Hub population (Table 1b's; accuracy):", rows_table([row]),
                  f"population: {pop['definition']}; coverage there: "
                  + "  ".join(f"{_HUB_HEADERS[n]} {_num(c)}" for n, c in pop["coverage"].items())]
    reg = report["regression"]
    if reg is not None:
        rows = [{"Method": _REGRESSION_NAMES[m], "MSE": _num(v["mse"], "{:.4g}"), "MAE": _num(v["mae"], "{:.4g}"),
                 "Correlation": _num(v["correlation"], "{:.3f}")} for m, v in reg["methods"].items()]
        lines += ["", f"Regression (Table 1a's) of {_scaled_name(report['property'], reg['scale'])}:",
                  rows_table(rows),
                  f"population: {reg['hidden']} of {report['hidden']} hidden models ({reg['share']:.2f}), "
                  f"{reg['definition']}"]
    flat = {"attribute": report["attribute"], "metric": report["metric"], "holdout": report["holdout"],
            "seed": report["seed"], "declared": report["declared"], "hidden": report["hidden"],
            **report["scores"], **{f"coverage_{n}": c for n, c in report["coverage"].items()}}
    if pop is not None:
        flat.update({"hub_population": pop["hidden"], **{f"hub_population_{n}": s for n, s in pop["scores"].items()}})
    if reg is not None:
        flat.update({"regression_population": reg["hidden"], "regression_scale": reg["scale"],
                     **{f"regression_{m}_{k}": x for m, v in reg["methods"].items() for k, x in v.items()}})
    emit(fmt, report, rows=[flat], text="\n".join(lines))


def _emit_table1(fmt: str, doc: dict) -> None:
    """Both tables in the paper's layout, ours beside the paper's; csv: one row per table row."""
    b_rows = []
    for r in doc["table1b"]:
        absent = r["attribute"] in doc["absent"]
        b_rows.append({
            "Attribute": r["attribute"],
            "Graph avg.": _num(r["graph_majority"]),
            "Hub avg.": _with_gain(r["hub"], r["graph_majority"]),
            "Paper graph": _num(r["paper_graph_majority"]),
            "Paper hub": _with_gain(r["paper_hub"], r["paper_graph_majority"]),
            "Hub population": "no model declares it" if absent else
            f"{r['hub_population']} of {r['hidden']} ({_num(r['hub_population_share'])})",
            "Global maj.": _num(r["global_majority"]),
            "All: family maj.": _num(r["all_family_majority"]),
            "All: hub (cov.)": f"{_num(r['all_hub'])} ({_num(r['all_hub_coverage'])})",
        })
    a_rows, previous = [], None
    for r in doc["table1a"]:
        name = _scaled_name(r["attribute"], r["scale"])
        a_rows.append({
            "Attribute": "" if name == previous else name,
            "Method": _REGRESSION_NAMES[r["method"]],
            "MSE": _num(r["mse"], "{:.3f}"), "MAE": _num(r["mae"], "{:.3f}"),
            "Correlation": _num(r["correlation"], "{:.3f}"),
            "Paper MSE": _num(r["paper_mse"], "{:.3f}"), "Paper MAE": _num(r["paper_mae"], "{:.3f}"),
            "Paper corr.": _num(r["paper_correlation"], "{:.3f}"),
            "Population": f"{r['population']} of {r['hidden']}" if r["method"] == "family_mean" else "",
        })
        previous = name
    text = "\n".join([
        f"Table 1b: hub vote vs graph-level majority, accuracy on the hub population "
        f"(holdout {doc['holdout']}, seed {doc['seed']})",
        rows_table(b_rows),
        "",
        "Graph avg.: the majority label of the model's connected component; hub population: hidden models with a",
        "labelled sibling; Global maj.: the most common label in the graph; All: every hidden model, no prediction",
        "counting as wrong (coverage in brackets).",
        "",
        f"Table 1a: kNN regression vs the family mean (the paper's figures are for {doc['paper_1a_metric']},",
        "which the dump does not hold; they are shown for the layout only). Population: hidden models whose",
        "family holds a visible value, of all hidden.",
        rows_table(a_rows),
    ])
    rows = [{"table": "1b", **r} for r in doc["table1b"]] + [{"table": "1a", **r} for r in doc["table1a"]]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    emit(fmt, doc, rows=rows, text=text, columns=columns)


commands = [impute]
