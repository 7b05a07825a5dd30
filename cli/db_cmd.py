"""`hflineage db start|stop|status`: the local Neo4j Community server."""

from __future__ import annotations

import click

from .. import api

from .context import Context, pass_ctx
from .output import emit, format_option


@click.group()
def db():
    """Manage the local Neo4j server (assembled from Maven Central jars, bound to 127.0.0.1).

    Example:

        hflineage db start && hflineage db status --format json
    """


def _emit_status(status, fmt) -> None:
    doc = status.as_dict()
    text = "\n".join([
        f"running      {'yes' if doc['running'] else 'no'}",
        f"uri          {doc['uri']}",
        f"browser_url  {doc['browser_url']}   (user neo4j, password in {doc['home']}/password or NEO4J_PASSWORD)",
        f"version      {doc['version']}",
        f"home         {doc['home']}",
    ])
    emit(fmt, doc, rows=[doc], text=text)


@db.command()
@click.option("--timeout", type=click.FloatRange(1, 3600), default=180, show_default=True,
              help="Seconds to wait for Bolt to answer.")
@format_option
def start(timeout, fmt):
    """Fetch the server once (Maven), set the password, start it and wait until Bolt answers.

    Example:

        hflineage db start
    """
    _emit_status(api.LocalServer().start(timeout=timeout), fmt)


@db.command()
@format_option
def stop(fmt):
    """Stop the local server (its data stays).

    Example:

        hflineage db stop
    """
    server = api.LocalServer()
    was = server.stop()
    emit(fmt, {"stopped": was, "home": str(server.home)}, text="stopped" if was else "not running")


@db.command()
@format_option
def status(fmt):
    """Whether the local server runs, its Bolt URI, Browser URL and version.

    Example:

        hflineage db status --format json
    """
    _emit_status(api.LocalServer().status(), fmt)
@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@click.option("--force", is_flag=True, help="Take the load lock even if another load seems to hold it.")
@format_option
@pass_ctx
def reset(ctx: Context, yes, force, fmt):
    """Empty the database: every model, placeholder and edge, and the loader's constraint and
    indexes (the next load is a first load). Works on any server (--uri); asks first.

    Example:

        hflineage db reset --yes
    """
    lineage = ctx.lineage
    if not yes:
        connection = lineage.connection
        click.confirm(f"delete every node of database '{connection.database}' at {connection.uri}?", abort=True,
                      err=True)
    result = lineage.reset(force=force)
    doc = result.to_dict()
    emit(fmt, doc, rows=[doc], text=f"deleted {doc['nodes_deleted']:,} nodes from '{doc['database']}'; "
                                    f"dropped {', '.join(doc['schema_dropped'])}")


commands = [db]
