"""Charting: suggest bases for the models that declare none (seed 002 section 4, from metadata).

``chart_models`` runs the whole thing over a Models: the known edges are the declared and
tag-inferred ones, the charting model is fitted on the rows that have them, and each model
without one gets its best-scored candidates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..store import memory
from . import METHOD, MIN_SCORE, TOP  # noqa: F401  (the package's choices)
from .candidates import Index, _cumcount
from .models import Models
from .score import Scorer, evidence, fit, pack_evidence, relation_guess



@dataclass
class Charted:
    """The suggestions of one charting run. ``frame`` holds each suggestion as numbers (row, cand,
    score, rank, and the signals packed: bits, overlap, habit); ids, relation and evidence in
    words are added when asked for, a batch at a time, so a big graph never holds millions of
    strings and phrase lists."""

    frame: pd.DataFrame
    index: Index
    scorer: Scorer
    charted: int  # models without a base that were considered

    @property
    def suggestions(self) -> pd.DataFrame:
        """Every suggestion with its evidence (id, base, score, relation, evidence, rank, row)."""
        return self._worded(self.frame)

    def best(self) -> pd.DataFrame:
        """One row per model: its best suggestion, best first."""
        top = self.frame[self.frame["rank"] == 1].assign(id=lambda t: self.index.id_of(t["row"].to_numpy()))
        return self._worded(top.sort_values(["score", "id"], ascending=[False, True])).reset_index(drop=True)

    def batches(self, size: int) -> Iterator[pd.DataFrame]:
        """The suggestions with their evidence, ``size`` at a time."""
        for i in range(0, len(self.frame), size):
            yield self._worded(self.frame.iloc[i:i + size])

    def _worded(self, part: pd.DataFrame) -> pd.DataFrame:
        index = self.index
        row, cand = part["row"].to_numpy(), part["cand"].to_numpy()
        names = index.names.take(cand).tolist()
        words = [evidence(index, c, r, b, o, h, nm) for c, r, b, o, h, nm in zip(
            row.tolist(), cand.tolist(), part["bits"].tolist(), part["overlap"].tolist(), part["habit"].tolist(), names)]
        return pd.DataFrame({"id": index.id_of(row), "base": index.id_of(cand), "score": part["score"].to_numpy(),
                             "relation": relation_guess(index, row), "evidence": words,
                             "rank": part["rank"].to_numpy(), "row": row}, index=part.index)


def known_edges(models: Models, hidden: set[str] | frozenset = frozenset()) -> pd.DataFrame:
    """The declared and inferred edges (child, base) of every child not in ``hidden``, without
    self-loops or repeats: children in the order they first appear, each child's bases sorted.
    Kept as two string columns: a big graph's known edges never become Python strings."""
    e = models.edges
    child, base = e["child"], e["base"]
    keep = (child != base).to_numpy(dtype=bool, copy=True)
    if hidden:
        keep &= ~child.isin(list(hidden)).to_numpy(dtype=bool)
    e = pd.DataFrame({"child": child[keep], "base": base[keep]})
    e["first"] = pd.factorize(e["child"])[0]
    e = e.sort_values(["first", "base"], kind="stable").drop_duplicates(["child", "base"])
    return e[["child", "base"]].reset_index(drop=True)


CHUNK = 1_000  # children whose pairs are held at once: their arrays stay small enough to be reused, not mapped afresh
COLUMNS = ["row", "cand", "score", "rank", "bits", "overlap", "habit"]


def suggest(index: Index, scorer: Scorer, rows: np.ndarray, top: int = TOP, min_score: float = MIN_SCORE,
            named: bool = True) -> pd.DataFrame:
    """The ``top`` best suggestions (score ≥ ``min_score``) of each row in ``rows``: row, cand,
    score, rank and their signals packed; ``named`` adds id, base and relation (``Charted`` adds
    them a batch at a time instead, with the evidence in words)."""
    rows = np.asarray(rows, dtype=int)
    parts = [_suggest(index, scorer, rows[i:i + CHUNK], top, min_score) for i in range(0, len(rows), CHUNK)]
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else _none()
    if named:
        out.insert(0, "id", index.id_of(out["row"].to_numpy()))
        out.insert(1, "base", index.id_of(out["cand"].to_numpy()))
        out.insert(2, "relation", relation_guess(index, out["row"].to_numpy()))
    return out


def _suggest(index: Index, scorer: Scorer, rows: np.ndarray, top: int, min_score: float) -> pd.DataFrame:
    pairs = index.pairs(rows)
    if not len(pairs):
        return _none()
    p, score = scorer.calibrated(pairs)
    order = np.lexsort((-p, pairs.child))
    child, cand, score_o = pairs.child[order], pairs.cand[order], score[order]
    keep = np.flatnonzero((_cumcount(child) < top) & (score_o >= min_score))
    child, cand = child[keep], cand[keep]
    bits, overlap, habit = pack_evidence(pairs.x[order[keep]])
    # ranks are counted after the score floor, so rank 1 is always a model's best kept one
    # rows, candidates and ranks fit 32 bits: millions of suggestions are held until they are written
    return pd.DataFrame({"row": child.astype(np.int32), "cand": cand.astype(np.int32),
                         "score": score_o[keep].astype(float), "rank": (_cumcount(child) + 1).astype(np.int32),
                         "bits": bits, "overlap": overlap, "habit": habit})


def _none() -> pd.DataFrame:
    """No suggestions, with the columns' types."""
    return pd.DataFrame({c: np.zeros(0, dtype=float if c in ("score", "overlap", "habit") else np.int32)
                         for c in COLUMNS})


def chart_models(models: Models, seed: int = 0, top: int = TOP, min_score: float = MIN_SCORE,
                 allowed: np.ndarray | None = None) -> Charted:
    """Fit on the models with known bases, suggest for those without. ``allowed``: mask of rows
    that may be suggested (a graph's placeholder models are not)."""
    index = Index(models, known_edges(models), allowed)
    memory.release()  # the construction's temporaries, handed back before the pairs are made
    has = index.has_base
    scorer = fit(index, np.flatnonzero(has), seed=seed)
    memory.release()
    todo = np.flatnonzero(~has & (allowed if allowed is not None else True))
    return Charted(suggest(index, scorer, todo, top, min_score, named=False), index, scorer, len(todo))
