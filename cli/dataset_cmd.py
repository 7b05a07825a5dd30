"""`hflineage dataset`: one training dataset, the models trained on it and their reach."""

from __future__ import annotations

import click

from .context import pass_ctx
from .output import emit, format_option, rows_table


@click.command()
@click.argument("dataset_id")
@format_option
@pass_ctx
def dataset(ctx, dataset_id, fmt):
    """A dataset's license and properties, the models trained on it (TRAINED_ON, from
    cardData.datasets and dataset: tags), how many models descend from those, their downloads
    and the families they belong to.

    'hflineage impact --dataset ID...' answers the same for a set of datasets withdrawn.

    Example:

        hflineage dataset teknium/OpenHermes-2.5 --format json
    """
    doc = ctx.read_across_models(lambda: ctx.lineage.dataset(dataset_id).to_dict())
    rows = [{"id": m["id"], "license": m["license"], "downloads": m["downloads"]} for m in doc["trained"]]
    summary = [
        f"{doc['id']}",
        f"  license          {doc['license'] or '- (not described: load --datasets fills it)'}",
        f"  trained models   {len(doc['trained']):,}",
        f"  downstream       {doc['downstream']:,} (descendants of those, not trained on it themselves)",
        f"  downloads        {doc['downloads']:,} (30 days), {doc['downloads_all_time']:,} (all time), each model once",
        f"  families         {doc['families']:,}",
    ]
    for key, value in doc["properties"].items():
        if key != "license" and value is not None:
            summary.append(f"  {key:<16} {value.iso_format() if hasattr(value, 'iso_format') else value}")
    text = "\n".join(summary) + ("\n\n" + rows_table(rows) if rows else "")
    emit(fmt, doc, rows=rows, text=text)


commands = [dataset]
