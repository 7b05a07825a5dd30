"""Run the hflineage CLI and die like ``kill -9`` right after a named step of a snapshot load:

    python tests/kill_after.py STEP hflineage-arguments...

STEP is a stored write query (``snapshot/write_models``, ``snapshot/delete_edges``, ...): the
process dies once every batch of it has committed; or ``snapshot/copy_kept``: once the load has
kept its copy of the graph, before its commit. The hook lives here, in the tests, so that no
production code carries it.
"""

from __future__ import annotations

import os
import signal
import sys

from hflineage.cli.main import main
from hflineage.loader import kept_copy
from hflineage.store.db import Writer


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after(step: str) -> None:
    if step == "snapshot/copy_kept":
        place = kept_copy._place_copy

        def placed(*args, **kw):
            place(*args, **kw)
            die()

        kept_copy._place_copy = placed
        return
    put, join = Writer.put_many, Writer.join

    def put_many(self, steps):
        self.last_step = steps[-1][0]
        put(self, steps)

    def joined(self):
        join(self)
        if getattr(self, "last_step", None) == step:
            die()

    Writer.put_many, Writer.join = put_many, joined


if __name__ == "__main__":
    kill_after(sys.argv[1])
    main(sys.argv[2:])
