"""What every command module shares: the lazily-connected Context, the one-line error, and the
table that maps library and driver failures to a message and an exit code.

Command modules import from here, never from ``cli.main`` (which imports them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .. import api
from ..api import errors

from .output import warn

if TYPE_CHECKING:
    from ..api.lineage import Lineage


class Context:
    """What every command needs: connection options, resolved lazily into one Lineage."""

    def __init__(self, uri, user, password, database, progress):
        self.options = dict(uri=uri, user=user, password=password, database=database)
        self.progress = progress
        self._lineage: Lineage | None = None

    @property
    def lineage(self) -> "Lineage":
        """The public API over this command's graph: commands call it and only format."""
        if self._lineage is None:
            self._lineage = api.open_lineage(**self.options, progress=self.progress)
        return self._lineage

    def read_across_models(self, read):
        """``read()``, an answer that reads many models (license, impact), and a note on stderr
        when a load held the database before or after it: a load commits a batch at a time, so
        such an answer can mix models from before and after it (each model itself is whole)."""
        before = self.lineage.running_load()
        out = read()
        holder = self.lineage.running_load() or before
        if holder is not None:
            warn(f"note: a load was writing while this was read ({holder['source']}, since {holder['started']}); "
                 "models it had not reached yet are from before it: ask again when it ends")
        return out

    def close(self) -> None:
        if self._lineage is not None:
            self._lineage.close()


pass_ctx = click.make_pass_decorator(Context)


class CliError(click.ClickException):
    """A one-line error with its own exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        from .output import printable

        click.echo(f"error: {printable(self.format_message())}", err=True)


# Exit codes by library error class, most specific first: 2 = the input or the call is wrong.
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (errors.InputError, 2),
    (errors.QueryError, 2),
    (errors.PolicyError, 2),
    (errors.AttributeNotImputable, 2),
    (errors.OutputError, 2),
    (errors.SnapshotRefused, 2),
    (errors.HFLineageError, 1),
]


def exit_code(e: BaseException) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(e, cls):
            return code
    return 1


def one_line(e: BaseException) -> str | None:
    """The one-line message for a known failure, or None (an unknown failure is a bug)."""
    if isinstance(e, errors.HFLineageError):
        return str(e) + (f" ({e.hint})" if e.hint else "")
    import sys

    if "neo4j" not in sys.modules:  # not a driver error: the driver was never imported
        return None
    import neo4j.exceptions as nex

    if isinstance(e, nex.AuthError):
        return f"Neo4j rejected the credentials: {e.message} (check NEO4J_USER / NEO4J_PASSWORD)"
    if isinstance(e, nex.ServiceUnavailable):
        return f"cannot reach Neo4j: {str(e).splitlines()[0]} (is it running? 'hflineage db start' starts the local one)"
    if isinstance(e, nex.CypherSyntaxError):
        return f"Cypher syntax error: {str(e.message).splitlines()[0]}"
    if isinstance(e, nex.Neo4jError):
        return f"Neo4j error {e.code}: {str(e.message).splitlines()[0]}"
    if isinstance(e, nex.DriverError):
        return f"Neo4j driver error: {str(e).splitlines()[0]}"
    return None
