"""Which transactions a connection committed, and whether anybody else committed since.

A snapshot load keeps a copy of the graph it leaves, and the next one may use that copy instead
of reading the graph back only if the graph has not changed since. Counts or version marks
cannot prove that: an edit that keeps the counts, or a writer that does not know the convention
(a script using the driver, Neo4j Browser), would leave a stale copy trusted. Neo4j numbers the
committed transactions of a database one after the other, and every write, by anybody, takes the
next number; a transaction that changes nothing takes none (its bookmark names the latest
commit, anybody's: so the gateway records only commits that changed something). So a copy made at transaction ``c``
still describes the graph when every transaction after ``c`` up to one we commit now was our
own bookkeeping (the load lock, this probe): that is, when our own commits since ``c`` are
``c+1, c+2, ...`` with no gap.

Neo4j Community does not expose the last committed transaction id over Bolt (``SHOW DATABASES``
leaves ``lastCommittedTxn`` empty outside a cluster), but each commit's bookmark carries it:
``FB:`` and the base64 of a PackStream list ``[database id (16 bytes), transaction id, [...]]``.
That layout is the server's, not a documented API, so anything that does not parse exactly is
"unknown", and an unknown commit never proves anything: the load reads the graph instead.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Commit:
    database: str  # the database's id (hex): a database dropped and created again is another one
    tx: int


def parse_bookmarks(values) -> Commit | None:
    """The commit a session's bookmarks name, or None when they are not exactly one we can read."""
    values = list(values)
    if len(values) != 1 or not isinstance(values[0], str) or not values[0].startswith("FB:"):
        return None
    text = values[0][3:]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return _unpack(raw)


def _unpack(raw: bytes) -> Commit | None:
    # 0x91: a list of one entry; 0xCC n: n bytes (the database id); then an integer
    if len(raw) < 4 or raw[0] != 0x91 or raw[1] != 0xCC:
        return None
    n = raw[2]
    at = 3 + n
    if n != 16 or len(raw) <= at:
        return None
    database = raw[3:at].hex()
    marker = raw[at]
    if marker < 0x80:  # a tiny int
        return Commit(database, marker)
    sizes = {0xC8: 1, 0xC9: 2, 0xCA: 4, 0xCB: 8}
    size = sizes.get(marker)
    if size is None or len(raw) < at + 1 + size:
        return None
    tx = int.from_bytes(raw[at + 1: at + 1 + size], "big", signed=True)
    return Commit(database, tx) if tx >= 0 else None


class Commits:
    """The commits of one connection, as its gateway (store/db.py) reports them.

    ``since(mark)``: True when the commits after ``mark`` are all this connection's bookkeeping
    and follow ``mark`` with no gap. ``follow(path, mark)``: keep the marker file at ``path`` (a
    kept copy's) naming the last commit of an unbroken run of bookkeeping after ``mark``, so that
    the next process can check from there; any other commit removes the file.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: list[tuple[Commit | None, bool]] = []  # (commit, bookkeeping only)
        self._trail: tuple[Path, Commit] | None = None

    def record(self, commit: Commit | None, aside: bool) -> None:
        """A commit that changed something (``None``: its number is unknown); ``aside``: it wrote
        only bookkeeping beside the lineage graph."""
        with self._lock:
            self._seen.append((commit, aside))
            if self._trail is None:
                return
            path, last = self._trail
            if aside and commit is not None and commit.database == last.database and commit.tx == last.tx + 1:
                self._trail = (path, commit)
                write_mark(path, commit)
            else:
                self._trail = None
                _remove(path)

    def last(self) -> Commit | None:
        with self._lock:
            return self._seen[-1][0] if self._seen else None

    def follow(self, path: Path, mark: Commit) -> None:
        with self._lock:
            self._trail = (path, mark)
        write_mark(path, mark)

    def since(self, mark: Commit) -> bool:
        with self._lock:
            seen = self._seen
            # when the mark is one of our own commits, what we committed before it is older
            for at in range(len(seen) - 1, -1, -1):
                if seen[at][0] == mark:
                    seen = seen[at + 1:]
                    break
            after = [(c, aside) for c, aside in seen
                     if c is None or c.database != mark.database or c.tx > mark.tx]
        if not after:
            return False  # nothing of ours to compare with: a probe is needed first
        expected = mark.tx + 1
        for commit, aside in after:
            if commit is None or commit.database != mark.database or not aside or commit.tx != expected:
                return False
            expected += 1
        return True


def write_mark(path: Path, commit: Commit) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"database": commit.database, "tx": commit.tx}))
    os.replace(tmp, path)


def read_mark(path: Path) -> Commit | None:
    try:
        data = json.loads(path.read_text())
        database, tx = data["database"], data["tx"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(database, str) or not isinstance(tx, int) or isinstance(tx, bool):
        return None
    return Commit(database, tx)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
