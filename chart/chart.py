"""Charting: suggest bases for the models that declare none (seed 002 section 4, from metadata).

``chart_models`` runs the whole thing over a Models: the known edges are the declared and
tag-inferred ones, the charting model is fitted on the rows that have them, and each model
without one gets its best-scored candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import METHOD, MIN_SCORE, TOP  # noqa: F401  (the package's choices)
from .candidates import Index
from .models import Models
from .score import Scorer, evidence, fit, relation_guess



@dataclass
class Charted:
    suggestions: pd.DataFrame  # id, base, score, relation, evidence (list), rank (1 = best)
    scorer: Scorer
    charted: int  # models without a base that were considered

    def best(self) -> pd.DataFrame:
        """One row per model: its best suggestion, best first."""
        top = self.suggestions[self.suggestions["rank"] == 1]
        return top.sort_values(["score", "id"], ascending=[False, True]).reset_index(drop=True)


def known_edges(models: Models, hidden: set[str] | frozenset = frozenset()) -> dict[str, set[str]]:
    """child -> bases, from the declared and inferred edges of every child not in ``hidden``."""
    known: dict[str, set[str]] = {}
    e = models.edges
    for child, base in zip(e["child"].to_numpy(), e["base"].to_numpy()):
        if child not in hidden and child != base:
            known.setdefault(child, set()).add(base)
    return known


CHUNK = 5_000  # children whose pairs are held at once (the pair matrix bounds the memory)
COLUMNS = ["id", "base", "score", "relation", "evidence", "rank", "row"]


def suggest(index: Index, scorer: Scorer, rows: np.ndarray, top: int = TOP,
            min_score: float = MIN_SCORE) -> pd.DataFrame:
    """The ``top`` best suggestions (score ≥ ``min_score``) of each row in ``rows``."""
    rows = np.asarray(rows, dtype=int)
    parts = [_suggest(index, scorer, rows[i:i + CHUNK], top, min_score) for i in range(0, len(rows), CHUNK)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def _suggest(index: Index, scorer: Scorer, rows: np.ndarray, top: int, min_score: float) -> pd.DataFrame:
    pairs = index.pairs(rows)
    cols = COLUMNS
    if not len(pairs):
        return pd.DataFrame(columns=cols)
    p, score = scorer.calibrated(pairs)
    order = np.lexsort((-p, pairs.child))
    child, cand, score_o, p_o = pairs.child[order], pairs.cand[order], score[order], p[order]
    start = np.r_[True, child[1:] != child[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(child)), 0))
    rank = np.arange(len(child)) - group_start + 1
    keep = (rank <= top) & (score_o >= min_score)
    ids = index.f["id"].to_numpy()
    x = pairs.x[order]
    rows_out = []
    for k in np.flatnonzero(keep).tolist():
        c, r = int(child[k]), int(cand[k])
        rows_out.append((ids[c], ids[r], float(score_o[k]), relation_guess(index, c), evidence(index, c, r, x[k]),
                         int(rank[k]), c))
    out = pd.DataFrame(rows_out, columns=cols)
    # ranks are renumbered after the score floor, so rank 1 is always a model's best kept one
    if len(out):
        out["rank"] = out.groupby("id").cumcount() + 1
    return out


def chart_models(models: Models, seed: int = 0, top: int = TOP, min_score: float = MIN_SCORE,
                 allowed: np.ndarray | None = None) -> Charted:
    """Fit on the models with known bases, suggest for those without. ``allowed``: mask of rows
    that may be suggested (a graph's placeholder models are not)."""
    known = known_edges(models)
    index = Index(models, known, allowed)
    has = np.array([i in known for i in models.frame["id"].to_numpy()], dtype=bool)
    scorer = fit(index, np.flatnonzero(has), seed=seed)
    todo = np.flatnonzero(~has & (allowed if allowed is not None else True))
    return Charted(suggest(index, scorer, todo, top, min_score), scorer, len(todo))
