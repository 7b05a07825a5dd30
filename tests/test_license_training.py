"""Training-data obligations (SPEC "Datasets and successors"): the datasets of a model and of its
ancestors with distance and via, the policy's training_data rules, the findings in ``license``
and ``license audit``; known answers worked out by hand on small graphs, and one on the real
sample with the datasets fixture, against the real server."""

from __future__ import annotations

import collections
import csv
import io
import json
import re
from importlib import resources

import pyarrow.parquet as pq
import pytest
import yaml

from hflineage.licenses import propagation as lib
from hflineage.loader.datasets_file import load_datasets
from hflineage.loader.load import load

from conftest import REPO, SAMPLE

DATASETS_FIXTURE = REPO / "tests" / "fixtures" / "datasets.parquet"


def lic(license_id: str, *datasets: str) -> list[str]:
    """A row's tags: its license, and its datasets as ``dataset:`` tags."""
    return [f"license:{license_id}", *(f"dataset:{d}" for d in datasets)]


def trained(*datasets: str) -> dict:
    """A model card naming its datasets (``cardData.datasets``)."""
    return {"card": {"datasets": list(datasets)}}


# dataset -> license (None: in the datasets file, no license); ds/ghost is in no file
DATASETS = {"ds/nc": "cc-by-nc-4.0", "ds/mit": "mit", "ds/none": None, "ds/sa": "cc-by-sa-4.0",
            "ds/nd": "cc-by-nc-nd-4.0", "ds/odd": "my-own-data-license"}


def training_graph():
    """r/root (llama3, trained on ds/nc) <- r/ft (llama3, ds/mit) <- r/leaf (apache-2.0): the NC
    data binds r/leaf at distance 2 via r/root, the MIT data at 1 via r/ft binds nothing. Models
    trained directly: o/apache (apache-2.0 on ds/nc and ds/mit), o/mit (on ds/mit), o/unknown (on
    ds/none, ds/ghost, ds/odd: three warnings), o/sa and o/gpl (on ds/sa: share-alike, not binding
    by default), o/nd (cc-by-nc-4.0 on ds/nd: keeps non-commercial, drops no-derivatives), o/nc
    (cc-by-nc-4.0 on ds/nc: keeps it), o/none (no license, on ds/nc). m/a and m/b (llama3) are both
    trained on ds/nc; m/merge (apache-2.0) merges them: via m/a, the smaller id at distance 1."""
    return [
        {"id": "r/root", "tags": lic("llama3"), **trained("ds/nc")},
        {"id": "r/ft", "base": ["r/root"], "relation": "finetune", "tags": lic("llama3", "ds/mit")},
        {"id": "r/leaf", "base": ["r/ft"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "o/apache", "tags": lic("apache-2.0"), **trained("ds/nc", "ds/mit")},
        {"id": "o/mit", "tags": lic("apache-2.0", "ds/mit")},
        {"id": "o/unknown", "tags": lic("apache-2.0"), **trained("ds/none", "ds/ghost", "ds/odd")},
        {"id": "o/sa", "tags": lic("apache-2.0", "ds/sa")},
        {"id": "o/gpl", "tags": lic("gpl-3.0", "ds/sa")},
        {"id": "o/nd", "tags": lic("cc-by-nc-4.0", "ds/nd")},
        {"id": "o/nc", "tags": lic("cc-by-nc-4.0", "ds/nc")},
        {"id": "o/none", "tags": ["dataset:ds/nc"]},
        {"id": "m/b", "tags": lic("llama3", "ds/nc")},
        {"id": "m/a", "tags": lic("llama3", "ds/nc")},
        {"id": "m/merge", "base": ["m/b", "m/a"], "relation": "merge", "tags": lic("apache-2.0")},
    ]


@pytest.fixture
def loaded(graph, make_parquet, make_datasets):
    load(graph, make_parquet(training_graph()), progress=False)
    load_datasets(graph, make_datasets(DATASETS), progress=False)
    return graph


@pytest.fixture
def policy():
    return lib.load_policy()


def _write_policy(tmp_path, change) -> str:
    data = yaml.safe_load(resources.files("hflineage.licenses").joinpath("license_policy.yaml").read_text())
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def findings(doc: dict) -> dict[str, tuple]:
    return {f["dataset"]: (f["severity"], tuple(f["dropped"]), f["distance"], f["via"]) for f in doc["training_findings"]}


# --- license MODEL ---------------------------------------------------------------------------------


def test_an_ancestor_trained_on_nc_data_binds_at_distance_2(loaded, policy):
    doc = lib.model_license(loaded, "r/leaf", policy)
    assert doc["training_data"] == [
        {"dataset": "ds/mit", "license": "mit", "class": "permissive", "distance": 1, "via": "r/ft"},
        {"dataset": "ds/nc", "license": "cc-by-nc-4.0", "class": "non-commercial", "distance": 2, "via": "r/root"}]
    (f,) = doc["training_findings"]
    assert (f["kind"], f["dataset"], f["dataset_license"], f["dataset_terms"], f["via"], f["distance"]) == (
        "training-data", "ds/nc", "cc-by-nc-4.0", "cc-by-nc-4.0", "r/root", 2)
    assert (f["severity"], f["dropped"]) == ("high", ["non-commercial"])
    assert f["reason"] == "apache-2.0 drops non-commercial of training data under cc-by-nc-4.0 (distance 2)"
    assert f["path"] == [{"id": "r/leaf", "relation": "finetune"}, {"id": "r/ft", "relation": "finetune"},
                         {"id": "r/root", "relation": None}]
    # the lineage conflicts are unchanged by the training data (llama3 ancestors, medium)
    assert [(c["ancestor"], c["severity"]) for c in doc["conflicts"]] == [("r/ft", "medium"), ("r/root", "medium")]
    # r/ft keeps llama3 but not non-commercial: the same dataset binds it at distance 1
    assert findings(lib.model_license(loaded, "r/ft", policy)) == {"ds/nc": ("high", ("non-commercial",), 1, "r/root")}


def test_own_training_data(loaded, policy):
    doc = lib.model_license(loaded, "o/apache", policy)
    assert [(d["dataset"], d["distance"], d["via"]) for d in doc["training_data"]] == [
        ("ds/mit", 0, "o/apache"), ("ds/nc", 0, "o/apache")]
    assert findings(doc) == {"ds/nc": ("high", ("non-commercial",), 0, "o/apache")}
    assert doc["training_findings"][0]["path"] == [{"id": "o/apache", "relation": None}]
    assert doc["training_findings"][0]["reason"] == (
        "apache-2.0 drops non-commercial of training data under cc-by-nc-4.0 (distance 0)")
    assert lib.model_license(loaded, "o/mit", policy)["training_findings"] == []  # MIT data binds nothing
    assert lib.model_license(loaded, "o/nc", policy)["training_findings"] == []  # NC model keeps NC data's terms
    # no-derivatives is kept by no license, not even an NC one
    assert findings(lib.model_license(loaded, "o/nd", policy)) == {"ds/nd": ("high", ("no-derivatives",), 0, "o/nd")}
    none = lib.model_license(loaded, "o/none", policy)["training_findings"]
    assert [(f["severity"], f["reason"]) for f in none] == [
        ("high", "declares no license, but training data under cc-by-nc-4.0 (distance 0) binds derivatives: non-commercial")]


def test_missing_and_unknown_dataset_licenses_are_warnings(loaded, policy):
    doc = lib.model_license(loaded, "o/unknown", policy)
    assert doc["training_data"] == [
        {"dataset": "ds/ghost", "license": None, "class": None, "distance": 0, "via": "o/unknown"},
        {"dataset": "ds/none", "license": None, "class": None, "distance": 0, "via": "o/unknown"},
        {"dataset": "ds/odd", "license": "my-own-data-license", "class": "unknown", "distance": 0, "via": "o/unknown"}]
    assert [(f["dataset"], f["severity"], f["dropped"], f["reason"]) for f in doc["training_findings"]] == [
        ("ds/ghost", "warning", [],
         "training data is in no datasets file loaded, so its license is not known (distance 0)"),
        ("ds/none", "warning", [], "training data declares no license (distance 0)"),
        ("ds/odd", "warning", [], "training data under my-own-data-license is not classified by the policy (distance 0)")]


def test_via_is_the_nearest_model_with_the_smallest_id(loaded, policy):
    doc = lib.model_license(loaded, "m/merge", policy)
    assert doc["training_data"] == [
        {"dataset": "ds/nc", "license": "cc-by-nc-4.0", "class": "non-commercial", "distance": 1, "via": "m/a"}]
    assert findings(doc) == {"ds/nc": ("high", ("non-commercial",), 1, "m/a")}
    assert doc["training_findings"][0]["path"] == [{"id": "m/merge", "relation": "merge"}, {"id": "m/a", "relation": None}]


def test_share_alike_binds_only_when_the_policy_says_so(loaded, policy, tmp_path):
    assert lib.model_license(loaded, "o/sa", policy)["training_findings"] == []
    custom = lib.load_policy(_write_policy(
        tmp_path, lambda d: d["training_data"].update({"binding": ["non-commercial", "no-derivatives", "copyleft"]})))
    assert custom.training.binding == ("non-commercial", "no-derivatives", "copyleft")
    doc = lib.model_license(loaded, "o/sa", custom)
    assert findings(doc) == {"ds/sa": ("medium", ("keep-terms",), 0, "o/sa")}
    assert doc["training_findings"][0]["reason"] == "apache-2.0 drops keep-terms of training data under cc-by-sa-4.0 (distance 0)"
    assert lib.model_license(loaded, "o/gpl", custom)["training_findings"] == []  # GPL-3.0: listed as compatible
    # and the other way: nothing binds, and missing licenses are not reported
    quiet = lib.load_policy(_write_policy(
        tmp_path, lambda d: d["training_data"].update({"binding": [], "unknown_license": "none"})))
    assert lib.model_license(loaded, "o/apache", quiet)["training_findings"] == []
    assert lib.model_license(loaded, "o/unknown", quiet)["training_findings"] == []
    assert len(lib.model_license(loaded, "o/unknown", quiet)["training_data"]) == 3  # still listed


@pytest.mark.parametrize("change, message", [
    (lambda d: d["training_data"].update({"binding": ["share-alike"]}),
     r"training_data\.binding: unknown class 'share-alike' \(one of community, copyleft, no-derivatives, "),
    (lambda d: d["training_data"].update({"binding": "copyleft"}), r"training_data\.binding: must be a list"),
    (lambda d: d["training_data"].update({"unknown_license": "loud"}),
     r"training_data\.unknown_license: must be one of none, warning, low, medium, high, not 'loud'"),
    (lambda d: d["training_data"].update({"bind": []}), r"training_data: unknown field 'bind'"),
    (lambda d: d.update({"training_data": ["non-commercial"]}), r"training_data: must be a mapping"),
])
def test_a_bad_training_data_section_is_one_line(tmp_path, change, message):
    path = _write_policy(tmp_path, change)
    with pytest.raises(lib.PolicyError, match=f"license policy {re.escape(path)}: {message}") as e:
        lib.load_policy(path)
    assert "\n" not in str(e.value)


def test_a_policy_without_the_section_gets_the_default(tmp_path):
    without = lib.load_policy(_write_policy(tmp_path, lambda d: d.pop("training_data")))
    assert (without.training.binding, without.training.unknown_license) == (("non-commercial", "no-derivatives"), "warning")
    older = lib.load_policy(_write_policy(tmp_path, lambda d: (d.pop("training_data"), d["classes"].pop("no-derivatives"),
                                                                d["licenses"]["cc-by-nd-4.0"].update({"class": "rail"}))))
    assert older.training.binding == ("non-commercial",)  # only the default classes the file has


# --- license audit ---------------------------------------------------------------------------------


EXPECTED_AUDIT = {  # (model, kind, ancestor or dataset) -> severity, worked out from training_graph()
    ("r/leaf", "lineage", "r/ft"): "medium", ("r/leaf", "lineage", "r/root"): "medium",
    ("r/leaf", "training-data", "ds/nc"): "high", ("r/ft", "training-data", "ds/nc"): "high",
    ("r/root", "training-data", "ds/nc"): "high", ("o/apache", "training-data", "ds/nc"): "high",
    ("o/unknown", "training-data", "ds/ghost"): "warning", ("o/unknown", "training-data", "ds/none"): "warning",
    ("o/unknown", "training-data", "ds/odd"): "warning", ("o/nd", "training-data", "ds/nd"): "high",
    ("o/none", "training-data", "ds/nc"): "high", ("m/a", "training-data", "ds/nc"): "high",
    ("m/b", "training-data", "ds/nc"): "high", ("m/merge", "lineage", "m/a"): "medium",
    ("m/merge", "lineage", "m/b"): "medium", ("m/merge", "training-data", "ds/nc"): "high",
}


def test_audit_lists_training_findings_and_audit_all_agrees(loaded, policy):
    every = lib.audit_all(loaded, policy)
    listed = lib.audit(loaded, [r["id"] for r in training_graph()], policy)
    assert every["conflicts"] == listed["conflicts"]
    got = {(r["model"], r["kind"], r.get("ancestor") or r.get("dataset")): r["severity"] for r in every["conflicts"]}
    assert got == EXPECTED_AUDIT
    assert every["counts"] == {"high": 9, "medium": 4, "low": 0, "warning": 3}
    row = next(r for r in every["conflicts"] if r["model"] == "r/leaf" and r["kind"] == "training-data")
    assert row == {"model": "r/leaf", "license": "apache-2.0", "kind": "training-data", "dataset": "ds/nc",
                   "dataset_license": "cc-by-nc-4.0", "dataset_license_name": None, "dataset_terms": "cc-by-nc-4.0",
                   "via": "r/root", "distance": 2, "severity": "high", "dropped": ["non-commercial"],
                   "reason": "apache-2.0 drops non-commercial of training data under cc-by-nc-4.0 (distance 2)"}
    # worst first, then model, distance, kind: a model's lineage conflicts before its training data
    leaf = [(r["kind"], r["severity"]) for r in every["conflicts"] if r["model"] == "r/leaf"]
    assert leaf == [("training-data", "high"), ("lineage", "medium"), ("lineage", "medium")]
    # warnings fail only a gate at warning
    assert lib.audit(loaded, ["o/unknown"], policy)["failing"] == 0
    assert lib.audit(loaded, ["o/unknown"], policy, fail_on="warning")["failing"] == 3


def test_audit_all_follows_the_policy(loaded, tmp_path):
    custom = lib.load_policy(_write_policy(tmp_path, lambda d: d["training_data"].update(
        {"binding": ["copyleft"], "unknown_license": "medium"})))
    every = lib.audit_all(loaded, custom)
    assert every["conflicts"] == lib.audit(loaded, [r["id"] for r in training_graph()], custom)["conflicts"]
    got = {(r["model"], r["dataset"]): r["severity"] for r in every["conflicts"] if r["kind"] == "training-data"}
    assert got == {("o/sa", "ds/sa"): "medium", ("o/unknown", "ds/ghost"): "medium",
                   ("o/unknown", "ds/none"): "medium", ("o/unknown", "ds/odd"): "medium"}


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_license_json_and_table(loaded, cli):
    result = cli("license", "r/leaf", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [list(d) for d in doc["training_data"]] == [["dataset", "license", "class", "distance", "via"]] * 2
    assert doc["training_findings"][0]["via"] == "r/root"
    table = cli("license", "r/leaf").stdout
    assert "training data (2 dataset(s), nearest first; via: the model trained on it):" in table
    assert "training-data findings (1):" in table
    line = next(t for t in table.splitlines() if t.startswith("2 ") and "ds/nc" in t)
    assert line.split() == ["2", "ds/nc", "cc-by-nc-4.0", "non-commercial", "r/root"]
    assert "apache-2.0 drops non-commercial of training data under cc-by-nc-4.0 (distance 2)" in table
    table = cli("license", "o/unknown").stdout
    assert "training-data findings (0):\n(no rows)\nplus 3 warning(s): dataset licenses missing" in table


def test_cli_audit_gate_and_csv(loaded, cli):
    result = cli("license", "audit", "-", "--format", "csv", input="r/leaf\no/unknown\n")
    assert result.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["severity"], r["kind"], r["model"], r["ancestor"], r["dataset"], r["via"], r["distance"]) for r in rows] == [
        ("high", "training-data", "r/leaf", "", "ds/nc", "r/root", "2"),
        ("medium", "lineage", "r/leaf", "r/ft", "", "", "1"),
        ("medium", "lineage", "r/leaf", "r/root", "", "", "2"),
        ("warning", "training-data", "o/unknown", "", "ds/ghost", "o/unknown", "0"),
        ("warning", "training-data", "o/unknown", "", "ds/none", "o/unknown", "0"),
        ("warning", "training-data", "o/unknown", "", "ds/odd", "o/unknown", "0")]
    assert cli("license", "audit", "-", input="o/unknown\no/mit\n").exit_code == 0  # warnings pass at low
    result = cli("license", "audit", "-", "--fail-on", "warning", input="o/unknown\n")
    assert result.exit_code == 3 and "3 license conflict(s) at or above 'warning'" in result.stderr
    assert "(high 0, medium 0, low 0, warning 3)" in cli("license", "audit", "-", input="o/unknown\n").stdout


# --- the real hub-stats sample with the datasets fixture --------------------------------------------

HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.\-]+)?\Z")


def _sample_expectation(model_id: str, policy) -> list[dict]:
    """training_data of a model of the sample, straight from the parquet files: the datasets its
    card and tags name, its ancestors' by breadth-first search over baseModels, the licenses from
    the datasets file (license: tag, else cardData.license; the last row of an id wins)."""
    rows = {r["id"]: r for r in pq.read_table(SAMPLE, columns=["id", "tags", "cardData", "baseModels"]).to_pylist()}
    licenses = {}
    for r in pq.read_table(DATASETS_FIXTURE).to_pylist():
        tag = next((t.removeprefix("license:") for t in r["tags"] or () if t.startswith("license:")), None)
        licenses[r["id"]] = (tag or json.loads(r["cardData"] or "{}").get("license"),
                             json.loads(r["cardData"] or "{}").get("license_name"))

    def datasets(row) -> set[str]:
        card = json.loads(row["cardData"]) if row["cardData"] else {}
        named = card.get("datasets") if isinstance(card, dict) else None
        named = [named] if isinstance(named, str) else named if isinstance(named, list) else []
        named += [t.removeprefix("dataset:") for t in row["tags"] or () if t.startswith("dataset:")]
        return {d for d in named if isinstance(d, str) and HUB_ID.match(d)}

    distance = {model_id: 0}
    queue = collections.deque([model_id])
    while queue:
        node = queue.popleft()
        bases = sorted(m["id"] for m in (((rows.get(node) or {}).get("baseModels") or {}).get("models") or ()))
        for base in bases:
            if base not in distance:
                distance[base] = distance[node] + 1
                queue.append(base)
    best = {}
    for holder, d in distance.items():
        for ds in datasets(rows[holder]) if holder in rows else ():
            best[ds] = min(best.get(ds, (d, holder)), (d, holder))
    out = []
    for ds, (d, via) in sorted(best.items(), key=lambda kv: (kv[1][0], kv[0])):
        license, name = licenses.get(ds, (None, None))
        resolved = policy.resolve(license, name)
        out.append({"dataset": ds, "license": license, "class": resolved.terms.cls if resolved else None,
                    "distance": d, "via": via})
    return out


def test_real_sample_with_the_datasets_fixture(graph, policy):
    load(graph, str(SAMPLE), progress=False)
    load_datasets(graph, str(DATASETS_FIXTURE), progress=False)
    hermes = "NousResearch/Hermes-2-Pro-Llama-3-8B"
    doc = lib.model_license(graph, hermes, policy)
    expected = _sample_expectation(hermes, policy)
    assert doc["training_data"] == expected
    nc = [e for e in expected if e["class"] in ("non-commercial", "no-derivatives")]
    assert [e["dataset"] for e in nc] == ["teknium/OpenHermes-2.5"] and doc["license"] == "llama3"
    assert findings(doc)["teknium/OpenHermes-2.5"] == ("high", ("non-commercial",), 0, hermes)
    # a merge seven hops below models trained on the NC data
    deep = "jaspionjader/bbb-6"
    doc = lib.model_license(graph, deep, policy)
    expected = _sample_expectation(deep, policy)
    assert doc["training_data"] == expected
    hermes_data = next(e for e in expected if e["dataset"] == "teknium/OpenHermes-2.5")
    got = next(f for f in doc["training_findings"] if f["dataset"] == "teknium/OpenHermes-2.5")
    assert (got["distance"], got["via"], got["severity"]) == (hermes_data["distance"], hermes_data["via"], "high")
    assert len(got["path"]) == got["distance"] + 1 and got["path"][-1]["id"] == got["via"]
    # the whole-graph audit gives the per-model rows, training data included
    every = lib.audit_all(graph, policy)
    chosen = [hermes, deep, "jaspionjader/Kosmos-EVAA-Franken-stock-v42-8B", "bamec66557/VICIOUS_MESH-12B-GAMMA",
              "teknium/OpenHermes-2.5-Mistral-7B", "Aryanne/SuperHeart"]
    listed = lib.audit(graph, chosen, policy)
    assert listed["conflicts"] == [r for r in every["conflicts"] if r["model"] in set(chosen)]
    assert sum(r["kind"] == "training-data" and r["severity"] == "high" for r in listed["conflicts"]) >= 4
