"""``chart evaluate``: the two protocols of SPEC "Suspected lineage", measured on declared bases.

*Component* (seed 002, Table 2): in one connected component, a seeded 10% of its models keep
their bases (the stem); every other model's bases are hidden and charted among the component's
models. Accuracy is the share of the hidden models with a declared base whose top suggestion is
one of them (no suggestion counts as wrong). Random, Majority and Price's model are scored on the
same split, as expectations over their draws: Random picks any other model of the component;
Majority the stem's highest out-degree model; Price's model a model with probability
proportional to its stem out-degree plus one.

*Hidden edges*: a seeded share of all rows with a base lose it; charting runs over the whole
file; each hidden row's top suggestion is right when it is one of its bases. Reported per
relation and overall: coverage, precision and recall at score thresholds, the recall reached at
precision 0.9, and a calibration table.

Nothing here reads the graph: both run on a file's rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..store.errors import InputError
from .candidates import Index
from .chart import known_edges, suggest
from .models import Models
from .score import fit

THRESHOLDS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
TABLE2 = {  # Horwitz et al., Table 2 (accuracy %, weight-based), components Qwen / Llama / SD
    "Random - root": (1.77, 1.84, 0.22), "Random": (0.98, 0.67, 0.75), "Majority": (15.03, 25.00, 36.75),
    "Price's": (2.28, 5.08, 8.50), "MoTHer": (32.81, 19.32, 50.51), "Ours (weights)": (78.87, 80.44, 85.10),
}
TABLE2_COMPONENTS = ("Qwen2.5-0.5B", "Llama-3.2-1B", "SD-2")
STEM_SHARE = 0.1


def relation_of(models: Models) -> dict[str, str]:
    """child -> the relation of its (declared or inferred) base edges."""
    e = models.edges
    return dict(zip(e["child"].to_numpy(), e["relation"].to_numpy()))


def components(models: Models) -> list[list[str]]:
    """Weakly connected components over the base edges (absent bases count as nodes), each as
    the sorted ids of its rows, largest first (ties: smallest first id)."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for child, base in zip(models.edges["child"].to_numpy(), models.edges["base"].to_numpy()):
        ra, rb = find(child), find(base)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for i in models.frame["id"].to_numpy():
        groups.setdefault(find(i), []).append(i)
    out = [sorted(g) for g in groups.values()]
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def component_of(models: Models, model_id: str) -> list[str]:
    for group in components(models):
        if model_id in group:
            return group
    raise KeyError(model_id)


def evaluate_component(models: Models, members: list[str], seed: int = 0) -> dict:
    """Seed 002's protocol on one component (``members``: ids of its rows)."""
    f = models.frame
    row_of = pd.Series(np.arange(len(f)), index=f["id"].to_numpy())
    rows = np.sort(row_of.reindex(members).dropna().to_numpy(dtype=int))
    rng = np.random.default_rng(seed)
    n_stem = max(1, math.ceil(STEM_SHARE * len(rows)))
    stem = set(rng.choice(rows, n_stem, replace=False).tolist()) if len(rows) else set()
    hidden_rows = np.array([r for r in rows if r not in stem], dtype=int)
    ids = f["id"].to_numpy()
    truth_all = _by_child(known_edges(models))
    known_frame = known_edges(models, hidden={ids[r] for r in hidden_rows})
    known = _by_child(known_frame)
    allowed = np.zeros(len(f), bool)
    allowed[rows] = True
    # the scorer learns from every row with a visible base; only the charting is confined to the component
    scorer = fit(Index(models, known_frame, require_signal=False),
                 np.array([r for r in range(len(f)) if ids[r] in known], dtype=int), seed=seed)
    index = Index(models, known_frame, allowed, require_signal=False)
    judged = np.array([r for r in hidden_rows if truth_all.get(ids[r])], dtype=int)
    top = suggest(index, scorer, judged, top=1, min_score=0.0)
    best = dict(zip(top["id"], top["base"]))
    member_set = set(ids[rows])
    stem_degree = {m: 0 for m in member_set}
    for r in stem:
        for b in known.get(ids[r], ()):
            if b in stem_degree:
                stem_degree[b] += 1
    majority = min(stem_degree, key=lambda m: (-stem_degree[m], m)) if stem_degree and max(stem_degree.values()) else None
    ours = rand = maj = price = 0.0
    reachable = 0
    total_weight = sum(d + 1 for d in stem_degree.values())
    for r in judged:
        child = ids[r]
        truth = truth_all[child]
        inside = (truth & member_set) - {child}
        reachable += bool(inside)
        ours += best.get(child) in truth
        rand += len(inside) / max(1, len(member_set) - 1)
        maj += majority is not None and majority != child and majority in truth
        z = total_weight - (stem_degree.get(child, 0) + 1)
        price += sum(stem_degree[b] + 1 for b in inside) / z if z > 0 else 0.0
    n = len(judged)

    def pct(v):
        return round(100.0 * v / n, 2) if n else None

    return {"component": _component_name(models, members, truth_all), "models": len(rows), "stem": len(stem),
            "evaluated": n, "reachable": pct(reachable), "suggested": pct(len(best)),
            "accuracy": {"ours": pct(ours), "random": pct(rand), "majority": pct(maj), "prices": pct(price)},
            "majority_model": majority, "seed": seed, "stem_ids": sorted(ids[r] for r in stem),
            "misses": [{"id": c, "suggested": best.get(c), "truth": sorted(truth_all[c])}
                       for c in ids[judged] if best.get(c) not in truth_all[c]][:20]}


def _by_child(known: pd.DataFrame) -> dict[str, set[str]]:
    """child -> bases of ``known_edges`` (the evaluation's truth; its files are small)."""
    out: dict[str, set[str]] = {}
    for child, base in zip(known["child"].tolist(), known["base"].tolist()):
        out.setdefault(child, set()).add(base)
    return out


def _component_name(models: Models, members: list[str], truth: dict[str, set[str]]) -> str:
    """The component's most referenced base among its rows (else its first id)."""
    member_set = set(members)
    counts: dict[str, int] = {}
    for child in members:
        for b in truth.get(child, ()):
            if b in member_set:
                counts[b] = counts.get(b, 0) + 1
    return min(counts, key=lambda m: (-counts[m], m)) if counts else members[0]


def evaluate_hidden(models: Models, hide: float = 0.2, seed: int = 0, thresholds=THRESHOLDS) -> dict:
    """The hidden-edges protocol over every row of ``models``."""
    f = models.frame
    ids = f["id"].to_numpy()
    truth = _by_child(known_edges(models))
    relation = relation_of(models)
    with_base = np.array([r for r in range(len(f)) if truth.get(ids[r])], dtype=int)
    rng = np.random.default_rng(seed)
    n_hide = int(round(hide * len(with_base)))
    hidden = np.sort(rng.choice(with_base, n_hide, replace=False)) if n_hide else np.zeros(0, int)
    index = Index(models, known_edges(models, hidden=set(ids[hidden])))
    scorer = fit(index, np.flatnonzero(index.has_base), seed=seed)
    top = suggest(index, scorer, hidden, top=1, min_score=0.0)
    got = {c: (b, s) for c, b, s in zip(top["id"], top["base"], top["score"])}
    row_of = pd.Series(np.arange(len(f)), index=ids)
    rows = []
    for r in hidden.tolist():
        child = ids[r]
        base, score = got.get(child, (None, None))
        in_file = any(b in row_of.index for b in truth[child])
        rows.append({"id": child, "relation": relation.get(child), "base": base, "score": score,
                     "right": base in truth[child] if base else False, "params": bool(f["params"].iat[r] > 0),
                     "reachable": in_file, "truth": sorted(truth[child]), "looks_quantized": bool(f["quantized"].iat[r])})
    table = pd.DataFrame(rows, columns=["id", "relation", "base", "score", "right", "params", "reachable", "truth",
                                        "looks_quantized"])
    # the declared relation says what the uploader chose; "looks_quantized" is what the child's
    # own name, tags and files say (the quantization prior charting relies on)
    groups = {"overall": table, "with_parameters": table[table["params"]],
              "looks_quantized": table[table["looks_quantized"]]}
    for rel in sorted(table["relation"].dropna().unique()):
        groups[rel] = table[table["relation"] == rel]
    return {
        "hide": hide, "seed": seed, "rows_with_base": len(with_base), "hidden": len(hidden),
        "trained_children": scorer.trained_children,
        "groups": {name: _metrics(g, thresholds) for name, g in groups.items()},
        "calibration": _calibration(table),
        "errors": table[(~table["right"]) & table["score"].notna()].sort_values("score", ascending=False)
        .head(15)[["id", "base", "score", "truth"]].to_dict("records"),
    }


def _metrics(g: pd.DataFrame, thresholds) -> dict:
    n = len(g)
    scored = g[g["score"].notna()]
    out = {"hidden": n, "reachable": _share(g["reachable"].sum(), n), "coverage": _share(len(scored), n),
           "at": {}}
    for t in thresholds:
        made = scored[scored["score"] >= t]
        right = int(made["right"].sum())
        out["at"][f"{t:g}"] = {"suggestions": len(made), "precision": _share(right, len(made)),
                               "recall": _share(right, n)}
    out["recall_at_precision_0.9"] = _recall_at(scored, n, 0.9)
    return out


def _recall_at(scored: pd.DataFrame, n: int, precision: float) -> dict:
    """The highest recall with precision ≥ ``precision`` over score thresholds, and that threshold."""
    if not n or scored.empty:
        return {"recall": 0.0, "threshold": None}
    s = scored.sort_values("score", ascending=False)
    right = np.cumsum(s["right"].to_numpy(dtype=float))
    made = np.arange(1, len(s) + 1)
    scores = s["score"].to_numpy()
    # a threshold keeps every suggestion scored at least as high: only the last of equal scores counts
    last = np.r_[scores[1:] != scores[:-1], True]
    ok = (right / made >= precision) & last
    if not ok.any():
        return {"recall": 0.0, "threshold": None}
    k = int(np.flatnonzero(ok)[np.argmax(right[ok])])
    return {"recall": round(right[k] / n, 4), "threshold": round(float(scores[k]), 4)}


def _calibration(table: pd.DataFrame) -> list[dict]:
    scored = table[table["score"].notna()]
    out = []
    for lo in np.arange(0.0, 1.0, 0.1):
        hi = lo + 0.1
        b = scored[(scored["score"] >= lo) & ((scored["score"] < hi) if hi < 0.999 else (scored["score"] <= 1.0))]
        out.append({"bin": f"{lo:.1f}-{hi:.1f}", "suggestions": len(b),
                    "mean_score": round(float(b["score"].mean()), 4) if len(b) else None,
                    "precision": _share(int(b["right"].sum()), len(b))})
    return out


def _share(k, n) -> float | None:
    return round(float(k) / n, 4) if n else None


def read_files(paths):
    """The rows of one or more hub-stats parquet files (columns unified; a later file's row wins)."""
    import pyarrow as pa

    from ..loader.read import open_parquet

    tables = []
    for path in paths:
        try:
            tables.append(open_parquet(path).read())
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"{path}: not a readable parquet file ({str(e).splitlines()[0][:200]})") from None
    try:
        return pa.concat_tables(tables, promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise InputError(f"the files' columns do not agree: {str(e).splitlines()[0][:200]}") from None


def evaluate_files(paths, component_ids=(), hide: float | None = None, seed: int = 0, table2: bool = False) -> dict:
    """``hflineage chart evaluate``: the hidden-edges protocol (``hide``) or the component
    protocol (``component_ids``, default the three largest components) over the files' rows."""
    from .models import read_models

    paths = list(paths)
    models = read_models(read_files(paths), paths[0] if len(paths) == 1 else "the files")
    if hide is not None:
        if component_ids or table2:
            raise InputError("--hide is the hidden-edges protocol; drop --component/--table2")
        return evaluate_hidden(models, hide=hide, seed=seed)
    if component_ids:
        groups = []
        for model_id in component_ids:
            try:
                groups.append(component_of(models, model_id))
            except KeyError:
                raise InputError(f"--component {model_id}: no such model in the file(s)") from None
    else:
        groups = components(models)[:3]
    doc = {"seed": seed, "components": [evaluate_component(models, g, seed=seed) for g in groups]}
    if table2:
        doc["table2"] = {"components": list(TABLE2_COMPONENTS), "accuracy": TABLE2}
    return doc
