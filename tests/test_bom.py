"""``hflineage bom``: CycloneDX ML-BOMs whose pedigree and dependencies are the lineage graph, on
known-answer lineages (a merge diamond, a missing base, a chain of 5), every document checked by
cyclonedx-python-lib's strict JSON validator (schema 1.6), against the real server."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import hflineage
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hflineage.outputs import bom as lib
from hflineage.store.errors import ModelNotFound
from hflineage.licenses.propagation import load_policy
from hflineage.loader.datasets_file import load_datasets
from hflineage.loader.load import load
from conftest import REPO, SAMPLE, declared_datasets
from graphs import lic, license_diamond as diamond, load_trained


@pytest.fixture
def policy():
    return load_policy()


def validated(text: str, version=SchemaVersion.V1_6) -> dict:
    error = JsonStrictValidator(version).validate_str(text)
    assert error is None, error
    return json.loads(text)


def make(graph, ids, policy) -> dict:
    return validated(lib.to_json(lib.build_bom(graph, ids, policy)))


def props(component: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in component.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def top(doc: dict, model_id: str) -> dict:
    (found,) = [c for c in doc["components"] if c["bom-ref"] == f"hf:{model_id}"]
    return found


def hub_id(component: dict) -> str:
    return f"{component['group']}/{component['name']}" if component.get("group") else component["name"]


def dag_from_bom(doc: dict, model_id: str) -> set[tuple[str, str]]:
    """(derived, base) pairs rebuilt from the BOM alone: the dependencies among the bom-refs of the
    model and its pedigree ancestors, mapped back to Hub ids through the components."""
    model = top(doc, model_id)
    ids = {model["bom-ref"]: hub_id(model)}
    ids.update({a["bom-ref"]: hub_id(a) for a in model.get("pedigree", {}).get("ancestors", [])})
    return {(ids[d["ref"]], ids[b]) for d in doc["dependencies"] if d["ref"] in ids for b in d.get("dependsOn", [])}


def lineage_edges(graph, model_id: str) -> set[tuple[str, str]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (m:Model {id: $id}) MATCH (m)-[*0..]->(c:Model)-[]->(b:Model) RETURN DISTINCT c.id AS c, b.id AS b",
        id=model_id, database_=graph.database)
    return {(r["c"], r["b"]) for r in records}


def test_merge_diamond_pedigree_and_dependencies(graph, make_parquet, policy):
    load(graph, make_parquet(diamond()), progress=False)
    doc = make(graph, ["org/diamond"], policy)
    model = top(doc, "org/diamond")
    assert (model["type"], model["group"], model["name"], model["purl"]) == (
        "machine-learning-model", "org", "diamond", "pkg:huggingface/org/diamond")
    assert model["externalReferences"] == [{"type": "website", "url": "https://huggingface.co/org/diamond",
                                            "comment": "Hugging Face Hub model page"}]
    ancestors = {hub_id(a): a for a in model["pedigree"]["ancestors"]}
    assert sorted(ancestors) == ["base/llama", "org/ft"]  # base/llama once, though reached twice
    # base/llama is reached directly by the merge and through org/ft's finetune
    assert props(ancestors["base/llama"])["hflineage:relation"] == ["finetune,merge"]
    assert props(ancestors["base/llama"])["hflineage:distance"] == ["1"]
    assert props(ancestors["org/ft"])["hflineage:relation"] == ["merge"]
    assert dag_from_bom(doc, "org/diamond") == lineage_edges(graph, "org/diamond") == {
        ("org/diamond", "org/ft"), ("org/diamond", "base/llama"), ("org/ft", "base/llama")}
    facts = props(ancestors["base/llama"])
    assert (facts["hflineage:pipelineTag"], facts["hflineage:library"], facts["hflineage:downloads"],
            facts["hflineage:onHub"]) == (["text-generation"], ["transformers"], ["1234"], ["true"])
    assert facts["hflineage:createdAt"][0]== "2023-11-14T22:13:20Z"
    # llama3 has no SPDX id: a named license with the Hub id; llama3 keeps llama3.1: no conflict
    assert ancestors["base/llama"]["licenses"] == [{"license": {
        "name": "Llama 3 Community License Agreement", "acknowledgement": "declared",
        "properties": [{"name": "hflineage:hubLicenseId", "value": "llama3"}]}}]
    assert props(model)["hflineage:conflicts"] == ["0"] and "hflineage:conflict" not in props(model)
    assert model["licenses"][0]["license"]["url"] == "https://huggingface.co/org/diamond"
    assert "externalReferences" not in ancestors["org/ft"]  # an ancestor's Hub page is its purl's


def test_conflicts_and_obligations_are_in_the_bom(graph, make_parquet, policy):
    load(graph, make_parquet(diamond()), progress=False)
    doc = make(graph, ["org/merge"], policy)
    model = top(doc, "org/merge")
    assert model["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    p = props(model)
    assert p["hflineage:conflicts"] == ["3"]
    assert sorted(p["hflineage:conflict"]) == [  # the library sorts properties by name and value
        "high: apache-2.0 drops non-commercial of cc-by-nc-4.0 (distance 1) [ancestor base/nc]",
        "medium: apache-2.0 drops keep-terms, use-restrictions of llama3 (distance 2) [ancestor base/llama]",
        "medium: apache-2.0 drops keep-terms, use-restrictions of llama3.1 (distance 1) [ancestor org/ft]",
    ]
    assert sorted(o.split(":")[0] for o in p["hflineage:obligation"]) == [
        "attribution", "keep-terms", "non-commercial", "use-restrictions"]
    assert any(o.startswith("non-commercial:") and o.endswith("(imposed by cc-by-nc-4.0)")
               for o in p["hflineage:obligation"])
    ancestors = {hub_id(a): a for a in model["pedigree"]["ancestors"]}
    assert ancestors["base/nc"]["licenses"] == [{"license": {"id": "CC-BY-NC-4.0", "acknowledgement": "declared"}}]
    assert props(ancestors["base/llama"])["hflineage:path"] == ["org/merge -merge-> org/ft -finetune-> base/llama"]
    assert dag_from_bom(doc, "org/merge") == lineage_edges(graph, "org/merge")
    assert props({"properties": doc["metadata"]["properties"]})["hflineage:policy"] == ["license_policy.yaml (built in)"]
    assert len(props({"properties": doc["metadata"]["properties"]})["hflineage:policySha256"][0]) == 64


def test_missing_base_is_marked_not_on_the_hub(graph, make_parquet, policy):
    rows = [
        {"id": "u/q", "base": ["ghost/base"], "relation": "quantized", "tags": lic("apache-2.0")},
        {"id": "u/r", "base": ["u/q"], "relation": "finetune"},
    ]
    load(graph, make_parquet(rows), progress=False)
    doc = make(graph, ["u/r"], policy)
    model = top(doc, "u/r")
    assert "licenses" not in model and props(model)["hflineage:license"] == ["none declared"]
    ancestors = {hub_id(a): a for a in model["pedigree"]["ancestors"]}
    ghost = ancestors["ghost/base"]
    assert props(ghost)["hflineage:onHub"] == ["false"] and "not on the Hub" in ghost["description"]
    assert "externalReferences" not in ghost and "licenses" not in ghost
    assert props(ancestors["u/q"])["hflineage:relation"] == ["finetune"]
    assert props(ghost)["hflineage:relation"] == ["quantized"]
    assert dag_from_bom(doc, "u/r") == {("u/r", "u/q"), ("u/q", "ghost/base")}


def test_chain_of_five(graph, make_parquet, policy):
    """c0 (gemma) <- c1 <- c2 <- c3 <- c4; c1..c3 gemma, c4 mit."""
    rows = [{"id": "chain/c0", "tags": lic("gemma")}]
    for i in range(1, 5):
        rows.append({"id": f"chain/c{i}", "base": [f"chain/c{i - 1}"], "relation": "finetune",
                     "tags": lic("mit" if i == 4 else "gemma")})
    load(graph, make_parquet(rows), progress=False)
    doc = make(graph, ["chain/c4"], policy)
    model = top(doc, "chain/c4")
    assert model["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    ancestors = model["pedigree"]["ancestors"]
    assert sorted((hub_id(a), props(a)["hflineage:distance"][0]) for a in ancestors) == [
        ("chain/c0", "4"), ("chain/c1", "3"), ("chain/c2", "2"), ("chain/c3", "1")]
    assert dag_from_bom(doc, "chain/c4") == {(f"chain/c{i}", f"chain/c{i - 1}") for i in range(1, 5)}
    assert props(model)["hflineage:conflicts"] == ["4"]
    assert len(doc["dependencies"]) == 5


def test_several_models_one_bom(graph, make_parquet, policy):
    load(graph, make_parquet(diamond()), progress=False)
    doc = make(graph, ["org/merge", "org/diamond", "org/ft", "org/merge"], policy)
    assert sorted(c["bom-ref"] for c in doc["components"]) == ["hf:org/diamond", "hf:org/ft", "hf:org/merge"]
    refs = [c["bom-ref"] for c in doc["components"]]
    refs += [a["bom-ref"] for c in doc["components"] for a in c.get("pedigree", {}).get("ancestors", [])]
    assert len(refs) == len(set(refs)) == 3 + 3 + 2 + 1  # shared ancestors once per model, refs unique
    for model_id in ("org/merge", "org/diamond", "org/ft"):
        assert dag_from_bom(doc, model_id) == lineage_edges(graph, model_id)


def test_licenses_without_spdx_id_are_named_never_invalid(graph, make_parquet, policy):
    rows = [
        {"id": "x/custom", "tags": lic("other"), "card": {"license": "other", "license_name": "some-custom-terms"}},
        {"id": "x/qwen", "tags": lic("other"), "card": {"license": "other", "license_name": "tongyi-qianwen"}},
        {"id": "x/unk", "tags": lic("unknown")},
        {"id": "x/gpl", "tags": lic("GPL-3.0-or-later")},
        {"id": "x/gpl3", "tags": lic("gpl-3.0")},
    ]
    load(graph, make_parquet(rows), progress=False)
    doc = make(graph, [r["id"] for r in rows], policy)
    got = {c["bom-ref"]: c["licenses"][0]["license"] for c in doc["components"]}
    assert got["hf:x/gpl"]["id"] == "GPL-3.0-or-later"  # its own SPDX id, not the policy entry's
    assert got["hf:x/gpl3"]["id"] == "GPL-3.0-only"
    assert got["hf:x/custom"]["name"] == "other (some-custom-terms)"
    assert got["hf:x/custom"]["properties"] == [{"name": "hflineage:hubLicenseId", "value": "other"},
                                                {"name": "hflineage:licenseName", "value": "some-custom-terms"}]
    assert "id" not in got["hf:x/qwen"] and "id" not in got["hf:x/unk"]
    assert got["hf:x/unk"]["name"] == "Unknown"  # the policy's name for the Hub id, never an SPDX id


def test_spec_1_5_validates_too(graph, make_parquet, policy):
    load(graph, make_parquet(diamond()), progress=False)
    text = lib.to_json(lib.build_bom(graph, ["org/merge"], policy), "1.5")
    assert validated(text, SchemaVersion.V1_5)["specVersion"] == "1.5"


def test_unknown_model_raises_before_building(graph, make_parquet, policy):
    load(graph, make_parquet(diamond()), progress=False)
    with pytest.raises(ModelNotFound, match="model 'nobody/nothing' is not in the graph"):
        lib.build_bom(graph, ["org/merge", "nobody/nothing"], policy)


# --- the command ---------------------------------------------------------------------------------


def test_cli_bom_out_file_and_stdout(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    ids = tmp_path / "ids.txt"
    ids.write_text("# models\norg/diamond\n\n", encoding="utf-8")
    out = tmp_path / "m.cdx.json"
    result = cli("bom", "org/merge", "--file", str(ids), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    doc = validated(out.read_text(encoding="utf-8"))
    assert sorted(c["bom-ref"] for c in doc["components"]) == ["hf:org/diamond", "hf:org/merge"]
    assert oct(os.stat(out).st_mode & 0o777) != oct(0o600)
    result = cli("bom", "org/ft")
    assert result.exit_code == 0 and validated(result.stdout)["components"][0]["bom-ref"] == "hf:org/ft"
    with hflineage.connect() as lin:  # the API gives the same document (up to serial number and time)
        api = json.loads(lin.bom("org/ft"))
    printed = json.loads(result.stdout)
    for doc in (api, printed):
        doc.pop("serialNumber"), doc["metadata"].pop("timestamp")
    assert api == printed


def test_cli_bad_input_is_one_line_and_writes_nothing(graph, cli, make_parquet, tmp_path):
    cli("load", make_parquet(diamond()))
    out = tmp_path / "m.cdx.json"
    result = cli("bom", "org/merge", "nobody/nothing", "--out", str(out))
    assert result.exit_code == 1 and result.stderr.strip() == "error: model 'nobody/nothing' is not in the graph"
    result = cli("bom", "--file", str(tmp_path / "absent.txt"), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: cannot read the model list {tmp_path / 'absent.txt'}: No such file or directory"
    bad_out = tmp_path / "no-such-dir" / "m.json"
    result = cli("bom", "org/merge", "--out", str(bad_out))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: cannot write {bad_out}: No such file or directory")
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert cli("bom").exit_code == 2


def test_a_wide_merge_and_a_deep_chain_give_whole_boms_in_proportion(graph, make_parquet, policy):
    """A merge of 1,500 roots and a 1,500-deep chain: every ancestor once in the pedigree, the
    DAG whole in dependencies, a path property only where a conflict needs one, and the BOM
    valid. Registering each dependency by a search of those registered, and checking
    uniqueItems pair by pair, made the work grow with the square of the ancestors."""
    import time

    n = 1500
    rows = [{"id": f"p/p{i}", "tags": lic("mit")} for i in range(n)]
    rows += [{"id": "p/merged", "base": [f"p/p{i}" for i in range(n)], "relation": "merge", "tags": lic("mit")}]
    rows += [{"id": "c/m0", "tags": lic("gemma")}]
    rows += [{"id": f"c/m{i}", "base": [f"c/m{i - 1}"], "relation": "finetune", "tags": lic("mit")} for i in range(1, n + 1)]
    load(graph, make_parquet(rows), progress=False)
    started = time.monotonic()
    doc = make(graph, ["p/merged", f"c/m{n}"], policy)
    elapsed = time.monotonic() - started
    merged, leaf = top(doc, "p/merged"), top(doc, f"c/m{n}")
    assert sorted(hub_id(a) for a in merged["pedigree"]["ancestors"]) == sorted(f"p/p{i}" for i in range(n))
    assert dag_from_bom(doc, "p/merged") == {("p/merged", f"p/p{i}") for i in range(n)}
    assert dag_from_bom(doc, f"c/m{n}") == {(f"c/m{i}", f"c/m{i - 1}") for i in range(1, n + 1)}
    assert len(doc["dependencies"]) == (n + 1) * 2
    with_path = [hub_id(a) for a in leaf["pedigree"]["ancestors"] if "hflineage:path" in props(a)]
    assert with_path == ["c/m0"]
    assert not any("hflineage:path" in props(a) for a in merged["pedigree"]["ancestors"])
    assert elapsed < 120, f"bom took {elapsed:.0f} s"


def test_the_fast_unique_items_check_still_refuses_duplicates():
    """bom's uniqueItems check is jsonschema's in meaning: equal JSON (1 and 1.0, key order) is a
    duplicate, true and 1 are not."""
    check = lambda items: list(lib._unique_items(lib._validator(SchemaVersion.V1_6), True, items, {}))
    assert check([{"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1.0}])
    assert check(["x", "y", "x"])
    assert not check([True, 1, {"a": True}, {"a": 1}, [1, 2], [2, 1]])


# --- training datasets ---------------------------------------------------------------------------


def model_cards(doc: dict) -> dict[str, list[str]]:
    """bom-ref of each model component (top level or pedigree ancestor) with a model card -> the
    refs of its modelCard.modelParameters.datasets."""
    out = {}
    for c in doc["components"]:
        for m in [c, *c.get("pedigree", {}).get("ancestors", [])]:
            if "modelCard" in m:
                out[m["bom-ref"]] = [d["ref"] for d in m["modelCard"]["modelParameters"]["datasets"]]
    return out


def data_components(doc: dict) -> dict[str, dict]:
    found = [c for c in doc["components"] if c["type"] == "data"]
    assert len({c["bom-ref"] for c in found}) == len(found)  # each dataset once
    return {c["bom-ref"]: c for c in found}



def test_training_datasets_are_data_components_the_model_cards_refer_to(graph, make_parquet, make_datasets, policy):
    """org/m's lineage (trained_lineage): its own d/own, and through its ancestors d/shared and
    d/two (org/ft), d/one and d/shared (base/a), d/nc (base/b): five data components, each once."""
    load_trained(graph, make_parquet, make_datasets)
    doc = make(graph, ["org/m"], policy)
    data = data_components(doc)
    assert sorted(data) == ["hf-dataset:d/nc", "hf-dataset:d/one", "hf-dataset:d/own", "hf-dataset:d/shared",
                            "hf-dataset:d/two"]
    assert model_cards(doc) == {
        "hf:org/m": ["hf-dataset:d/own"],
        "hf:org/m#org/ft": ["hf-dataset:d/shared", "hf-dataset:d/two"],
        "hf:org/m#base/a": ["hf-dataset:d/one", "hf-dataset:d/shared"],
        "hf:org/m#base/b": ["hf-dataset:d/nc"],
    }
    one = data["hf-dataset:d/one"]
    assert (one["group"], one["name"], one["data"]) == ("d", "one", [{"type": "dataset", "name": "d/one"}])
    assert one["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "declared"}}]
    assert data["hf-dataset:d/shared"]["licenses"] == [{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]
    two = data["hf-dataset:d/two"]
    assert two["licenses"] == [{"license": {"id": "CC-BY-NC-4.0", "acknowledgement": "declared"}}]
    assert props(two)["hflineage:licenseClass"] == ["non-commercial"] and props(two)["hflineage:described"] == ["true"]
    assert data["hf-dataset:d/nc"]["licenses"] == [{"license": {
        "name": "other (nc-research-terms)", "acknowledgement": "declared",
        "properties": [{"name": "hflineage:hubLicenseId", "value": "other"},
                       {"name": "hflineage:licenseName", "value": "nc-research-terms"}]}}]
    # no datasets file described d/own: its license is unknown, never "none"
    own = data["hf-dataset:d/own"]
    assert "licenses" not in own and "license is not known" in own["description"]
    assert props(own)["hflineage:described"] == ["false"] and props(own)["hflineage:license"] == ["not known"]
    # only a dataset the requested model itself names links its Hub page (see _component)
    assert own["externalReferences"] == [{"type": "website", "url": "https://huggingface.co/datasets/d/own",
                                          "comment": "Hugging Face Hub dataset page"}]
    assert [ref for ref, c in data.items() if "externalReferences" in c] == ["hf-dataset:d/own"]
    # what the training data imposes, as `license org/m` finds it: mit drops d/two's non-commercial;
    # d/own's license is not known and d/nc's is not classified (warnings)
    findings = sorted(props(top(doc, "org/m"))["hflineage:trainingDataFinding"])
    assert props(top(doc, "org/m"))["hflineage:trainingDataFindings"] == ["3"] and len(findings) == 3
    assert findings[0].startswith("high: mit drops non-commercial of training data under cc-by-nc-4.0 (distance 1)")
    assert findings[0].endswith("[dataset d/two via org/ft]")
    assert [f.split(":")[0] for f in findings[1:]] == ["warning", "warning"]
    assert findings[1].endswith("[dataset d/own via org/m]") and findings[2].endswith("[dataset d/nc via base/b]")
    # dependencies stay the lineage DAG: no model depends on a dataset, no dataset on anything
    assert dag_from_bom(doc, "org/m") == lineage_edges(graph, "org/m")
    assert not [d for d in doc["dependencies"] if d["ref"] in data and d.get("dependsOn")]
    assert not [d for d in doc["dependencies"] for ref in d.get("dependsOn", []) if ref in data]
    older = validated(lib.to_json(lib.build_bom(graph, ["org/m"], policy), "1.5"), SchemaVersion.V1_5)
    assert model_cards(older) == model_cards(doc) and sorted(data_components(older)) == sorted(data)


def test_a_dataset_several_lineages_name_is_one_component(graph, make_parquet, make_datasets, policy):
    load_trained(graph, make_parquet, make_datasets)
    doc = make(graph, ["org/m", "org/other", "x/solo"], policy)
    data = data_components(doc)
    assert len(data) == 5  # org/other's d/two, d/one, d/shared are org/m's lineage's too
    cards = model_cards(doc)
    assert cards["hf:org/other"] == ["hf-dataset:d/two"]
    assert cards["hf:org/other#base/a"] == cards["hf:org/m#base/a"] == ["hf-dataset:d/one", "hf-dataset:d/shared"]
    assert "hf:x/solo" not in cards
    assert {ref for refs in cards.values() for ref in refs} == set(data)  # every reference resolves
    assert sorted(ref for ref, c in data.items() if "externalReferences" in c) == ["hf-dataset:d/own", "hf-dataset:d/two"]


def test_real_sample_bom_datasets_match_the_parquet(graph, policy):
    """On the real sample with the datasets fixture: each lineage member's model card lists the
    datasets its row names (read from the parquet with pyarrow), every dataset of the BOM is one
    data component, and each carries the fixture's license (the others are not described)."""
    from fixtures.make_datasets import LICENSES

    load(graph, str(SAMPLE), progress=False)
    load_datasets(graph, str(REPO / "tests" / "fixtures" / "datasets.parquet"), progress=False)
    named = declared_datasets(SAMPLE)
    models = ["mlabonne/NeuralDaredevil-8B-abliterated", "nbeerbower/Hermes2-Gutenberg2-Mistral-7B"]
    doc = make(graph, models, policy)
    cards, data = model_cards(doc), data_components(doc)
    expected_cards, expected_data = {}, set()
    for model in models:
        members = {model} | {m for edge in lineage_edges(graph, model) for m in edge}
        for member in members:
            if named.get(member):
                ref = f"hf:{model}" if member == model else f"hf:{model}#{member}"
                expected_cards[ref] = [f"hf-dataset:{d}" for d in sorted(named[member])]
                expected_data |= named[member]
    assert cards == expected_cards
    assert sorted(data) == sorted(f"hf-dataset:{d}" for d in expected_data)
    assert len(data) == 13 and len(cards) == 6  # two datasets are in both lineages
    spdx = {"mit": "MIT", "apache-2.0": "Apache-2.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0"}
    for dataset_id in expected_data:
        component = data[f"hf-dataset:{dataset_id}"]
        if dataset_id in LICENSES:
            assert props(component)["hflineage:license"] == [LICENSES[dataset_id]]
            assert component["licenses"] == [{"license": {"id": spdx[LICENSES[dataset_id]], "acknowledgement": "declared"}}]
        else:
            assert props(component)["hflineage:described"] == ["false"] and "licenses" not in component
