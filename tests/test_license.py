"""License propagation: the policy file, the conflict rules and the three commands, with
known answers on small hand-built graphs and on the real hub-stats sample, against the real server."""

from __future__ import annotations

import collections
import csv
import io
import json
import random
import re
from importlib import resources

import pytest
import yaml

from hflineage.licenses import propagation as lib
from hflineage.store.errors import ModelNotFound
from hflineage.loader.load import load

from conftest import SAMPLE, SHARED


def lic(license_id: str) -> list[str]:
    return [f"license:{license_id}"]


def other(name: str) -> dict:
    """A row's license fields for ``license: other`` named ``name`` (as the Hub writes them)."""
    return {"tags": ["license:other"], "card": {"license": "other", "license_name": name}}


def conflicts_by_ancestor(doc: dict) -> dict[str, tuple]:
    return {c["ancestor"]: (c["severity"], tuple(c["dropped"])) for c in doc["conflicts"]}


@pytest.fixture
def policy():
    return lib.load_policy()


# --- the policy file ---------------------------------------------------------------------------


def test_every_hub_license_id_is_classified(policy):
    hub = json.loads((SHARED / "data" / "hf_license_ids.json").read_text(encoding="utf-8"))["licenses"]
    assert len(hub) == 83
    for entry in hub:
        resolved = policy.resolve(entry["id"])
        assert resolved.via == "id", entry["id"]
        assert resolved.terms.cls in policy.classes
    assert set(policy.classes) == {"permissive", "copyleft", "non-commercial", "no-derivatives", "rail", "community",
                                   "unknown"}


def test_spdx_ids_come_from_license_expression(policy):
    # left out in the file: derived by SPDX normalisation; given: checked; none exists: null
    assert policy.licenses["apache-2.0"].spdx == "Apache-2.0"
    assert policy.licenses["gpl-3.0"].spdx == "GPL-3.0-only"
    assert policy.licenses["agpl-3.0"].spdx == "AGPL-3.0-only"
    assert policy.licenses["pddl"].spdx == "PDDL-1.0"
    assert policy.licenses["llama3"].spdx is None and policy.licenses["openrail"].spdx is None
    # a declared license spelled as an SPDX id (not a Hub id) resolves through it
    assert policy.resolve("GPL-3.0-or-later").key == "gpl-3.0"
    assert policy.resolve("Apache-2.0").via == "id"  # case-insensitive Hub id
    assert policy.resolve("CC-BY-NC-4.0").terms.cls == "non-commercial"


def test_other_is_resolved_by_license_name(policy):
    assert policy.resolve("other", "tongyi-qianwen").terms.cls == "community"
    assert policy.resolve("other", "flux-1-dev-non-commercial-license").terms.cls == "non-commercial"
    assert policy.resolve("other", "Gemma-Terms-Of-Use").key == "gemma"  # an alias, any case
    assert policy.resolve("other", "llama3").key == "llama3"  # a Hub id as the name
    assert policy.resolve("other", "Apache-2.0").key == "apache-2.0"  # an SPDX id as the name
    unnamed = policy.resolve("other", "some-custom-terms")
    assert (unnamed.key, unnamed.via, unnamed.terms.key) == ("other:some-custom-terms", "fallback", "other")
    assert policy.resolve("my-own-license").terms.key == "unknown"
    assert policy.resolve(None) is None and policy.resolve("  ") is None


def _write_policy(tmp_path, change) -> str:
    data = yaml.safe_load(resources.files("hflineage.licenses").joinpath("license_policy.yaml").read_text())
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["licenses"]["mit"].update({"class": "permisive"}), r"licenses\.mit: class must be one of"),
    (lambda d: d["licenses"]["gemma"].update({"obligations": ["keep-terms", "be-nice"]}),
     r"licenses\.gemma: unknown obligation 'be-nice'"),
    (lambda d: d["licenses"]["mit"].update({"spdx": "MIT-9.9"}), r"licenses\.mit: spdx 'MIT-9.9' is not a known SPDX"),
    (lambda d: d["licenses"]["mit"].update({"colour": "blue"}), r"licenses\.mit: unknown field 'colour'"),
    (lambda d: d["licenses"].pop("unknown"), r"licenses\.unknown: is required"),
    (lambda d: d["license_names"].update({"x-terms": {"same_as": "nothing-here"}}),
     r"license_names\.x-terms: same_as 'nothing-here'"),
    (lambda d: d["licenses"]["llama3"].update({"compatible": ["llama9"]}), r"licenses\.llama3: compatible names 'llama9'"),
    (lambda d: d["obligations"]["keep-terms"].update({"severity": "huge"}), r"obligations\.keep-terms: severity must be"),
    (lambda d: d["licenses"].update({"MIT": {"class": "permissive", "obligations": []}}), r"licenses\.(MIT|mit): is listed twice"),
])
def test_a_bad_policy_names_the_file_and_the_entry(tmp_path, change, message):
    path = _write_policy(tmp_path, change)
    with pytest.raises(lib.PolicyError, match=f"license policy {re.escape(path)}: {message}"):
        lib.load_policy(path)


def test_unreadable_or_invalid_yaml_policy(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("licenses: {mit: [unclosed\n", encoding="utf-8")
    with pytest.raises(lib.PolicyError, match=rf"license policy {re.escape(str(bad))}: not valid YAML \(line"):
        lib.load_policy(bad)
    with pytest.raises(lib.PolicyError, match="cannot read it"):
        lib.load_policy(tmp_path / "absent.yaml")


# --- the conflict rules on hand-built graphs ----------------------------------------------------


def merge_graph():
    """Two roots (llama3, cc-by-nc-4.0); a llama3 finetune; a merge of the finetune and the NC root
    declaring apache-2.0; an unlicensed finetune of the merge; a diamond merge reaching the llama
    root both directly and through the finetune."""
    return [
        {"id": "base/llama", "tags": lic("llama3")},
        {"id": "base/nc", "tags": lic("cc-by-nc-4.0")},
        {"id": "org/ft", "base": ["base/llama"], "relation": "finetune", "tags": lic("llama3.1")},
        {"id": "org/merge", "base": ["org/ft", "base/nc"], "relation": "merge", "tags": lic("apache-2.0")},
        {"id": "org/child", "base": ["org/merge"], "relation": "finetune"},
        {"id": "org/diamond", "base": ["org/ft", "base/llama"], "relation": "merge", "tags": lic("llama3")},
    ]


def test_a_merge_inherits_from_every_parent(graph, make_parquet, policy):
    load(graph, make_parquet(merge_graph()), progress=False)
    doc = lib.model_license(graph, "org/merge", policy)
    assert (doc["license"], doc["terms"], doc["class"], doc["spdx"]) == ("apache-2.0", "apache-2.0", "permissive", "Apache-2.0")
    assert [(a["id"], a["license"], a["distance"]) for a in doc["inherited"]] == [
        ("base/nc", "cc-by-nc-4.0", 1), ("org/ft", "llama3.1", 1), ("base/llama", "llama3", 2)]
    assert conflicts_by_ancestor(doc) == {
        "base/nc": ("high", ("non-commercial",)),
        "org/ft": ("medium", ("keep-terms", "use-restrictions")),
        "base/llama": ("medium", ("keep-terms", "use-restrictions")),
    }
    assert [c["ancestor"] for c in doc["conflicts"]] == ["base/nc", "org/ft", "base/llama"]  # worst first
    assert doc["effective"] == {"keep-terms": ["llama3", "llama3.1"], "use-restrictions": ["llama3", "llama3.1"],
                                "non-commercial": ["cc-by-nc-4.0"],
                                "attribution": ["cc-by-nc-4.0", "llama3", "llama3.1"]}
    reason = next(c["reason"] for c in doc["conflicts"] if c["ancestor"] == "base/nc")
    assert reason == "apache-2.0 drops non-commercial of cc-by-nc-4.0 (distance 1)"
    path = next(a["path"] for a in doc["inherited"] if a["id"] == "base/llama")
    assert path == [{"id": "org/merge", "relation": "merge"}, {"id": "org/ft", "relation": "finetune"},
                    {"id": "base/llama", "relation": None}]


def test_declaring_nothing_under_binding_ancestors_is_a_conflict(graph, make_parquet, policy):
    load(graph, make_parquet(merge_graph()), progress=False)
    doc = lib.model_license(graph, "org/child", policy)
    assert doc["license"] is None and doc["terms"] is None
    # org/merge is apache-2.0: attribution only, which never raises a conflict
    assert conflicts_by_ancestor(doc) == {
        "base/nc": ("high", ("non-commercial",)),
        "org/ft": ("medium", ("keep-terms", "use-restrictions")),
        "base/llama": ("medium", ("keep-terms", "use-restrictions")),
    }
    assert {c["ancestor"]: c["distance"] for c in doc["conflicts"]} == {"base/nc": 2, "org/ft": 2, "base/llama": 3}
    assert all(c["reason"].startswith("declares no license, but ") for c in doc["conflicts"])


def test_merge_diamond_uses_the_shortest_distance(graph, make_parquet, policy):
    load(graph, make_parquet(merge_graph()), progress=False)
    doc = lib.model_license(graph, "org/diamond", policy)
    assert [(a["id"], a["distance"]) for a in doc["inherited"]] == [("base/llama", 1), ("org/ft", 1)]
    assert doc["conflicts"] == []  # llama3 keeps llama3.1's terms: the policy lists them as compatible
    assert [a["path"] for a in doc["inherited"]] == [None, None]  # a path is spelt out only for a conflict


def test_deep_chain(graph, make_parquet, policy):
    """c0 (gemma) <- c1 <- ... <- c11: c6 declares nothing, c11 declares mit, the rest gemma."""
    rows = [{"id": "chain/c0", "tags": lic("gemma")}]
    for i in range(1, 12):
        tags = [] if i == 6 else lic("mit") if i == 11 else lic("gemma")
        rows.append({"id": f"chain/c{i}", "base": [f"chain/c{i - 1}"], "relation": "finetune", "tags": tags})
    load(graph, make_parquet(rows), progress=False)
    leaf = lib.model_license(graph, "chain/c11", policy)
    assert [(a["id"], a["distance"]) for a in leaf["inherited"]] == [(f"chain/c{10 - k}", k + 1) for k in range(11)]
    assert len(leaf["inherited"][-1]["path"]) == 12
    expected = {f"chain/c{i}": ("medium", ("keep-terms", "use-restrictions")) for i in range(11) if i != 6}
    assert conflicts_by_ancestor(leaf) == expected
    middle = lib.model_license(graph, "chain/c6", policy)
    assert set(conflicts_by_ancestor(middle)) == {f"chain/c{i}" for i in range(6)}
    assert lib.model_license(graph, "chain/c5", policy)["conflicts"] == []


def test_missing_base_imposes_nothing(graph, make_parquet, policy):
    rows = [
        {"id": "u/q", "base": ["ghost/base"], "relation": "quantized", "tags": lic("apache-2.0")},
        {"id": "u/r", "base": ["u/q"], "relation": "finetune"},
    ]
    load(graph, make_parquet(rows), progress=False)
    doc = lib.model_license(graph, "u/r", policy)
    assert [(a["id"], a["license"], a["distance"], a["missing"]) for a in doc["inherited"]] == [
        ("u/q", "apache-2.0", 1, False), ("ghost/base", None, 2, True)]
    assert doc["conflicts"] == [] and doc["effective"] == {"attribution": ["apache-2.0"]}
    ghost = lib.model_license(graph, "ghost/base", policy)
    assert ghost["missing"] is True and ghost["inherited"] == []
    with pytest.raises(ModelNotFound, match="model 'nobody/nothing' is not in the graph"):
        lib.model_license(graph, "nobody/nothing", policy)


def test_clean_licenses_raise_nothing(graph, make_parquet, policy):
    rows = [
        {"id": "r/apache", "tags": lic("apache-2.0")},
        {"id": "r/mit-child", "base": ["r/apache"], "relation": "finetune", "tags": lic("mit")},
        {"id": "r/silent-child", "base": ["r/apache"], "relation": "adapter"},
        {"id": "r/nc", "tags": lic("cc-by-nc-4.0")},
        {"id": "r/nc-sa-child", "base": ["r/nc"], "relation": "finetune", "tags": lic("cc-by-nc-sa-4.0")},
        {"id": "r/rail", "tags": lic("creativeml-openrail-m")},
        {"id": "r/rail-child", "base": ["r/rail"], "relation": "finetune", "tags": lic("openrail++")},
        {"id": "r/sa", "tags": lic("cc-by-sa-4.0")},
        {"id": "r/gpl-child", "base": ["r/sa"], "relation": "finetune", "tags": lic("gpl-3.0")},
    ]
    load(graph, make_parquet(rows), progress=False)
    for model in ("r/mit-child", "r/silent-child", "r/nc-sa-child", "r/rail-child", "r/gpl-child"):
        assert lib.model_license(graph, model, policy)["conflicts"] == [], model
    audit = lib.audit(graph, [r["id"] for r in rows], policy)
    assert audit["conflicts"] == [] and audit["checked"] == len(rows) and audit["failing"] == 0


def test_conflicting_licenses_and_their_severities(graph, make_parquet, policy):
    rows = [
        {"id": "r/gemma", "tags": lic("gemma")},
        {"id": "r/apache-on-gemma", "base": ["r/gemma"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "r/rail", "tags": lic("bigscience-openrail-m")},
        {"id": "r/apache-on-rail", "base": ["r/rail"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "r/nd", "tags": lic("cc-by-nc-nd-4.0")},
        {"id": "r/same-on-nd", "base": ["r/nd"], "relation": "quantized", "tags": lic("cc-by-nc-nd-4.0")},
        {"id": "r/gpl", "tags": lic("gpl-3.0")},
        {"id": "r/mit-on-gpl", "base": ["r/gpl"], "relation": "finetune", "tags": lic("mit")},
        {"id": "r/unknown-on-gemma", "base": ["r/gemma"], "relation": "finetune", "tags": lic("unknown")},
    ]
    load(graph, make_parquet(rows), progress=False)

    def only(model):
        (conflict,) = lib.model_license(graph, model, policy)["conflicts"]
        return conflict["severity"], tuple(conflict["dropped"])

    assert only("r/apache-on-gemma") == ("medium", ("keep-terms", "use-restrictions"))
    assert only("r/apache-on-rail") == ("medium", ("use-restrictions",))
    assert only("r/same-on-nd") == ("high", ("no-derivatives",))  # no derivative keeps ND
    assert only("r/mit-on-gpl") == ("medium", ("keep-terms",))
    assert only("r/unknown-on-gemma") == ("low", ("keep-terms", "use-restrictions"))  # unknown caps at low


def test_other_with_license_name(graph, make_parquet, policy):
    rows = [
        {"id": "q/base", **other("tongyi-qianwen")},
        {"id": "q/apache", "base": ["q/base"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "q/alias", "base": ["q/base"], "relation": "finetune", **other("tongyi-qianwen-license-agreement")},
        {"id": "q/qwen", "base": ["q/base"], "relation": "finetune", **other("qwen")},
        {"id": "q/custom", "base": ["q/base"], "relation": "finetune", **other("my-custom-license")},
        {"id": "f/flux", **other("flux-1-dev-non-commercial-license")},
        {"id": "f/lora", "base": ["f/flux"], "relation": "adapter", "tags": lic("apache-2.0")},
        {"id": "x/custom", **other("acme-model-terms")},
        {"id": "x/mit", "base": ["x/custom"], "relation": "finetune", "tags": lic("mit")},
        {"id": "x/same", "base": ["x/custom"], "relation": "finetune", **other("ACME-model-terms")},
    ]
    load(graph, make_parquet(rows), progress=False)
    doc = lib.model_license(graph, "q/apache", policy)
    (conflict,) = doc["conflicts"]
    assert (conflict["ancestor_license"], conflict["ancestor_terms"], conflict["severity"]) == (
        "other", "tongyi-qianwen", "medium")
    assert conflict["reason"] == "apache-2.0 drops keep-terms, use-restrictions of other (tongyi-qianwen) (distance 1)"
    assert doc["inherited"][0]["license_name"] == "tongyi-qianwen" and doc["inherited"][0]["class"] == "community"
    assert lib.model_license(graph, "q/alias", policy)["conflicts"] == []  # same_as: the same license
    assert lib.model_license(graph, "q/qwen", policy)["conflicts"] == []  # listed as compatible
    custom = lib.model_license(graph, "q/custom", policy)["conflicts"]
    assert [(c["severity"], c["dropped"]) for c in custom] == [("low", ["keep-terms", "use-restrictions"])]
    (flux,) = lib.model_license(graph, "f/lora", policy)["conflicts"]
    assert flux["severity"] == "high" and "non-commercial" in flux["dropped"]
    (unnamed,) = lib.model_license(graph, "x/mit", policy)["conflicts"]
    assert (unnamed["severity"], unnamed["ancestor_terms"]) == ("low", "other:acme-model-terms")
    assert lib.model_license(graph, "x/same", policy)["conflicts"] == []  # the same unknown name


def test_audit_all_equals_the_per_model_answers(graph, make_parquet, policy):
    load(graph, make_parquet(merge_graph()), progress=False)
    every = lib.audit_all(graph, policy)
    listed = lib.audit(graph, [r["id"] for r in merge_graph()], policy)
    assert every["conflicts"] == listed["conflicts"] and len(every["conflicts"]) == 6
    assert every["counts"] == {"high": 2, "medium": 4, "low": 0, "warning": 0}
    assert lib.audit(graph, ["org/merge"], policy, fail_on="high")["failing"] == 1
    assert lib.audit(graph, ["org/ft", "org/diamond"], policy, fail_on="low")["failing"] == 0


def test_downstream_lists_who_drops_the_terms(graph, make_parquet, policy):
    load(graph, make_parquet(merge_graph()), progress=False)
    doc = lib.downstream(graph, "base/llama", policy)
    assert doc["binds"] == ["keep-terms", "use-restrictions"] and doc["descendants"] == 4
    assert [(d["id"], d["distance"], d["severity"]) for d in doc["bound"]] == [
        ("org/diamond", 1, None), ("org/ft", 1, None), ("org/merge", 2, "medium"), ("org/child", 3, "medium")]
    assert [c["id"] for c in doc["conflicts"]] == ["org/merge", "org/child"]
    nc = lib.downstream(graph, "base/nc", policy)
    assert [(c["id"], c["severity"]) for c in nc["conflicts"]] == [("org/merge", "high"), ("org/child", "high")]
    assert lib.downstream(graph, "org/merge", policy)["bound"] == []  # apache-2.0 binds nothing


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_license_json_keys(graph, cli, make_parquet):
    cli("load", make_parquet(merge_graph()))
    result = cli("license", "org/merge", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"id", "license", "inherited", "conflicts"} <= set(doc)
    assert {"id", "license", "distance"} <= set(doc["inherited"][0])
    assert {"ancestor", "ancestor_license", "reason", "severity"} <= set(doc["conflicts"][0])
    # options before MODEL work too, and so does the table
    assert json.loads(cli("license", "--format", "json", "org/merge").stdout) == doc
    table = cli("license", "org/merge").stdout
    assert "apache-2.0 drops non-commercial of cc-by-nc-4.0 (distance 1)" in table
    assert "org/merge -merge-> org/ft -finetune-> base/llama" in table
    rows = list(csv.DictReader(io.StringIO(cli("license", "org/merge", "--format", "csv").stdout)))
    assert [(r["ancestor"], r["distance"], r["severity"]) for r in rows] == [
        ("base/nc", "1", "high"), ("org/ft", "1", "medium"), ("base/llama", "2", "medium")]


def test_cli_unknown_model_and_bad_policy_are_one_line(graph, cli, tmp_path):
    result = cli("license", "nobody/nothing")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: model 'nobody/nothing' is not in the graph"
    bad = _write_policy(tmp_path, lambda d: d["licenses"]["mit"].update({"class": "nope"}))
    result = cli("license", "audit", "--all", "--policy", bad)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert f"license policy {bad}: licenses.mit: class must be one of" in result.stderr


def test_cli_audit_exit_codes_and_fail_on(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(merge_graph()))
    ids = tmp_path / "ids.txt"
    ids.write_text("# shipped models\norg/merge\n\nnobody/nothing\n", encoding="utf-8")
    result = cli("license", "audit", str(ids), "--format", "json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)  # the rows are printed before the failing exit
    assert doc["unknown"] == ["nobody/nothing"] and doc["checked"] == 1
    assert [(r["model"], r["ancestor"], r["severity"]) for r in doc["conflicts"]] == [
        ("org/merge", "base/nc", "high"), ("org/merge", "org/ft", "medium"), ("org/merge", "base/llama", "medium")]
    assert "3 license conflict(s) at or above 'low'" in result.stderr
    # org/ft and org/diamond are clean; ids may come from stdin, piped or as '-'
    assert cli("license", "audit", input="org/ft\norg/diamond\n").exit_code == 0
    assert cli("license", "audit", "-", "--fail-on", "high", input="org/child\n").exit_code == 3
    assert cli("license", "audit", "--fail-on", "high", input="org/ft\n").exit_code == 0
    result = cli("license", "audit", "--all", "--format", "csv", "--fail-on", "medium")
    assert result.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 6 and set(rows[0]) >= {"severity", "model", "ancestor", "ancestor_license", "reason"}
    assert cli("license", "audit", "--all", str(ids)).exit_code == 2  # FILE or --all


def test_cli_audit_clean_graph_exits_0(graph, cli, make_parquet):
    cli("load", make_parquet([{"id": "a/x", "tags": lic("mit")},
                              {"id": "a/y", "base": ["a/x"], "relation": "finetune"}]))
    result = cli("license", "audit", "--all")
    assert result.exit_code == 0, result.stderr
    assert "0 conflict(s) over 2 model(s)" in result.stdout


def test_cli_downstream(graph, cli, make_parquet):
    cli("load", make_parquet(merge_graph()))
    result = cli("license", "downstream", "base/nc", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["id"] == "base/nc" and [c["id"] for c in doc["conflicts"]] == ["org/merge", "org/child"]
    table = cli("license", "downstream", "base/llama", "--conflicts-only").stdout
    assert "org/merge" in table and "org/diamond" not in table


def test_cli_policy_from_env_is_editable_data(graph, cli, make_parquet, tmp_path, monkeypatch):
    """Reclassify apache-2.0 as share-alike and make attribution count: the answers change."""
    def stricter(d):
        d["licenses"]["apache-2.0"].update({"class": "copyleft", "obligations": ["keep-terms", "attribution"]})
        d["obligations"]["attribution"]["severity"] = "low"
    rows = [{"id": "p/apache", "tags": lic("apache-2.0")},
            {"id": "p/mit", "base": ["p/apache"], "relation": "finetune", "tags": lic("mit")},
            {"id": "p/none", "base": ["p/apache"], "relation": "finetune"}]
    cli("load", make_parquet(rows))
    assert cli("license", "audit", "--all").exit_code == 0
    monkeypatch.setenv(lib.POLICY_ENV, _write_policy(tmp_path, stricter))
    doc = json.loads(cli("license", "audit", "--all", "--format", "json").stdout)
    assert {(r["model"], r["severity"], tuple(r["dropped"])) for r in doc["conflicts"]} == {
        ("p/mit", "medium", ("keep-terms",)), ("p/none", "medium", ("keep-terms", "attribution"))}


# --- the real hub-stats sample ---------------------------------------------------------------------


def _graph_parents(graph) -> dict[str, list[str]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (c:Model)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model) RETURN c.id AS c, b.id AS b",
        database_=graph.database)
    parents = collections.defaultdict(list)
    for r in records:
        parents[r["c"]].append(r["b"])
    return parents


def _bfs(parents: dict, start: str) -> dict[str, int]:
    seen = {start: 0}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        for p in parents.get(node, ()):
            if p not in seen:
                seen[p] = seen[node] + 1
                queue.append(p)
    del seen[start]
    return seen


def test_real_sample_known_answers(graph, policy):
    load(graph, str(SAMPLE), progress=False)
    # A merge (llama3.1) of a cc-by-nc-4.0 merge and a llama3 model; hand-read from the rows:
    # Heart_Stolen (NC) at 1, its NC parents Lumimaid and Stheno-v3.2 at 2; 7 of the 15 ancestors
    # are absent from the file; the llama3 parent is kept (llama3.x are compatible).
    doc = lib.model_license(graph, "Aryanne/SuperHeart", policy)
    assert doc["license"] == "llama3.1" and len(doc["inherited"]) == 15
    assert sum(a["missing"] for a in doc["inherited"]) == 7
    assert conflicts_by_ancestor(doc) == {
        "DreadPoor/Heart_Stolen-8B-Model_Stock": ("high", ("non-commercial",)),
        "NeverSleep/Lumimaid-v0.2-8B": ("high", ("non-commercial",)),
        "Sao10K/L3-8B-Stheno-v3.2": ("high", ("non-commercial",)),
    }
    assert {a["id"]: a["distance"] for a in doc["inherited"]}["meta-llama/Llama-3.1-8B"] == 3
    # mit on a Qwen research model (other + license_name qwen-research), two hops deep
    doc = lib.model_license(graph, "Ahdoot/Test_StealthThinker", policy)
    assert [(a["id"], a["license"], a["license_name"], a["distance"]) for a in doc["inherited"]] == [
        ("Qwen/Qwen2.5-3B-Instruct", "other", "qwen-research", 1), ("Qwen/Qwen2.5-3B", "other", "qwen-research", 2)]
    assert conflicts_by_ancestor(doc) == {
        "Qwen/Qwen2.5-3B-Instruct": ("high", ("keep-terms", "non-commercial")),
        "Qwen/Qwen2.5-3B": ("high", ("keep-terms", "non-commercial"))}
    # llama3 on an NC merge, beside an `other` without license_name (capped at low)
    doc = lib.model_license(graph, "Casual-Autopsy/L3-Umbral-Mind-RP-v2.0-8B", policy)
    assert {k: v[0] for k, v in conflicts_by_ancestor(doc).items()} == {
        "tannedbum/L3-Nymeria-Maid-8B": "high", "Sao10K/L3-8B-Stheno-v3.2": "high",
        "Nitral-AI/Hathor_Stable-v0.2-L3-8B": "low"}
    # downstream of an NC root: SuperHeart drops its terms, Nymeria-Maid (also NC) keeps them
    down = {d["id"]: d for d in lib.downstream(graph, "Sao10K/L3-8B-Stheno-v3.2", policy)["bound"]}
    assert (down["Aryanne/SuperHeart"]["distance"], down["Aryanne/SuperHeart"]["severity"]) == (2, "high")
    assert (down["tannedbum/L3-Nymeria-Maid-8B"]["distance"], down["tannedbum/L3-Nymeria-Maid-8B"]["severity"]) == (1, None)


def test_real_sample_distances_and_audit_agree(graph, policy):
    """The 75-deep merge ladder: every ancestor once, at its BFS distance; and the whole-graph
    audit (one walk down from each binding ancestor) equals the per-model answers."""
    load(graph, str(SAMPLE), progress=False)
    parents = _graph_parents(graph)
    doc = lib.model_license(graph, "jaspionjader/bh-64", policy)
    expected = _bfs(parents, "jaspionjader/bh-64")
    assert len(expected) == 257
    assert {a["id"]: a["distance"] for a in doc["inherited"]} == expected
    in_conflict = {c["ancestor"] for c in doc["conflicts"]}
    assert {a["id"] for a in doc["inherited"] if a["path"] is not None} == in_conflict
    for a in (a for a in doc["inherited"] if a["id"] in in_conflict):  # each path is a real path of that length
        ids = [h["id"] for h in a["path"]]
        assert len(ids) == a["distance"] + 1 and ids[0] == "jaspionjader/bh-64" and ids[-1] == a["id"]
        assert all(b in parents[c] for c, b in zip(ids, ids[1:]))
    every = lib.audit_all(graph, policy)
    with_bases = sorted(parents)
    chosen = random.Random(7).sample(with_bases, 60) + ["jaspionjader/bh-64", "Aryanne/SuperHeart"]
    listed = lib.audit(graph, chosen, policy)
    assert listed["conflicts"] == [r for r in every["conflicts"] if r["model"] in set(chosen)]
    assert len(listed["conflicts"]) > 20  # the sample is full of conflicts: the check is not vacuous


def test_a_deep_chain_answers_in_proportion_to_its_lineage(graph, make_parquet, cli):
    """c0 (gemma) <- c1 <- ... <- c1200, all mit below c0: the leaf's answer lists 1,200 ancestors
    once each with its distance, and one path, to the only ancestor in conflict. A path for
    every ancestor made the JSON grow with depth² (and the server query ran out of memory)."""
    depth = 1200
    rows = [{"id": "chain/c0", "tags": lic("gemma")}]
    rows += [{"id": f"chain/c{i}", "base": [f"chain/c{i - 1}"], "relation": "finetune", "tags": lic("mit")}
             for i in range(1, depth + 1)]
    load(graph, make_parquet(rows), progress=False)
    result = cli("license", f"chain/c{depth}", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(a["id"], a["distance"]) for a in doc["inherited"]] == [(f"chain/c{depth - k}", k) for k in range(1, depth + 1)]
    assert [(c["ancestor"], c["distance"]) for c in doc["conflicts"]] == [("chain/c0", depth)]
    (with_path,) = [a for a in doc["inherited"] if a["path"] is not None]
    assert with_path["id"] == "chain/c0"
    assert [h["id"] for h in with_path["path"]] == [f"chain/c{i}" for i in range(depth, -1, -1)]
    assert [h["relation"] for h in with_path["path"]] == ["finetune"] * depth + [None]
    assert len(result.stdout) < 400 * depth  # a few hundred bytes per ancestor, not per hop of every path
