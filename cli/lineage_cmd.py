"""`hflineage chain`, `impact` and `stats`: the lineage analyses over the stored graph."""

from __future__ import annotations


import click

from .context import pass_ctx
from .idlist import read_ids
from .output import emit, format_option, rows_table, warn_unknown


@click.command()
@click.argument("model_id")
@format_option
@pass_ctx
def chain(ctx, model_id, fmt):
    """Depth of a model, its longest path up to a root hop by hop, and every root it reaches.

    The path starts at MODEL_ID and ends at a root; each hop names the relation from that model
    up to the next (null on the root).

    Example:

        hflineage chain jaspionjader/bh-64 --format json
    """
    doc = ctx.lineage.chain(model_id).to_dict()
    hops = [{"hop": i, "id": h["id"], "relation": h["relation"] or "(root)"} for i, h in enumerate(doc["path"])]
    text = "\n".join([
        f"{doc['id']}: depth {doc['depth']}, {len(doc['roots'])} root(s): {', '.join(doc['roots'])}",
        rows_table(hops),
    ])
    emit(fmt, doc, rows=hops, text=text)


def _read_ids(model_ids, file) -> list[str]:
    ids = list(model_ids)
    if file is not None:
        ids += read_ids(file)
    if not ids:
        raise click.UsageError("give MODEL ids or --file FILE ('-' reads stdin)")
    return ids


@click.command()
@click.argument("model_ids", nargs=-1)
@click.option("--file", type=click.File("rb"),
              help="Read model ids from a file, one per line, '#' comments ('-' for stdin), as 'license audit' does.")
@click.option("--list", "with_list", is_flag=True,
              help="Also list the affected models themselves, and every unknown id (else a count and the first few).")
@click.option("--dataset", "datasets", is_flag=True,
              help="The ids are datasets: what withdrawing them reaches (models trained on them, their "
                   "downstream, downloads, families touched).")
@format_option
@pass_ctx
def impact(ctx, model_ids, file, with_list, datasets, fmt):
    """What deleting models would break: derived and downstream models, orphans, merges losing a
    parent, downstream downloads, disrupted chains and families touched. With --dataset: what
    withdrawing training datasets reaches.

    Ids not in the graph are reported as unknown and ignored.

    Example:

        hflineage impact meta-llama/Llama-3.1-8B --list --format json

        hflineage impact --dataset teknium/OpenHermes-2.5 --format json
    """
    ids = _read_ids(model_ids, file)
    if datasets:
        doc = ctx.read_across_models(lambda: ctx.lineage.dataset_impact(ids, with_list=with_list).to_dict())
    else:
        doc = ctx.read_across_models(lambda: ctx.lineage.impact(ids, with_list=with_list).to_dict())
    # --list names every affected model, and every unknown id with them
    warn_unknown(doc["unknown"], with_list, "--list names them all")
    # the unknown ids were named on stderr; the table counts them (json keeps the list)
    summary = {k: len(v) if k == "unknown" else v for k, v in doc.items() if k not in ("models",)}
    rows = [{"measure": k, "value": ", ".join(v) if isinstance(v, list) else v} for k, v in summary.items()]
    text = rows_table(rows)
    if with_list:
        listed = [{"kind": kind, "id": i} for kind, ids in doc["models"].items() for i in ids]
        text += "\n\n" + rows_table(listed)
        if fmt == "csv":
            rows = listed
    emit(fmt, doc, rows=rows, text=text)


@click.command()
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True, help="Rows in each top list.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False), default=None,
              help="Also draw the figures (PNG) into this folder, with stats.json beside them.")
@format_option
@pass_ctx
def stats(ctx, top, plots_dir, fmt):
    """The supply-chain tables over the whole graph: relation mix, depth histograms (overall and
    per pipeline_tag), chain-length distribution, the longest chains, top in/out-degree models,
    the largest families; the share of models declaring training datasets by relation, and the
    datasets most models were trained on and with the widest downstream reach.

    Example:

        hflineage stats --format json > stats.json
        hflineage stats --plots figures/
    """
    if plots_dir is not None:
        result = ctx.lineage.plots(plots_dir, top=top)
        if fmt == "json":
            emit(fmt, result.to_dict())
        else:
            click.echo("\n".join([*result.files, result.json]))
        return
    doc = ctx.lineage.stats(top=top).to_dict()
    if fmt == "json":
        emit(fmt, doc)
        return
    sections = _stats_sections(doc)
    if fmt == "csv":
        rows = [{"section": name, **row} for name, table in sections for row in table]
        columns = sorted({k for r in rows for k in r}, key=lambda k: (k != "section", k))
        emit(fmt, doc, rows=rows, columns=columns)
        return
    click.echo(f"{doc['models']:,} models, {doc['isolated_models']:,} without any base or derived model, "
               f"{doc['families']:,} families, {doc['chains']:,} chains")
    for name, table in sections:
        click.echo(f"\n{name}\n{rows_table(table)}")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _stats_sections(doc: dict) -> list[tuple[str, list[dict]]]:
    mix = [{"relation": r, "declared": v["declared"], "inferred": v["inferred"], "share": _pct(v["share"])}
           for r, v in doc["relation_mix"].items()]
    depth = [{"depth": d, "models": n} for d, n in doc["depth_histogram"].items()]
    by_task = [{"pipeline_tag": t, **{f"d{d}": n for d, n in h.items()}}
               for t, h in list(doc["depth_histogram_by_pipeline_tag"].items())[:15]]
    lengths = [{"length": k, "chains": v["chains"], "share": _pct(v["share"])} for k, v in doc["chain_length"].items()]
    chains = [{"leaf": c["leaf"], "root": c["root"], "length": c["length"],
               **{r: _pct(s) for r, s in c["shares"].items()}} for c in doc["top_chains"]]
    families = [{"root": f["root"], "size": f["size"], "chains": f["chains"],
                 **{r: _pct(s) for r, s in f["shares"].items()}, "pipeline_tag": f["pipeline_tag"]}
                for f in doc["top_families"]]
    return [
        ("relation mix (edges)", mix),
        ("depth histogram (models with a base or a derived model)", depth),
        ("depth histogram by pipeline_tag (15 largest)", by_task),
        ("chain length (models per root-to-leaf path)", lengths),
        ("longest chains", chains),
        ("top in-degree (derived models)", [{k: r[k] for k in ("id", "pipeline_tag", "in_degree")} for r in doc["top_in_degree"]]),
        ("top out-degree (bases)", [{k: r[k] for k in ("id", "pipeline_tag", "out_degree")} for r in doc["top_out_degree"]]),
        ("largest families", families),
        ("models declaring training datasets, by relation", [
            {"relation": r, "models": v["models"], "with_datasets": v["with_datasets"], "share": _pct(v["share"])}
            for r, v in doc["datasets_by_relation"].items()]),
        ("datasets most models were trained on", doc["top_datasets"]),
        ("datasets by downstream reach (trained models and their descendants)", doc["top_dataset_reach"]),
    ]


@click.command()
@click.argument("model_id")
@click.option("--limit", type=click.IntRange(1), default=None, help="Table/csv: only the first N rows.")
@format_option
@pass_ctx
def descendants(ctx, model_id, limit, fmt):
    """Every model deriving from MODEL, directly or not, once each: shortest distance, relation to
    its own base, downloads, likes, license, pipeline tag; most downloaded first.

    Example:

        hflineage descendants meta-llama/Llama-3.1-8B-Instruct --limit 20
    """
    doc = ctx.lineage.descendants(model_id).to_dict()
    rows = doc["descendants"][:limit] if limit else doc["descendants"]
    text = f"{doc['id']}: {len(doc['descendants']):,} descendants\n" + rows_table(rows)
    emit(fmt, doc, rows=rows, text=text, columns=None if rows else ["id"])


commands = [chain, descendants, impact, stats]
