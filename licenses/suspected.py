"""Undeclared lineage (SPEC "Suspected lineage"): what the licenses of a model's *suspected*
ancestors would impose on it, for ``license audit --with-suspected``.

A model M's suspected ancestors are each suspected base B (a ``SUSPECTED_BASE`` edge from the last
``hflineage chart`` run, of score at least the threshold) and every ancestor B declares through
base edges, at distance 1 + the hops from B. When M's declared license drops an obligation of a
suspected ancestor's license (the same ``Policy.conflict`` as a lineage conflict), that is an
``undeclared-lineage`` finding: it carries the suspected base, the edge's score and evidence
beside the usual ancestor, distance, severity, dropped obligations and reason. Per (M, ancestor)
one finding is kept: the shortest distance, then the highest score (then the smallest base id).
An ancestor M declares itself is judged as lineage, never again here. Suggestions never become
declared lineage: nothing else reads these edges.
"""

from __future__ import annotations

from typing import Iterable

from ..store.db import Graph
from .paths import shortest_path, shortest_ways
from .policy import Policy

KIND = "undeclared-lineage"
DEFAULT_MIN_SCORE = 0.9


def audit_rows(graph: Graph, policy: Policy, model_ids: Iterable[str] | None, min_score: float) -> list[dict]:
    """The ``undeclared-lineage`` findings of the given models (None: every model) as audit rows."""
    ids = None if model_ids is None else sorted(set(model_ids))
    if ids == []:
        return []
    best: dict[tuple[str, str], tuple] = {}
    # streamed (bounded memory on the full dump); values in the query's RETURN order
    for row in graph.stream("license_suspected_pairs", model_ids=ids, min_score=float(min_score)):
        model_id, _, _, base, score, _, ancestor, _, _, distance = row
        key = (model_id, ancestor)
        rank = (distance, -score, base)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, row)
    rows = []
    for _, (model_id, license, name, base, score, evidence, ancestor, a_license, a_name, distance) in best.values():
        res = policy.resolve(a_license, a_name)
        found = policy.conflict(policy.resolve(license, name), res, distance,
                                source=None if res is None else f"suspected ancestor under {res.label}")
        if found is not None:
            rows.append({"model": model_id, "license": license, "kind": KIND, "ancestor": ancestor,
                         "ancestor_license": a_license, "ancestor_terms": res.key, "distance": distance,
                         "severity": found.severity, "dropped": list(found.dropped), "reason": found.reason,
                         "suspected_base": base, "score": score, "evidence": list(evidence)})
    return rows


def declared_path(graph: Graph, base_id: str, ancestor_id: str) -> list[dict]:
    """One shortest declared path from the suspected base up to ``ancestor_id`` (the base itself
    when they are the same): each hop ``{id, relation, license, license_name}``, ``relation``
    naming the edge to the next hop (null on the last)."""
    (row,) = graph.read("license_lineage", model_id=base_id)
    licensed = {a["id"]: a for a in row["ancestors"]}
    licensed[row["id"]] = row
    hops = shortest_path(shortest_ways(base_id, row["bases"], row["ancestors"]), ancestor_id)
    return [{**h, "license": licensed[h["id"]]["license"], "license_name": licensed[h["id"]]["licenseName"]}
            for h in hops]
