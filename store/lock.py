"""The load lock: one writer at a time per database, on any server (local, remote, cluster).

Two loads into the same database at once corrupt it (on an empty graph both take the fast
path, which creates nodes before the id constraint exists: every node twice, and then no
constraint can be created). So every writer of the whole graph (``load``, ``load --bulk``,
``db reset``) first takes the lock: a ``(:LoadLock {name: 'load'})`` node under a uniqueness
constraint (``load_lock_unique``, created idempotently first, so it exists on an empty
database too). The second writer's CREATE fails on the constraint and it stops with one line
naming the holder. The node is deleted when the writer ends, whatever the way (``finally``).

A holder killed with SIGKILL (or a lost machine) leaves its node behind. When the holder ran on
this host and its process is gone, the lock is stale and taken over at once; otherwise the
message names the holder and ``--force`` takes the lock anyway.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import socket
from pathlib import Path

import neo4j.exceptions as nex

from .db import Graph
from .errors import LoadLocked

NAME = "load"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie child of ours counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def remove_dead_folders(parent: Path, prefix: str, keep=lambda folder: False) -> list[Path]:
    """Remove the folders ``<parent>/<prefix><pid>[-...]`` whose process is gone from this host
    (a load killed with SIGKILL leaves its working files), except this process's and those
    ``keep`` names; return what was removed."""
    removed = []
    for folder in parent.glob(f"{prefix}*"):
        pid = folder.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)) or keep(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class LoadLock:
    """``with LoadLock(graph, source):`` holds the database's load lock for the block.

    ``force``: take the lock even when a live (or unknowable) holder has it. ``taken_over``
    names a stale holder that was replaced (for the report).
    """

    def __init__(self, graph: Graph, source: str, force: bool = False):
        self.graph, self.source, self.force = graph, source, force
        self.token = secrets.token_hex(8)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.taken_over: dict | None = None
        self.held = False

    def __enter__(self) -> "LoadLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        ensure_lock_schema(self.graph)
        for _ in range(3):
            try:
                self.graph.write_aside("load/lock_acquire", lock=NAME, token=self.token, host=self.host, pid=self.pid,
                                 owner=f"{_user()}@{self.host} pid {self.pid}", source=self.source)
                self.held = True
                return
            except nex.ConstraintError:
                holder = self.holder()
                if holder is None:
                    continue  # released meanwhile
                if self.force or self._stale(holder):
                    self.taken_over = holder
                    self.graph.write_aside("load/lock_release", lock=NAME, token=holder["token"])
                    continue
                raise LoadLocked(
                    f"another load holds the database since {holder['started']}: "
                    f"{holder['source']} ({holder['owner']})",
                    hint="wait for it to end; if it died on another machine, pass --force")
        raise LoadLocked("could not take the load lock (it changed hands three times)", hint="try again")

    def _stale(self, holder: dict) -> bool:
        return holder.get("host") == self.host and holder.get("pid") is not None and not pid_alive(holder["pid"])

    def holder(self) -> dict | None:
        rows = self.graph.read("load/lock_holder", lock=NAME)
        return rows[0] if rows else None

    def release(self) -> None:
        if self.held:
            self.held = False
            try:
                self.graph.write_aside("load/lock_release", lock=NAME, token=self.token)
            except (nex.Neo4jError, nex.DriverError):
                # the server went away (or the store was replaced): the lock went with it, or the
                # next writer on this host finds this process gone and takes it over
                pass


def running_load(graph: Graph) -> dict | None:
    """The holder of the load lock (source, owner, started), or None: a read, for readers that
    want to say their answer was read while a load wrote."""
    rows = graph.read("load/lock_holder", lock=NAME)
    return rows[0] if rows else None


def ensure_lock_schema(graph: Graph) -> None:
    """The lock's uniqueness constraint (idempotent; two writers creating it at once is fine)."""
    try:
        graph.write_aside("load/lock_schema")
    except nex.ClientError as e:
        if "AlreadyExists" not in (e.code or ""):
            raise


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without passwd entry
        return str(os.getuid())
