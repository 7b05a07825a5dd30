"""The local server: status, Browser UI over HTTP, the Query API as Browser uses it, compose file."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.request

import pytest

from hflineage.cypher import registry
from hflineage.loader.load import load

from conftest import REPO
from graphs import small_tree


def test_status_json(cli, server):
    result = cli("db", "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["running"] is True
    assert doc["uri"] == server.bolt_uri
    assert doc["browser_url"] == f"http://127.0.0.1:{server.http_port}/browser/"
    assert doc["version"] == server.version and doc["version"].startswith("5.26.")


def test_start_is_idempotent_while_running(cli, server):
    pid = server.pid()
    result = cli("db", "start", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pid"] == pid


def test_password_file_is_private(server):
    path = server.home / "password"
    assert path.stat().st_mode & 0o777 == 0o600


def test_browser_page_is_served(server):
    with urllib.request.urlopen(server.browser_url, timeout=10) as resp:
        body = resp.read().decode("utf-8", "replace")
        assert resp.status == 200
    assert "<title>Neo4j Browser</title>" in body


def test_http_listens_on_loopback_with_auth(server):
    request = urllib.request.Request(
        f"{server.http_url}/db/neo4j/query/v2", data=b'{"statement": "RETURN 1"}',
        headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 401


def test_stored_query_over_the_query_api(graph, server, make_parquet):
    """What Browser does with a pasted query after `:param model_id => "org/B"`: the same text,
    sent over HTTP with the parameters beside it, gives the same answer as Bolt."""
    load(graph, make_parquet(small_tree()), progress=False)
    text = registry().get("show").text
    token = base64.b64encode(f"neo4j:{server.read_password()}".encode()).decode()
    request = urllib.request.Request(
        f"{server.http_url}/db/neo4j/query/v2",
        data=json.dumps({"statement": text, "parameters": {"model_id": "org/B"}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        doc = json.loads(resp.read())
    fields, (values,) = doc["data"]["fields"], doc["data"]["values"]
    row = dict(zip(fields, values))
    assert row["id"] == "org/B" and row["descendants"] == 3 and row["depth"] == 1
    assert row["children"] == {"adapter": 0, "finetune": 0, "quantized": 1, "merge": 1}
    assert row == {**row, **{k: v for k, v in graph.read("show", model_id="org/B")[0].items()
                             if k in ("id", "descendants", "depth", "children", "license")}}


def _compose_command():
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_file_is_valid(tmp_path):
    compose = _compose_command()
    assert compose, "neither 'docker compose' nor 'docker-compose' is installed (.ci/run installs docker-compose)"
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    proc = subprocess.run([*compose, "config"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "127.0.0.1:7474:7474" in out and "127.0.0.1:7687:7687" in out
    assert "neo4j/change-me-please" in out  # the password comes from .env
    assert "healthcheck" in out and "neo4j-data" in out
    pom = (REPO / "server" / "pom.xml").read_text()
    version = pom.split("<neo4j.version>")[1].split("<")[0]
    assert f"image: neo4j:{version}-community" in out, "compose image and server/pom.xml disagree"
    # without a password the file refuses to render
    (tmp_path / ".env").unlink()
    proc = subprocess.run([*compose, "config"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "NEO4J_PASSWORD" in proc.stderr
