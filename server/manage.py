"""Provision, start, stop and inspect a local Neo4j Community server built from Maven Central jars.

Layout (``local_home()`` and ``jar_cache()`` below; the variables are read by ``hflineage.store.settings``):

    <cache>/neo4j-<version>/lib/*.jar     jars fetched once by Maven, shared by every home
    <home>/conf/neo4j.conf                written from neo4j.conf.template on every start
    <home>/data, logs, run, plugins, import
    <home>/password                       0600; NEO4J_PASSWORD wins when set
    <home>/server.json                    pid, ports, version of the running server

The server runs as a detached JVM (`CommunityEntryPoint --console-mode`) bound to 127.0.0.1
with auth on; it outlives the command that started it until `hflineage db stop`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..store.errors import ServerError
from ..store.lock import pid_alive
from ..store.settings import DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT, cache_home, environment

from . import browser

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
SUPPORTED_JAVA = (17, 21)
JVM_FLAGS = [
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Dfile.encoding=UTF-8",
]


def _pom_text() -> str:
    return resources.files("hflineage.server").joinpath("pom.xml").read_text(encoding="utf-8")


def neo4j_version() -> str:
    match = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", _pom_text())
    assert match, "server/pom.xml names no neo4j.version"
    return match.group(1)


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
    env = environment()
    if env.home:
        return Path(env.home).expanduser().resolve()
    root = _checkout_root()
    if root is not None:
        return root / ".hflineage"
    return Path(env.xdg_data_home or Path.home() / ".local" / "share") / "hflineage"


def jar_cache() -> Path:
    """Where the server's jars are kept once fetched (shared by every local home)."""
    return cache_home()


@dataclass
class Status:
    running: bool
    uri: str
    browser_url: str
    version: str
    home: str
    pid: int | None

    def as_dict(self) -> dict:
        return {
            "running": self.running,
            "uri": self.uri,
            "browser_url": self.browser_url,
            "version": self.version,
            "home": self.home,
            "pid": self.pid,
        }


class LocalServer:
    """One local server instance, identified by its home folder."""

    def __init__(self, home: Path | None = None):
        self.home = home or local_home()
        self.version = neo4j_version()
        state = self._state()
        env = environment()
        self.bolt_port = env.bolt_port or state.get("bolt_port", DEFAULT_BOLT_PORT)
        self.http_port = env.http_port or state.get("http_port", DEFAULT_HTTP_PORT)

    # --- locations -------------------------------------------------------------------------
    @property
    def lib_dir(self) -> Path:
        return jar_cache() / f"neo4j-{self.version}" / "lib"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _state(self) -> dict:
        path = self.home / "server.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        return {}

    def _write_state(self, **values) -> None:
        _private_dir(self.home)
        (self.home / "server.json").write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")

    # --- password --------------------------------------------------------------------------
    def read_password(self) -> str | None:
        if environment().neo4j_password:
            return environment().neo4j_password
        path = self.home / "password"
        if path.is_file():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                raise ServerError(f"{path} is readable by others (mode {mode:o})", hint=f"chmod 600 {path}")
            return path.read_text(encoding="utf-8").strip()
        return None

    def _password_for_first_start(self) -> str:
        """The password to set: NEO4J_PASSWORD, the password file, or a new random one. Whatever
        set it, it is kept in the 0600 password file, so later commands need no variable."""
        password = self.read_password()
        if password is None:
            password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
        if len(password) < 8:
            raise ServerError("NEO4J_PASSWORD must have at least 8 characters for the local server")
        path = self.home / "password"
        if not path.is_file():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password + "\n")
        return password

    def _set_initial_password(self, password: str) -> subprocess.CompletedProcess:
        """``neo4j-admin dbms set-initial-password`` without the password on the command line
        (where ``ps`` shows it): the main class and its arguments go in a 0600 Java argument
        file (``java @file``), removed at once."""
        argfile = self.home / "run" / f"set-password-{os.getpid()}.args"
        quoted = '"' + password.replace("\\", "\\\\").replace('"', '\\"') + '"'
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("\n".join([ADMIN_CLASS, "dbms", "set-initial-password", "--", quoted]) + "\n")
            env = dict(os.environ, NEO4J_HOME=str(self.home), NEO4J_CONF=str(self.home / "conf"))
            return subprocess.run([self.java(), "-cp", f"{self.lib_dir}/*", f"@{argfile}"],
                                  env=env, capture_output=True, text=True)
        finally:
            argfile.unlink(missing_ok=True)

    # --- java and jars ---------------------------------------------------------------------
    def java(self) -> str:
        """A Java 17 or 21 executable: HFLINEAGE_JAVA, JAVA_HOME, `java` on PATH, /usr/lib/jvm."""
        candidates = []
        env = environment()
        if env.java:
            candidates.append(env.java)
        if env.java_home:
            candidates.append(str(Path(env.java_home) / "bin" / "java"))
        if shutil.which("java"):
            candidates.append(shutil.which("java"))
        candidates += sorted(str(p) for p in Path("/usr/lib/jvm").glob("*/bin/java"))
        seen = []
        for java in candidates:
            major = _java_major(java)
            seen.append(f"{java} ({major or 'unusable'})")
            if major in SUPPORTED_JAVA:
                return java
        raise ServerError(
            f"Neo4j {self.version} needs Java 17 or 21; found: {', '.join(seen) or 'no java'}",
            hint="install openjdk-17-jre-headless or set HFLINEAGE_JAVA",
        )

    def provisioned(self) -> bool:
        return (self.lib_dir / ".complete").is_file()

    def provision(self) -> None:
        """Fetch the server's jars from Maven Central once (about 140 MB)."""
        if self.provisioned():
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ServerError("Maven (mvn) is needed once to fetch the Neo4j jars", hint="apt-get install maven")
        self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
        pom = self.lib_dir.parent / "pom.xml"
        pom.write_text(_pom_text(), encoding="utf-8")
        print(f"fetching Neo4j {self.version} jars from Maven Central into {self.lib_dir} ...", file=sys.stderr)
        proc = subprocess.run(
            [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={self.lib_dir}"],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["(no output)"]
            raise ServerError(f"mvn could not fetch the Neo4j jars: {tail[0]}")
        if not any(self.lib_dir.glob("neo4j-browser-*.jar")):
            raise ServerError(f"{self.lib_dir} has no neo4j-browser jar after mvn ran")
        (self.lib_dir / ".complete").write_text(self.version + "\n", encoding="utf-8")

    def classpath(self) -> str:
        return f"{self.home / 'plugins'}/*:{self.lib_dir}/*"

    # --- config ----------------------------------------------------------------------------
    def write_config(self) -> None:
        _private_dir(self.home)
        for sub in ("conf", "data", "logs", "run", "plugins", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        template = resources.files("hflineage.server").joinpath("neo4j.conf.template").read_text(encoding="utf-8")
        text = template.format(
            home=self.home,
            bolt_port=self.bolt_port,
            http_port=self.http_port,
            heap=environment().heap,
            pagecache=environment().pagecache,
            guide_url=browser.urls(self.http_port)["guide"],
            grass_url=browser.urls(self.http_port)["grass"],
        )
        (self.home / "conf" / "neo4j.conf").write_text(text, encoding="utf-8")

    def install_browser_guide(self) -> Path:
        """The Browser with our guide and graph style inside, served by this server (browser.py)."""
        jars = sorted(self.lib_dir.glob("neo4j-browser-*.jar"))
        if not jars:
            raise ServerError(f"{self.lib_dir} has no neo4j-browser jar", hint="delete it and run `hflineage db start`")
        return browser.install(self.home, jars[-1], self.http_port)

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        """Run `neo4j-admin` (org.neo4j.cli.AdminTool) against this home."""
        env = dict(os.environ, NEO4J_HOME=str(self.home), NEO4J_CONF=str(self.home / "conf"))
        return subprocess.run(
            [self.java(), "-cp", f"{self.lib_dir}/*", ADMIN_CLASS, *args],
            env=env, capture_output=True, text=True,
        )

    # --- lifecycle -------------------------------------------------------------------------
    def pid(self) -> int | None:
        pid = self._state().get("pid")
        if pid and pid_alive(pid):
            return pid
        return None

    def start(self, timeout: float = 180.0) -> Status:
        if self.pid():
            self.wait_ready(timeout)
            return self.status()
        self.provision()
        java = self.java()
        self.write_config()
        self.install_browser_guide()
        first_start = not (self.home / "data" / "databases").exists()
        if first_start:
            password = self._password_for_first_start()
            proc = self._set_initial_password(password)
            if proc.returncode != 0:
                raise ServerError(f"could not set the initial password: {proc.stderr.strip()[:300]}")
        elif self.read_password() is None:
            raise ServerError(
                f"{self.home} holds a database but no password file", hint="set NEO4J_PASSWORD"
            )
        for port in (self.bolt_port, self.http_port):
            if _port_open(port):
                raise ServerError(
                    f"port {port} on 127.0.0.1 is already taken by another process",
                    hint="stop it, or set HFLINEAGE_BOLT_PORT / HFLINEAGE_HTTP_PORT",
                )
        heap = environment().heap
        cmd = [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-cp", self.classpath(), MAIN_CLASS,
               f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}", "--console-mode"]
        log = open(self.home / "logs" / "console.log", "ab")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=self.home)
        log.close()
        self._write_state(pid=proc.pid, bolt_port=self.bolt_port, http_port=self.http_port, version=self.version)
        try:
            self.wait_ready(timeout, proc)
        except ServerError:
            self.stop()
            raise
        return self.status()

    def wait_ready(self, timeout: float, proc: subprocess.Popen | None = None) -> None:
        """Block until Bolt accepts an authenticated session."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, ServiceUnavailable

        deadline = time.monotonic() + timeout
        password = self.read_password()
        last = "no answer"
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise ServerError(
                    f"Neo4j exited with code {proc.returncode} while starting",
                    hint=f"see {self.home / 'logs' / 'console.log'}",
                )
            if _port_open(self.bolt_port):
                try:
                    with GraphDatabase.driver(self.bolt_uri, auth=("neo4j", password)) as driver:
                        driver.verify_connectivity()
                        driver.execute_query("RETURN 1", database_="neo4j")
                    return
                except AuthError as e:
                    raise ServerError(f"the local server rejected the password: {e.message}",
                                      hint=f"check NEO4J_PASSWORD or {self.home / 'password'}") from e
                except (ServiceUnavailable, OSError) as e:
                    last = str(e)
                except Exception as e:  # database still coming online
                    last = str(e)
            time.sleep(0.5)
        raise ServerError(f"Neo4j did not answer on {self.bolt_uri} within {timeout:.0f}s ({last})",
                          hint=f"see {self.home / 'logs' / 'console.log'}")

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server; True when one was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.2)
        if pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
        state = self._state()
        state["pid"] = None
        self._write_state(**state)
        return True

    def status(self) -> Status:
        pid = self.pid()
        version = self.version
        running = False
        if pid is not None and _port_open(self.http_port):
            try:
                with urllib.request.urlopen(self.http_url + "/", timeout=5) as resp:
                    version = json.loads(resp.read()).get("neo4j_version", version)
                running = _port_open(self.bolt_port)
            except OSError:
                running = False
        return Status(running=running, uri=self.bolt_uri, browser_url=self.browser_url,
                      version=version, home=str(self.home), pid=pid)


def _private_dir(path: Path) -> None:
    """The home holds the store, the password and auth data: only its owner may enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _java_major(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def _port_open(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
