"""Every error the library raises on purpose, in one hierarchy.

The library raises these and never exits; the CLI's table (``hflineage.cli.context.EXIT_CODES``)
maps each class to an exit code and prints ``message (hint)`` as one line.
"""


class HFLineageError(Exception):
    """Base of every error the library raises on purpose. ``hint`` is shown after the message."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class InputError(HFLineageError):
    """The input file cannot be loaded at all (unreadable, not parquet, no ``id`` column, wrong types)."""


class ModelNotFound(HFLineageError):
    """A model id asked about is not in the graph."""


class DatasetNotFound(HFLineageError):
    """A dataset id asked about is not in the graph."""


class QueryError(HFLineageError):
    """A stored query is malformed, unknown, or called with the wrong parameters."""


class ServerError(HFLineageError):
    """The local Neo4j server cannot be provisioned, started or reached."""


class PolicyError(HFLineageError):
    """The license policy file cannot be read or has a defect (named with its entry)."""


class AttributeNotImputable(HFLineageError):
    """The attribute asked for is unknown, derived from the graph, or not numeric."""


class RenderError(HFLineageError):
    """A picture cannot be drawn (Graphviz missing or failing, the output folder absent)."""


class BomError(HFLineageError):
    """A bill of materials cannot be built (no model given, an unsupported spec, a schema failure)."""


class OutputError(HFLineageError):
    """An output file (``--out``, ``--report``) cannot be written; nothing is left behind."""


class LoadLocked(HFLineageError):
    """Another load (or reset) holds the database's load lock."""


class LoadIncomplete(HFLineageError):
    """A load failed after its first write (the server went away): a re-run completes it."""


class SnapshotRefused(HFLineageError):
    """A snapshot load refused before anything is written: its date is not later than the latest
    stored snapshot, or another snapshot load has not finished."""
