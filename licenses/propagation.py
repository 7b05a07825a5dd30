"""License propagation over the graph: the three lookups the CLI runs (one model, an audit, a
model's downstream), with the rules of the policy (``hflineage.licenses.policy``).

Distance is the number of hops on a shortest path (for a merge diamond, the shorter way).
``license_lineage`` returns the lineage DAG (each ancestor once with its direct bases); distances
come from one breadth-first walk over it here, and a path is spelt out only for an ancestor in
conflict (one shortest path), so an answer grows with the lineage, not with depth times ancestors.
The training data of the model and its ancestors comes with the same lineage and is judged by
``hflineage.licenses.training``; an audit lists both kinds of finding (``kind``: ``lineage`` or
``training-data``) in one list, worst first; with a suspected-score threshold it adds the
``undeclared-lineage`` findings of ``hflineage.licenses.suspected``. The policy's names are re-exported here
(``licenses.load_policy``, ``licenses.Policy``, …).
"""

from __future__ import annotations

from typing import Iterable

from ..store.db import Graph
from . import LEVELS, path_text  # noqa: F401  (re-exported)
from . import suspected, training
from .paths import shortest_path, shortest_ways
from ..store.errors import ModelNotFound, PolicyError  # noqa: F401  (re-exported)
from .policy import (KEPT_BY, POLICY_ENV, SEVERITIES, Conflict, Obligation, Policy, Resolved,  # noqa: F401
                     Terms, _effective, _norm, _RANK, load_policy, spdx_symbol)


def _sort_conflicts(policy: Policy, rows: list[dict], *keys: str) -> list[dict]:
    return sorted(rows, key=lambda r: (-policy.rank(r["severity"]), *(r[k] for k in keys)))


def _sort_findings(policy: Policy, rows: list[dict]) -> list[dict]:
    """Audit rows of both kinds: worst first, then by model, distance, kind and what imposes it."""
    return sorted(rows, key=lambda r: (-policy.rank(r["severity"]), r["model"], r["distance"], r["kind"],
                                       r.get("ancestor") or r.get("dataset")))


def model_license(graph: Graph, model_id: str, policy: Policy) -> dict:
    """One model's declared license, every ancestor's with its distance (and, for an ancestor in
    conflict, one shortest path), the effective obligations and the conflicts (``hflineage
    license MODEL``)."""
    rows = graph.read("license_lineage", model_id=model_id)
    if not rows:
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    return _model_report(policy, rows[0])


def _model_report(policy: Policy, row: dict) -> dict:
    own = policy.resolve(row["license"], row["licenseName"])
    ways = shortest_ways(row["id"], row["bases"], row["ancestors"])
    inherited, conflicts, resolved = [], [], []
    for a in row["ancestors"]:
        distance = ways[a["id"]][0]
        res = policy.resolve(a["license"], a["licenseName"])
        resolved.append(res)
        found = policy.conflict(own, res, distance)
        inherited.append({"id": a["id"], "license": a["license"], "license_name": a["licenseName"],
                          **policy.describe(res), "distance": distance, "missing": a["missing"],
                          "path": None if found is None else shortest_path(ways, a["id"])})
        if found is not None:
            conflicts.append({"ancestor": a["id"], "ancestor_license": a["license"],
                              "ancestor_terms": res.key, "distance": distance, "severity": found.severity,
                              "dropped": list(found.dropped), "reason": found.reason})
    inherited.sort(key=lambda r: (r["distance"], r["id"]))
    data, findings = training.model_training(policy, own, row, {a: w[0] for a, w in ways.items()})
    for f in findings:  # the evidence: the model up to the one trained on the dataset
        f["path"] = shortest_path(ways, f["via"])
    return {
        "id": row["id"], "license": row["license"], "license_name": row["licenseName"], **policy.describe(own),
        "missing": row["missing"], "inherited": inherited, "effective": _effective(policy, resolved),
        "conflicts": _sort_conflicts(policy, conflicts, "distance", "ancestor"),
        "training_data": data, "training_findings": findings, "policy": policy.source,
    }


def _audit_rows(model: dict) -> list[dict]:
    """One model's findings as audit rows: its lineage conflicts, then its training-data findings."""
    head = {"model": model["id"], "license": model["license"]}
    rows = [{**head, "kind": "lineage", **c} for c in model["conflicts"]]
    rows += [{**head, **{k: v for k, v in f.items() if k != "path"}} for f in model["training_findings"]]
    return rows


def _audit_doc(policy: Policy, rows: list[dict], checked: int, unknown: list[str], fail_on: str,
               min_score: float | None = None) -> dict:
    """The audit document; with suspected lineage judged, ``suspected_min_score`` records the
    threshold (the key is absent otherwise, so an audit without it is as before)."""
    rows = _sort_findings(policy, rows)
    counts = {s: sum(1 for r in rows if r["severity"] == s) for s in reversed(LEVELS)}
    failing = sum(1 for r in rows if policy.rank(r["severity"]) >= policy.rank(fail_on))
    doc = {"checked": checked, "unknown": unknown, "fail_on": fail_on, "counts": counts, "failing": failing,
           "conflicts": rows, "policy": policy.source}
    if min_score is not None:
        doc["suspected_min_score"] = min_score
    return doc


def audit(graph: Graph, model_ids: Iterable[str], policy: Policy, fail_on: str = "low",
          min_score: float | None = None) -> dict:
    """One row per finding (lineage conflict or training-data finding) over the given models; ids
    not in the graph are listed as unknown. ``failing`` counts the rows at or above ``fail_on``.
    ``min_score`` (None: none) adds the undeclared-lineage findings through the suspected bases
    of at least that score."""
    rows, unknown, known = [], [], []
    for model_id in dict.fromkeys(model_ids):
        found = graph.read("license_lineage", model_id=model_id)
        if not found:
            unknown.append(model_id)
            continue
        known.append(model_id)
        report = _model_report(policy, found[0])
        rows += _audit_rows(report)
    if min_score is not None:
        rows += suspected.audit_rows(graph, policy, known, min_score)
    return _audit_doc(policy, rows, len(known), unknown, fail_on, min_score)


def audit_all(graph: Graph, policy: Policy, fail_on: str = "low", min_score: float | None = None) -> dict:
    """The audit over every model: each ancestor whose license binds derivatives is walked down
    once (shortest distance to each descendant), so no per-model query and no path enumeration;
    likewise each dataset whose license can give a training-data finding; with ``min_score``,
    each suspected base of at least that score is walked up once per edge."""
    values = graph.read("license_values")
    checked = sum(v["models"] for v in values)
    binding = sorted({v["license"] for v in values
                      if (res := policy.resolve(v["license"], v["licenseName"])) and policy.binding(res.terms)})
    rows = []
    # streamed (bounded memory on the full dump); values in the query's RETURN order
    for model_id, license, name, ancestor_id, ancestor_license, ancestor_name, distance in graph.stream(
            "license_binding_pairs", licenses=binding):
        model = policy.resolve(license, name)
        ancestor = policy.resolve(ancestor_license, ancestor_name)
        found = policy.conflict(model, ancestor, distance)
        if found is not None:
            rows.append({"model": model_id, "license": license, "kind": "lineage", "ancestor": ancestor_id,
                         "ancestor_license": ancestor_license, "ancestor_terms": ancestor.key,
                         "distance": distance, "severity": found.severity,
                         "dropped": list(found.dropped), "reason": found.reason})
    rows += training.audit_rows(graph, policy)
    if min_score is not None:
        rows += suspected.audit_rows(graph, policy, None, min_score)
    return _audit_doc(policy, rows, checked, [], fail_on, min_score)


def downstream(graph: Graph, model_id: str, policy: Policy) -> dict:
    """The descendants bound by a model's license, and those whose declared license drops its
    terms (``hflineage license downstream MODEL``)."""
    rows = graph.read("license_descendants", model_id=model_id)
    if not rows:
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    row = rows[0]
    own = policy.resolve(row["license"], row["licenseName"])
    binds = policy.binding(own.terms) if own is not None else []
    bound, conflicts = [], []
    for d in row["descendants"] if binds else []:
        res = policy.resolve(d["license"], d["licenseName"])
        found = policy.conflict(res, own, d["distance"])
        entry = {"id": d["id"], "license": d["license"], "license_name": d["licenseName"],
                 "terms": res.key if res else None, "distance": d["distance"],
                 "severity": found.severity if found else None,
                 "dropped": list(found.dropped) if found else [], "reason": found.reason if found else None}
        bound.append(entry)
        if found is not None:
            conflicts.append(entry)
    return {
        "id": row["id"], "license": row["license"], "license_name": row["licenseName"], **policy.describe(own),
        "binds": binds, "descendants": len(row["descendants"]), "bound": bound,
        "conflicts": _sort_conflicts(policy, conflicts, "distance", "id"), "policy": policy.source,
    }
