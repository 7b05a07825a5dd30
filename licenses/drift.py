"""License drift over the lineage graph: how the declared license changes from base to derived on
every edge, as Laufer et al. (2025) measured on the Hub ("licenses drift from restrictive to
permissive, often in violation of upstream terms").

One stored query counts the edges per (base license, derived license, relation) in the server;
each distinct pair is then classified once with the policy (class, obligations, conflict at one
hop), so the cost is one pass over the edges plus one judgement per distinct pair.

A pair's ``change``: ``same`` (the same license, or one the base's entry lists as compatible),
``loosens`` (the derived license drops a binding obligation of the base's: the conflicts live here),
``tightens`` (it keeps them all and adds one), ``sideways`` (another license with the same binding
obligations), ``undeclared`` (the derived model declares none), ``from-undeclared`` (the base
declares none). Edges to a ``:Missing`` base are counted apart: its license is not known.
"""

from __future__ import annotations

from collections import defaultdict

from . import propagation as lic
from ..store.db import Graph

NONE = "(none)"


def _binding(policy: lic.Policy, resolved: lic.Resolved | None) -> frozenset[str]:
    return frozenset(policy.binding(resolved.terms)) if resolved is not None else frozenset()


def classify(policy: lic.Policy, base: lic.Resolved | None, derived: lic.Resolved | None) -> tuple[str, str | None]:
    """(change, conflict severity or None) of one edge from ``base`` to ``derived``."""
    conflict = policy.conflict(derived, base, 1)
    severity = conflict.severity if conflict is not None else None
    if derived is None:
        return ("undeclared" if base is not None else "same"), severity
    if base is None:
        return "from-undeclared", severity
    if derived.key == base.key or derived.key in base.terms.compatible:
        return "same", severity
    before, after = _binding(policy, base), _binding(policy, derived)
    if conflict is not None or not before <= after:
        return "loosens", severity
    return ("tightens" if after > before else "sideways"), severity


def drift(graph: Graph, policy: lic.Policy, top: int = 20) -> dict:
    """The drift document (``hflineage.lineage.results.LicenseDrift`` keys)."""
    by_class: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    by_license: dict[tuple, dict] = {}
    by_change: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    edges = missing = conflicts = 0
    for row in graph.read("license_drift_edges"):
        if row["missingBase"]:
            missing += row["edges"]
            continue
        base = policy.resolve(row["baseLicense"], row["baseLicenseName"])
        derived = policy.resolve(row["license"], row["licenseName"])
        change, severity = classify(policy, base, derived)
        n = row["edges"]
        hit = n if severity is not None else 0
        edges += n
        conflicts += hit
        key = (base.terms.cls if base else NONE, derived.terms.cls if derived else NONE)
        by_class[key][0] += n
        by_class[key][1] += hit
        by_change[change][0] += n
        by_change[change][1] += hit
        pair = (base.label if base else NONE, derived.label if derived else NONE)
        entry = by_license.setdefault(pair, {
            "base_license": pair[0], "license": pair[1], "base_class": key[0], "class": key[1], "change": change,
            "severity": severity, "edges": 0, "conflicts": 0, "relations": defaultdict(int)})
        entry["edges"] += n
        entry["conflicts"] += hit
        entry["relations"][row["relation"]] += n

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    class_rows = [{"base_class": b, "class": d, "edges": n, "share": share(n, edges), "conflicts": c,
                   "conflict_share": share(c, n)}
                  for (b, d), (n, c) in sorted(by_class.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    license_rows = sorted(by_license.values(), key=lambda r: (-r["edges"], r["base_license"], r["license"]))[:top]
    for r in license_rows:
        r["relations"] = dict(sorted(r["relations"].items()))
        r["share"] = share(r["edges"], edges)
        r["conflict_share"] = share(r["conflicts"], r["edges"])
    change_rows = [{"change": ch, "edges": n, "share": share(n, edges), "conflicts": c, "conflict_share": share(c, n)}
                   for ch, (n, c) in sorted(by_change.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    return {"edges": edges, "missing_base_edges": missing, "conflicts": conflicts, "by_change": change_rows,
            "by_class": class_rows, "by_license": license_rows, "top": top, "policy": policy.source,
            "policy_sha256": policy.sha256}
