"""Writing output files whole or not at all, and never over something that is not a file.

Every ``--out``/``--report``/``--plots`` file goes through :func:`write_atomic`: a temporary file
in the same folder and a rename. A rename replaces whatever the name points at, so a device
(``/dev/full``), a FIFO or a symlink there would be swapped for a regular file (as root, the
device node itself): such a target is refused before anything is written. ``-`` is standard
output.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile

from ..store.errors import OutputError

STDOUT = "-"


def check_target(path: str | os.PathLike) -> None:
    """OutputError unless ``path`` is ``-``, absent, or an existing regular file (not a symlink):
    call it before long work so a bad ``--out`` fails first; :func:`write_atomic` checks again."""
    path = os.fspath(path)
    if path == STDOUT:
        return
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    if stat.S_ISREG(mode):
        return
    raise OutputError(f"cannot write {path}: it is {_kind(mode)}, not a regular file; nothing was written")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file in the same folder and a
    rename, so a failure (unwritable folder, full disk) leaves no partial file and any old file
    untouched. ``-``: standard output. An existing target that is not a regular file is refused."""
    path = os.fspath(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path == STDOUT:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
        except OSError as e:
            raise OutputError(f"cannot write to standard output: {e.strerror or e}") from e
        return
    check_target(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; give it a normal file's mode
        check_target(path)  # made a special file while we wrote: still refused
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
        raise


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
