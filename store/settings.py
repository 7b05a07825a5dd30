"""Every setting hflineage reads from the environment, read here and nowhere else.

``environment()`` returns them as one typed record (read afresh at each call, so a test or a
script that changes ``os.environ`` is seen). The connection is resolved from command-line options,
then ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``, then the local
server that ``hflineage db start`` runs (its URI and the password kept in a 0600 file in its
home; where that home and the jars live is the server's own business: ``hflineage.server.manage``).

| variable | meaning |
|---|---|
| ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` | the connection |
| ``HFLINEAGE_HOME``, ``HFLINEAGE_CACHE`` | the local server's home; the cache (jars, snapshot loads' copies of the graph) |
| ``HFLINEAGE_BOLT_PORT``, ``HFLINEAGE_HTTP_PORT`` | the local server's ports |
| ``HFLINEAGE_HEAP``, ``HFLINEAGE_PAGECACHE`` | its JVM heap and page cache (also the importer's off-heap memory) |
| ``HFLINEAGE_JAVA``, ``JAVA_HOME`` | the Java that runs it |
| ``XDG_DATA_HOME``, ``XDG_CACHE_HOME`` | where the home and the cache go outside a checkout |
| ``HFLINEAGE_LICENSE_POLICY`` | the license policy file |
| ``HFLINEAGE_DEBUG``, ``HFLINEAGE_NO_PROGRESS`` | tracebacks and driver logs (``2``: driver debug); no progress bars |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import HFLineageError

# the defaults of every load: rows per record batch read and per write transaction, and
# concurrent write transactions (the server runs each on its own thread)
DEFAULT_BATCH_SIZE = 10_000
DEFAULT_WORKERS = 2

DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474
DEFAULT_MEMORY = "2g"
# the URI schemes the driver speaks (Bolt, direct or routed, plain or encrypted)
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
MEMORY_SIZE = re.compile(r"[1-9][0-9]*[kmgt]?", re.IGNORECASE)  # what Neo4j's memory settings take


@dataclass(frozen=True)
class Environment:
    neo4j_uri: str | None
    neo4j_user: str | None
    neo4j_password: str | None
    neo4j_database: str | None
    home: str | None
    cache: str | None
    bolt_port: int | None  # None: not set (the server's last ports, else the defaults)
    http_port: int | None
    heap: str
    pagecache: str
    java: str | None
    java_home: str | None
    xdg_data_home: str | None
    xdg_cache_home: str | None
    license_policy: str | None
    debug: str | None
    no_progress: bool


def _get(name: str) -> str | None:
    return os.environ.get(name) or None  # an empty variable counts as unset


def _port(name: str) -> int | None:
    value = _get(name)
    if value is None:
        return None
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise HFLineageError(f"{name}={value!r} is not a port number")
    return port


def _memory(name: str) -> str:
    value = _get(name) or DEFAULT_MEMORY
    if not MEMORY_SIZE.fullmatch(value):
        raise HFLineageError(f"{name}={value!r} is not a memory size", hint="a whole number with k, m, g or t, e.g. 2g")
    return value


def environment() -> Environment:
    """The environment's settings, read now; a numeric setting that is not a number in range is
    an HFLineageError naming the variable."""
    return Environment(
        neo4j_uri=_get("NEO4J_URI"),
        neo4j_user=_get("NEO4J_USER"),
        neo4j_password=_get("NEO4J_PASSWORD"),
        neo4j_database=_get("NEO4J_DATABASE"),
        home=_get("HFLINEAGE_HOME"),
        cache=_get("HFLINEAGE_CACHE"),
        bolt_port=_port("HFLINEAGE_BOLT_PORT"),
        http_port=_port("HFLINEAGE_HTTP_PORT"),
        heap=_memory("HFLINEAGE_HEAP"),
        pagecache=_memory("HFLINEAGE_PAGECACHE"),
        java=_get("HFLINEAGE_JAVA"),
        java_home=_get("JAVA_HOME"),
        xdg_data_home=_get("XDG_DATA_HOME"),
        xdg_cache_home=_get("XDG_CACHE_HOME"),
        license_policy=_get("HFLINEAGE_LICENSE_POLICY"),
        debug=_get("HFLINEAGE_DEBUG"),
        no_progress=bool(_get("HFLINEAGE_NO_PROGRESS")),
    )


def cache_home() -> Path:
    """hflineage's cache: ``HFLINEAGE_CACHE``, else ``$XDG_CACHE_HOME/hflineage`` (``~/.cache/hflineage``)."""
    env = environment()
    if env.cache:
        return Path(env.cache).expanduser().resolve()
    return Path(env.xdg_cache_home or Path.home() / ".cache") / "hflineage"


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
    env = environment()
    given_uri = uri is not None
    uri = uri or env.neo4j_uri
    user = user or env.neo4j_user or DEFAULT_USER
    password = password or env.neo4j_password
    database = database or env.neo4j_database or DEFAULT_DATABASE
    if uri is not None:
        check_uri(uri, "the URI" if given_uri else "NEO4J_URI")
    local = uri is None
    if local:
        from ..server.manage import LocalServer

        server = LocalServer()
        uri = server.bolt_uri
        if password is None:
            password = server.read_password()
    if password is None:
        raise HFLineageError(f"no password for {uri}", hint="set NEO4J_PASSWORD or pass --password")
    return Connection(uri=uri, user=user, password=password, database=database, local=local)


def check_uri(uri: str, source: str) -> None:
    """A URI the driver cannot use (the Browser's http://...:7474, a typo) is one HFLineageError
    naming the schemes that work, before any driver is made."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else None
    if scheme not in SCHEMES:
        said = f"scheme {scheme!r}" if scheme is not None else "no scheme"
        browser = scheme in ("http", "https")
        raise HFLineageError(f"{source} {uri!r} has {said}; the schemes accepted are {', '.join(SCHEMES)}",
                             hint="the Browser's http address is not Bolt's, e.g. bolt://localhost:7687" if browser else None)
