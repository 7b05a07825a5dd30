"""Entry point: the ``hflineage`` group, its connection options, and the error boundary."""

from __future__ import annotations

import sys
import traceback

import click

from .. import api
from ..api import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, environment

from .context import CliError, Context, exit_code, one_line, pass_ctx
from .output import CSV_SAFE_ENV, close_progress_bars, emit, format_option


# --snapshot given without a value: no argument can hold a NUL, so no typed date (an empty one
# included, which is an error) is taken for it
FILE_DATE = "\x00"


class LineageGroup(click.Group):
    """Turns library and driver failures into one line on stderr and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:
            message = one_line(e)
            if message is None or ctx.meta.get("debug"):
                raise
            raise CliError(message, exit_code(e)) from e


@click.group(cls=LineageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--uri", help="Bolt URI, e.g. neo4j+s://xxxx.databases.neo4j.io [env NEO4J_URI; default: the local server]")
@click.option("--user", help="[env NEO4J_USER; default neo4j]")
@click.option("--password", help="[env NEO4J_PASSWORD; default: the local server's password file]")
@click.option("--database", help="[env NEO4J_DATABASE; default neo4j]")
@click.option("--debug", is_flag=True, envvar="HFLINEAGE_DEBUG", help="Show tracebacks on errors.")
@click.option("--no-progress", is_flag=True, envvar="HFLINEAGE_NO_PROGRESS", help="No progress bars on stderr.")
@click.option("--csv-safe", is_flag=True, envvar=CSV_SAFE_ENV,
              help="--format csv for spreadsheets: a cell that starts with = + - @ (a formula to a "
                   "spreadsheet) gets a leading ' so it opens as text; default: exact values.")
@click.version_option(package_name="hflineage")
@click.pass_context
def cli(ctx, uri, user, password, database, debug, no_progress, csv_safe):
    """Lineage of Hugging Face models in Neo4j: load hub-stats, then ask where a model comes from.

    Example:

        hflineage db start
        hflineage load ../shared/data/hub_stats_sample.parquet
        hflineage show meta-llama/Llama-3.1-8B-Instruct
    """
    ctx.meta["debug"] = debug
    ctx.meta["csv_safe"] = csv_safe
    ctx.obj = Context(uri, user, password, database, progress=not no_progress)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.argument("path", required=False)
@click.option("--datasets", "datasets_path", metavar="FILE",
              help="A hub-stats datasets.parquet: fills the Dataset nodes' license and properties "
                   "(after PATH's models, when PATH is given too).")
@click.option("--batch-size", type=click.IntRange(100, 200_000), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Rows per write transaction (with --bulk: rows per batch written to the import files).")
@click.option("--workers", type=click.IntRange(1, 16), default=DEFAULT_WORKERS, show_default=True,
              help="Concurrent write transactions (ignored with --bulk).")
@click.option("--force", is_flag=True,
              help="Take the load lock even when another load seems to hold it (one that died on another machine).")
@click.option("--bulk", is_flag=True,
              help="Empty local database only: write import files, stop the local server, run Neo4j's "
                   "offline importer, start the server again. Same graph and report as without it; "
                   "faster on large files.")
@click.option("--snapshot", is_flag=False, flag_value=FILE_DATE, default=None, metavar="[DATE]",
              help="PATH is a complete dump of DATE (YYYY-MM-DD, not after today; default: its latest "
                   "createdAt/lastModified day not after today): models it lacks are deleted from the current graph and kept as history, and the "
                   "snapshot's changes are recorded ('hflineage changes'). Without it nothing is deleted.")
@format_option
@pass_ctx
def load(ctx: Context, path, datasets_path, batch_size, workers, force, bulk, snapshot, fmt):
    """Load a hub-stats models.parquet (a local path or hf://datasets/...) into the graph.

    Idempotent: loading the same file again leaves the same graph. A newer file replaces the
    properties and base edges of the models it holds.

    --snapshot [DATE] declares PATH the complete dump of DATE: models it lacks are deleted (kept as
    history), and the report gains the snapshot's 'changes'. A date not later than the latest stored
    snapshot is refused. 'hflineage changes' prints the figures of every interval.

    --bulk is for the first load into the local server ('hflineage db start') while it holds no
    models: it refuses anything else. The server is unavailable while the importer runs.

    Example:

        hflineage load ../shared/data/hub_stats_sample.parquet --format json

        hflineage load models.parquet --bulk

        hflineage load models-2025-10-30.parquet --snapshot

        hflineage load --datasets datasets.parquet
    """
    if path is None and datasets_path is None:
        raise click.UsageError("give PATH (a models.parquet), --datasets FILE, or both")
    if path is None and (bulk or snapshot is not None):
        raise click.UsageError("--bulk and --snapshot load a models file: give PATH")
    doc = {}
    if path is not None:
        doc = ctx.lineage.load(path, bulk=bulk, batch_size=batch_size, workers=workers, force=force,
                               snapshot=True if snapshot == FILE_DATE else snapshot if snapshot is not None else False
                               ).to_dict()
    if datasets_path is not None:
        described = ctx.lineage.load_datasets(datasets_path, batch_size=batch_size, workers=workers,
                                              force=force).as_dict()
        doc = {**doc, "datasets_file": described} if doc else described
    if fmt == "json":
        emit(fmt, doc)
        return
    rows = [{"what": k, "value": v} for k, v in doc.items()]
    emit(fmt, doc, rows=rows)


@cli.command()
@click.argument("model_id")
@format_option
@pass_ctx
def show(ctx: Context, model_id, fmt):
    """A model's properties, its bases, its model tree (children by relation), descendants, depth.

    Example:

        hflineage show meta-llama/Llama-2-7b-chat-hf --format json
    """
    doc = ctx.lineage.show(model_id).to_dict()
    parents = ", ".join(f"{p['id']} ({p['relation']}{'' if p['declared'] else ', inferred'})" for p in doc["parents"])
    tree = " · ".join(f"{k} {v}" for k, v in doc["children"].items())
    lines = [
        doc["id"] + ("  [missing: referenced as a base, absent from the data]" if doc["missing"] else ""),
        f"  license          {doc['license'] or '-'}",
        f"  depth            {doc['depth']}",
        f"  parents          {parents or '(none: a root)'}",
        f"  model tree       {tree}",
        f"  descendants      {doc['descendants']}",
        f"  subtree downloads {doc['subtree_downloads']:,} (30 days), {doc['subtree_downloads_all_time']:,} (all time)",
    ]
    for d in doc.get("datasets") or []:
        lines.append(f"  trained on       {d['id']} (license {d['license'] or 'unknown'})")
    if doc.get("newer_version"):
        lines.append(f"  newer version    {doc['newer_version']}"
                     + (f" (latest: {doc['latest']})" if doc.get("latest") and doc["latest"] != doc["newer_version"] else "")
                     + ("" if doc.get("latest") else " (not a current model of the graph)"))
    for s in doc.get("suspected_bases") or []:
        lines.append(f"  suspected base   {s['id']} ({s['relation']}, score {s['score']:.2f}; not declared)")
    for key, value in doc["properties"].items():
        if key not in ("id", "license", "datasets", "newVersion") and value is not None:
            lines.append(f"  {key:<16} {value.iso_format() if hasattr(value, 'iso_format') else value}")
    flat = {**{k: doc[k] for k in ("id", "license", "depth", "descendants", "subtree_downloads",
                                    "subtree_downloads_all_time")}, **doc["children"],
            "parents": ";".join(p["id"] for p in doc["parents"])}
    emit(fmt, doc, rows=[flat], text="\n".join(lines))


@cli.command("queries")
@click.option("--export-browser", "export", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the read queries as a Neo4j Browser favourites archive (FILE.zip) instead.")
@click.option("--model", default=None, help="The model id the archive's :param lines name (default: a model of the sample).")
@format_option
def queries_cmd(export, model, fmt):
    """List the stored Cypher queries with their mode and parameters, or export them for Neo4j
    Browser (drag the .zip onto the Favorites drawer: one favourite per query, its :param lines
    first).

    Example:

        hflineage queries --format json
        hflineage queries --export-browser hflineage-queries.zip
    """
    if export is not None:
        browser = api.browser
        if not export.lower().endswith(".zip"):
            raise click.BadParameter("the file name must end in .zip", param_hint="--export-browser")
        names = browser.favorites_zip(export, model or browser.EXAMPLE_MODEL)
        emit(fmt, {"out": export, "favorites": names}, text=f"{export}: {len(names)} favourites")
        return
    rows = [{"name": q.name, "mode": q.mode, "params": ", ".join(q.params), "description": q.description}
            for q in api.registry()]
    emit(fmt, rows, rows=rows)


@cli.command("query")
@click.argument("name")
@click.option("-p", "--param", "params", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A text parameter, taken as it is (a model id such as 123 or null stays text).")
@click.option("-j", "--json-param", "json_params", type=(str, str), multiple=True, metavar="NAME JSON",
              help="A parameter given as JSON: numbers, booleans, lists, maps (e.g. -j ids '[\"a\", \"b\"]').")
@click.option("--write", is_flag=True, help="Allow running a write query.")
@format_option
@pass_ctx
def query_cmd(ctx: Context, name, params, json_params, write, fmt):
    """Run one stored query by name (read queries run in READ sessions).

    -p NAME VALUE passes VALUE as text; -j NAME JSON passes a typed value.

    Example:

        hflineage query show -p model_id meta-llama/Llama-2-7b-chat-hf --format json

        hflineage query load/created_at -j ids '["meta-llama/Llama-2-7b-chat-hf"]'
    """
    import json

    stored = api.registry().get(name)
    if not stored.read_only and not write:
        raise click.UsageError(f"'{name}' writes to the graph; pass --write to run it")
    values = dict(params)
    for key, raw in json_params:
        try:
            values[key] = json.loads(raw)
        except ValueError as e:
            raise click.BadParameter(f"{key}: not JSON ({e})", param_hint="-j") from None
    rows = ctx.lineage.query(name, values, write=write)
    emit(fmt, rows, rows=rows)


# Command groups that live in their own modules; each module lists its commands in `commands`.
from . import bom_cmd, changes_cmd, chart_cmd, dataset_cmd, db_cmd, graph_cmd, impute_cmd, license_cmd, lineage_cmd  # noqa: E402

for _module in (db_cmd, lineage_cmd, dataset_cmd, graph_cmd, license_cmd, bom_cmd, impute_cmd, changes_cmd, chart_cmd):
    for _command in _module.commands:
        cli.add_command(_command)


def _quiet_driver(debug: bool) -> None:
    """The driver logs retries and connection failures as warnings; a user sees our one line
    instead. ``--debug`` shows them."""
    import logging

    logger = logging.getLogger("neo4j")
    if debug:
        logging.basicConfig(level=logging.WARNING)
        logger.setLevel(logging.DEBUG if environment().debug == "2" else logging.WARNING)
    else:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)


_SIGNALLED: list[int] = []


def _terminate(signum, frame):
    """SIGTERM ends the command like Ctrl-C: the ``finally`` blocks run (the load lock is
    released, the spool removed) and the command says it was interrupted."""
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt


def _interrupted() -> None:
    import signal

    click.echo("interrupted", err=True)
    sys.exit(128 + signal.SIGTERM if _SIGNALLED else 130)


def main(argv=None) -> None:
    import signal

    try:  # every setting is checked once, before any command runs
        env = environment()
    except Exception as e:
        click.echo(f"error: {one_line(e) or e}", err=True)
        sys.exit(exit_code(e))
    debug = env.debug or "--debug" in (argv if argv is not None else sys.argv[1:])
    _quiet_driver(bool(debug))
    signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            cli.main(args=argv, prog_name="hflineage", standalone_mode=False)
        except BaseException:
            close_progress_bars()  # the message below is then the only line left on stderr
            raise
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        if debug and e.__cause__ is not None:
            traceback.print_exception(e.__cause__)
        e.show()
        sys.exit(e.exit_code)
    except click.Abort as e:
        if isinstance(e.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            _interrupted()
        click.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        _interrupted()
    except Exception as e:  # unknown failure: a bug; show where unless told not to
        message = one_line(e)
        if debug or message is None:
            traceback.print_exc()
        click.echo(f"error: {message or f'{type(e).__name__}: {e}'}", err=True)
        sys.exit(exit_code(e))
