"""``hflineage license drift``: license change over every lineage edge, by class and by id, with
the conflict share, on a hand-counted graph against the real server."""

from __future__ import annotations

import csv
import io
import json

import hflineage
from hflineage.cli.output import to_json
from hflineage.loader.load import load

from graphs import lic, license_diamond as diamond


def rows():
    return diamond() + [
        {"id": "x/apache2", "base": ["org/ft"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "x/mit", "tags": lic("mit")},
        {"id": "x/gpl-child", "base": ["x/mit"], "relation": "finetune", "tags": lic("gpl-3.0")},
        {"id": "x/silent", "base": ["x/mit"], "relation": "adapter"},
        {"id": "x/mit2", "base": ["x/mit"], "relation": "finetune", "tags": lic("apache-2.0")},
        {"id": "x/q", "base": ["ghost/base"], "relation": "quantized", "tags": lic("apache-2.0")},
        {"id": "y/none"},
        {"id": "y/child", "base": ["y/none"], "relation": "finetune", "tags": lic("apache-2.0")},
    ]


def test_drift_known_answer(graph, make_parquet):
    load(graph, make_parquet(rows()), progress=False)
    with hflineage.connect() as lin:
        result = lin.license_drift(top=3)
    assert (result.edges, result.missing_base_edges, result.conflicts) == (10, 1, 3)
    assert [(r["change"], r["edges"], r["conflicts"]) for r in result.by_change] == [
        ("loosens", 3, 3), ("same", 3, 0), ("from-undeclared", 1, 0), ("sideways", 1, 0),
        ("tightens", 1, 0), ("undeclared", 1, 0)]
    assert [(r["base_class"], r["class"], r["edges"], r["conflicts"]) for r in result.by_class] == [
        ("community", "community", 3, 0), ("community", "permissive", 2, 2), ("(none)", "permissive", 1, 0),
        ("non-commercial", "permissive", 1, 1), ("permissive", "(none)", 1, 0), ("permissive", "copyleft", 1, 0),
        ("permissive", "permissive", 1, 0)]
    assert result.by_class[1]["share"] == 0.2 and result.by_class[1]["conflict_share"] == 1.0
    top = result.by_license
    assert [(r["base_license"], r["license"], r["edges"], r["change"], r["severity"]) for r in top] == [
        ("llama3.1", "apache-2.0", 2, "loosens", "medium"),
        ("(none)", "apache-2.0", 1, "from-undeclared", None),
        ("cc-by-nc-4.0", "apache-2.0", 1, "loosens", "high")]
    assert top[0]["relations"] == {"finetune": 1, "merge": 1}


def test_cli_drift_formats(graph, cli, make_parquet):
    cli("load", make_parquet(rows()))
    doc = json.loads(cli("license", "drift", "--format", "json", "--top", "2").stdout)
    assert set(doc) == {"edges", "missing_base_edges", "conflicts", "by_change", "by_class", "by_license", "top",
                        "policy", "policy_sha256"}
    assert len(doc["by_license"]) == 2 and doc["edges"] == 10
    table = cli("license", "drift").stdout
    assert table.startswith("10 edge(s) with a base in the data (1 more to missing bases); 3 conflict(s) by the policy")
    parsed = list(csv.DictReader(io.StringIO(cli("license", "drift", "--format", "csv").stdout)))
    assert len(parsed) == 9 and parsed[0]["base_license"] == "llama3.1" and parsed[0]["conflicts"] == "2"
    with hflineage.connect() as lin:  # the command prints what the API returns
        assert doc == json.loads(to_json(lin.license_drift(top=2).to_dict()))
        assert list(lin.license_drift().to_pandas()["base_license"][:1]) == ["llama3.1"]
