"""``hflineage bom``: a CycloneDX ML-BOM carrying the lineage and the licenses along it
(built by ``hflineage.outputs.bom``)."""

from __future__ import annotations

import click

from .. import api

from .context import Context, pass_ctx
from .idlist import read_ids
from .license_cmd import policy_option


@click.command("bom")
@click.argument("model_ids", metavar="MODEL...", nargs=-1)
@click.option("--file", "ids_path", metavar="FILE",
              help="Also read model ids from FILE (one a line, '#' comments; '-' reads stdin), as 'license audit' does.")
@click.option("--out", "out_path", metavar="FILE",
              help="Write the BOM to FILE (whole or not at all; '-': stdout) instead of stdout; a FILE that "
                   "exists and is not a regular file (a device, a FIFO, a symlink) is refused.")
@click.option("--spec", type=click.Choice(["1.5", "1.6"]), default="1.6", show_default=True,
              help="CycloneDX specification version.")
@click.option("--with-suspected", is_flag=True,
              help="Also each model's suspected bases ('hflineage chart') as hflineage:suspectedBase "
                   "properties with score, relation and evidence; never as pedigree.")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.9, show_default=True,
              help="With --with-suspected: the lowest score listed.")
@policy_option
@pass_ctx
def bom(ctx: Context, model_ids, ids_path, out_path, spec, with_suspected, min_score, policy_path):
    """A CycloneDX ML-BOM (JSON) for one or more models: each a machine-learning-model component
    with its purl, declared license, Hub page and Hub facts; its ancestors in pedigree.ancestors
    (each once, with license and relation); the lineage DAG in dependencies; the inherited
    obligations and license conflicts (as `hflineage license` finds them) as hflineage:
    properties; every training dataset of the lineage once, as a data component with its
    license, referred to from the modelCard of each model naming it. Validated against the strict
    CycloneDX schema before it is written.

    Example:

    \b
        hflineage bom some-org/llama3-finetune --out model.cdx.json
        hflineage bom --file models.txt --out models.cdx.json
        hflineage bom some-org/undeclared-finetune --with-suspected --min-score 0.8
    """
    ids = list(model_ids) + (read_ids(ids_path) if ids_path else [])
    if not ids:
        raise click.UsageError("give one or more MODELs, or --file FILE")
    if out_path:
        api.files.check_target(out_path)  # before the lineage is read
    document = ctx.lineage.bom(ids, spec=spec, policy=policy_path, with_suspected=with_suspected,
                               min_score=min_score)
    if out_path:
        api.files.write_atomic(out_path, document + "\n")
    else:
        click.echo(document)


commands = [bom]
