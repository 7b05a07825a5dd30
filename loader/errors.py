"""One base exception for the library; the CLI turns these into one-line messages."""


class HFLineageError(Exception):
    """Base of every error the library raises on purpose. ``hint`` is shown after the message."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class InputError(HFLineageError):
    """The input file cannot be loaded at all (unreadable, not parquet, no ``id`` column)."""

    exit_code = 2


class ModelNotFound(HFLineageError):
    """A model id asked about is not in the graph."""


class QueryError(HFLineageError):
    """A stored query is malformed, unknown, or called with the wrong parameters."""

    exit_code = 2


class ServerError(HFLineageError):
    """The local Neo4j server cannot be provisioned, started or reached."""
