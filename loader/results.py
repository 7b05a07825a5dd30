"""The base of every typed result the library returns.

A result is a dataclass whose fields are the keys of the JSON document the CLI prints with
``--format json``: ``to_dict()`` returns exactly that document (numbers as numbers, nested
results and lists of records as plain dicts and lists). ``to_pandas()`` gives the result's main
rows as a DataFrame; results with several tables expose each as a named property as well.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every nested Result turned into its dict (lists and dicts walked)."""
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def frame(records: list[dict], columns: list[str] | None = None):
    """A DataFrame of ``records`` (pandas imported here, so the CLI never pays for it)."""
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=columns)


@dataclasses.dataclass
class Result:
    """Base class: ``to_dict()`` is the ``--format json`` document; ``to_pandas()`` its main rows."""

    def to_dict(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.repr}

    def to_pandas(self):
        """The result's main rows as a DataFrame (one row per record; see each class)."""
        return frame([self.to_dict()])
