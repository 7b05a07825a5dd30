"""Connection settings and local-server locations, read from the environment in one place.

Precedence for the connection: command-line options, then ``NEO4J_URI`` / ``NEO4J_USER`` /
``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``, then the local server that ``hflineage db start`` runs
(its URI and the password kept in a 0600 file in its home).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"


def _checkout_root() -> Path | None:
    """The source checkout this package runs from (an editable install), if any."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "hflineage"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def local_home() -> Path:
    """Where the local server keeps its config, data, logs and password.

    ``HFLINEAGE_HOME`` wins; in a source checkout it is the git-ignored ``.hflineage/`` folder;
    otherwise ``$XDG_DATA_HOME/hflineage``.
    """
    if os.environ.get("HFLINEAGE_HOME"):
        return Path(os.environ["HFLINEAGE_HOME"]).expanduser().resolve()
    root = _checkout_root()
    if root is not None:
        return root / ".hflineage"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "hflineage"


def jar_cache() -> Path:
    """Where the server's jars are kept once fetched (shared by every local home)."""
    if os.environ.get("HFLINEAGE_CACHE"):
        return Path(os.environ["HFLINEAGE_CACHE"]).expanduser().resolve()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "hflineage"


@dataclass(frozen=True)
class Connection:
    uri: str
    user: str
    password: str
    database: str
    local: bool  # True when these settings point at the server `hflineage db start` runs


def resolve_connection(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> Connection:
    """Combine options, environment and the local server's files into one connection."""
    uri = uri or os.environ.get("NEO4J_URI")
    user = user or os.environ.get("NEO4J_USER") or DEFAULT_USER
    password = password or os.environ.get("NEO4J_PASSWORD")
    database = database or os.environ.get("NEO4J_DATABASE") or DEFAULT_DATABASE
    local = uri is None
    if local:
        from hflineage.server.manage import LocalServer

        server = LocalServer()
        uri = server.bolt_uri
        if password is None:
            password = server.read_password()
    if password is None:
        from .errors import HFLineageError

        raise HFLineageError(
            f"no password for {uri}",
            hint="set NEO4J_PASSWORD or pass --password",
        )
    return Connection(uri=uri, user=user, password=password, database=database, local=local)
