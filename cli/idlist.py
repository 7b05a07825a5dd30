"""The one reader of model-id lists (``bom --file``, ``license audit FILE``, ``impact --file``).

One id a line. Lines end at ``\\n`` or ``\\r\\n`` only: an id may hold any other character (a
vertical tab, a form feed, U+2028), which Python's ``splitlines`` and text-mode files would take
for line breaks. Spaces and tabs around an id are dropped; blank lines and ``#`` comments are
skipped. The file is UTF-8 (a leading byte-order mark is ignored).
"""

from __future__ import annotations

import re
import sys
from typing import BinaryIO

from .context import CliError

_LINE_END = re.compile(r"\r?\n")


def parse_ids(text: str) -> list[str]:
    """The ids in the text of a list file, in order (duplicates kept)."""
    ids = []
    for line in _LINE_END.split(text):
        line = line.strip(" \t")
        if line and not line.startswith("#"):
            ids.append(line)
    return ids


def read_ids(source: str | BinaryIO) -> list[str]:
    """The ids in a list file: a path, ``-`` for standard input, or an open binary stream; an
    unreadable or non-UTF-8 file is a one-line error (exit 2)."""
    name = source if isinstance(source, str) else getattr(source, "name", "the model list")
    name = "standard input" if name in ("-", "<stdin>") else name
    try:
        if source == "-":
            data = sys.stdin.buffer.read()
        elif isinstance(source, str):
            with open(source, "rb") as f:
                data = f.read()
        else:
            data = source.read()
        text = data.decode("utf-8-sig")
    except OSError as e:
        raise CliError(f"cannot read the model list {name}: {e.strerror or e}", 2) from e
    except UnicodeDecodeError as e:
        raise CliError(f"cannot read the model list {name}: not UTF-8 text (byte {e.start})", 2) from e
    return parse_ids(text)
