"""`hflineage graph`: draw a model's ancestors and descendants (SVG, interactive HTML, PNG)."""

from __future__ import annotations

import click

from .. import api

from .context import pass_ctx
from .output import emit, format_option, rows_table


@click.command()
@click.argument("model_id")
@click.option("--up", type=click.IntRange(0), default=None, help="Levels of ancestors to draw (default: all).")
@click.option("--down", type=click.IntRange(0), default=2, show_default=True, help="Levels of derived models to draw.")
@click.option("--max-nodes", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Draw at most this many models, keeping the most downloaded branches.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the picture here: .svg, .html (interactive, self-contained) or .png.")
@format_option
@pass_ctx
def graph(ctx, model_id, up, down, max_nodes, out, fmt):
    """Draw the lineage of a model as a DAG: bases above derived models, edges coloured by
    relation, box size by downloads, placeholders dashed, MODEL_ID in gold; a model whose
    derived models are not all drawn says "+k more".

    With --out the picture is written and its path printed; without it the nodes and edges are
    printed (--format json: the document the picture is drawn from).

    Example:

        hflineage graph meta-llama/Llama-3.1-8B-Instruct --down 1 --out lineage.html
    """
    if out is not None:
        api.pictures.format_of(out)  # a bad suffix fails before any query runs
    result = ctx.lineage.graph(model_id, up=up, down=down, max_nodes=max_nodes)
    if out is not None:
        path = api.pictures.write(result, out)
        if fmt == "json":
            emit(fmt, {"out": str(path), **result.to_dict()})
        else:
            click.echo(str(path))
        return
    doc = result.to_dict()
    columns = ["id", "role", "level", "license", "downloads", "hidden_children"]
    text = "\n\n".join([
        f"{len(result.nodes)} models, {len(result.edges)} edges, +{result.hidden_children} derived models not drawn",
        rows_table(result.nodes, columns),
        rows_table(result.edges),
    ])
    emit(fmt, doc, rows=result.nodes, text=text, columns=columns)


commands = [graph]
