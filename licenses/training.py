"""Training-data obligations (SPEC "Datasets and successors"): the datasets of a model and of every
ancestor, each at its distance, and what their licenses impose on the model.

A dataset's license is classified by the policy like a model's. When its class is one the
policy's ``training_data.binding`` lists, the license imposes its obligations on every model
trained on the dataset and on every model derived from one, and a model whose declared license
drops one has a ``training-data`` finding, judged by the same rules and severities as an
ancestor's license (``Policy.conflict``). A dataset whose license is missing, or that the policy
cannot classify, gets ``training_data.unknown_license`` (a warning by default).

``distance`` is the number of base-edge hops from the model up to the nearest model trained on
the dataset (0: the model's own); ``via`` is that model, the smallest id among the nearest.
TRAINED_ON never counts as a hop: the lineage is the base edges only.
"""

from __future__ import annotations

from typing import Iterable

from ..store.db import Graph
from .policy import Conflict, Policy, Resolved

KIND = "training-data"


def judge(policy: Policy, model: Resolved | None, dataset: Resolved | None, described: bool,
          distance: int) -> Conflict | None:
    """The finding of a model (None: declares no license) on one dataset it is trained on, or None."""
    rules = policy.training
    if dataset is not None and dataset.terms.cls in rules.binding:
        return policy.conflict(model, dataset, distance, source=f"training data under {dataset.label}")
    if rules.unknown_license == "none":
        return None
    if dataset is None:
        why = "declares no license" if described else "is in no datasets file loaded, so its license is not known"
        return Conflict(rules.unknown_license, (), f"training data {why} (distance {distance})")
    if dataset.via == "fallback" or dataset.terms.cls == "unknown":
        return Conflict(rules.unknown_license, (),
                        f"training data under {dataset.label} is not classified by the policy (distance {distance})")
    return None


def nearest(holders: Iterable[tuple[str, int, list[dict]]]) -> dict[str, tuple[int, str, dict]]:
    """``{dataset id: (distance, via, dataset)}`` from ``(model id, distance, its datasets)``:
    per dataset the nearest model trained on it, the smallest id on a tie."""
    best: dict[str, tuple[int, str, dict]] = {}
    for model_id, distance, datasets in holders:
        for d in datasets or ():
            if d["id"] not in best or (distance, model_id) < best[d["id"]][:2]:
                best[d["id"]] = (distance, model_id, d)
    return best


def model_training(policy: Policy, own: Resolved | None, row: dict, distances: dict[str, int]
                   ) -> tuple[list[dict], list[dict]]:
    """``license MODEL``'s ``training_data`` (``{dataset, license, class, distance, via}``, by
    distance then id) and its ``training-data`` findings (worst first), from the rows of the
    stored query ``license_lineage``; ``distances`` holds each ancestor's shortest distance."""
    holders = [(row["id"], 0, row.get("datasets"))]
    holders += [(a["id"], distances[a["id"]], a.get("datasets")) for a in row["ancestors"]]
    entries, findings = [], []
    for dataset_id, (distance, via, d) in sorted(nearest(holders).items(), key=lambda kv: (kv[1][0], kv[0])):
        resolved = policy.resolve(d["license"], d["licenseName"])
        entries.append({"dataset": dataset_id, "license": d["license"],
                        "class": resolved.terms.cls if resolved else None, "distance": distance, "via": via})
        found = judge(policy, own, resolved, d["described"], distance)
        if found is not None:
            findings.append(finding(dataset_id, d["license"], d["licenseName"], resolved, via, distance, found))
    findings.sort(key=lambda f: (-policy.rank(f["severity"]), f["distance"], f["dataset"]))
    return entries, findings


def finding(dataset_id: str, license: str | None, license_name: str | None, resolved: Resolved | None,
            via: str, distance: int, found: Conflict) -> dict:
    return {"kind": KIND, "dataset": dataset_id, "dataset_license": license, "dataset_license_name": license_name,
            "dataset_terms": resolved.key if resolved else None, "via": via, "distance": distance,
            "severity": found.severity, "dropped": list(found.dropped), "reason": found.reason}


def audit_rows(graph: Graph, policy: Policy) -> list[dict]:
    """Every model's ``training-data`` findings as audit rows, over the whole graph: only the
    datasets whose license can give a finding are walked down (each from the models trained on
    it, shortest distance per model), so no per-model query and no path enumeration."""
    rules = policy.training
    warn = rules.unknown_license != "none"
    licenses, missing = set(), False
    for v in graph.read("license_dataset_values"):
        resolved = policy.resolve(v["license"], v["licenseName"])
        if resolved is None:
            missing = missing or warn
        elif resolved.terms.cls in rules.binding or (warn and (resolved.via == "fallback"
                                                              or resolved.terms.cls == "unknown")):
            licenses.add(v["license"])
    if not licenses and not missing:
        return []
    rows = []
    # streamed (bounded memory on the full dump); values in the query's RETURN order
    for (model_id, license, name, dataset_id, ds_license, ds_name, described, distance, via) in graph.stream(
            "license_training_pairs", licenses=sorted(licenses), missing=missing):
        resolved = policy.resolve(ds_license, ds_name)
        found = judge(policy, policy.resolve(license, name), resolved, described, distance)
        if found is not None:
            rows.append({"model": model_id, "license": license,
                         **finding(dataset_id, ds_license, ds_name, resolved, via, distance, found)})
    return rows
