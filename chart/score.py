"""Scoring suggestions: a logistic model over the pair signals, then a calibration of the
ranking it produces, both fitted on the rows whose bases are declared.

Stage 1 (a conditional logit over each child's candidates) gives each candidate its share of
the child's probability mass. Stage 2 turns a pair's stage-1 utility and its margin over the child's best
other candidate into the probability that *this suggestion* is right, fitted on children held
out of stage 1 (a seeded split), so that among suggestions scored near s about a share s is right.
Both are ridge-penalised and solved by Newton's method: a few small dense
solves, deterministic, with nothing beyond numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..store.errors import InputError

from .candidates import FEATURES, Index, Pairs

_F = {name: i for i, name in enumerate(FEATURES)}
MIN_TRAIN = 10  # children whose base is among their candidates, at least, to learn from
TRAIN_CAP = 5_000  # training children sampled at most (a few thousand fit 35 weights; more only cost time)
STAGE1_SHARE = 0.7
_EPS = 1e-6


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Weights of a ridge logistic regression (column 0 is the unpenalised intercept)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - y) + penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return w


def fit_softmax(x: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Weights of a ridge conditional logit: within each group (a child's candidates, held
    together in ``x``), P(candidate) = softmax(x @ w); ``y`` marks the right candidates (a merge
    has several: each gets an equal share of the target). Groups without a right one are dropped."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    hits = np.add.reduceat(y, starts) if len(y) else np.zeros(0)
    keep = np.repeat(hits > 0, sizes)
    x, y, group = x[keep], y[keep], group[keep]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    q = y / np.repeat(np.add.reduceat(y, starts), sizes)
    w = np.zeros(x.shape[1])

    def loss(w):
        lp = np.log(np.maximum(softmax_by_group(x @ w, group), 1e-300))
        return -float(q @ lp) + 0.5 * l2 * float(w @ w)

    current = loss(w)
    for _ in range(iters):
        p = softmax_by_group(x @ w, group)
        grad = x.T @ (p - q) + l2 * w
        mean = np.add.reduceat(x * p[:, None], starts)  # per group E_p[x]
        hess = (x * p[:, None]).T @ x - mean.T @ mean + l2 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        # damped Newton: halve the step until the objective falls (a full step can overshoot)
        t = 1.0
        while t > 1e-4:
            trial = loss(w - t * step)
            if trial <= current:
                break
            t /= 2
        w = w - t * step
        done = current - trial < 1e-9 * max(1.0, abs(current))
        current = trial
        if done or np.max(np.abs(t * step)) < 1e-7:
            break
    return w


def softmax_by_group(z: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per-group softmax of ``z``; ``group`` holds each group's entries together."""
    if not len(z):
        return z
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
    e = np.exp(z)
    return e / np.repeat(np.add.reduceat(e, starts), sizes)


@dataclass
class Scorer:
    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray  # stage 1 over standardised FEATURES
    w2: np.ndarray  # stage 2 over (1, utility, margin, alone)
    trained_children: int
    trained_pairs: int

    def utility(self, pairs: Pairs) -> np.ndarray:
        """Stage 1: each pair's utility (its softmax over the child's candidates ranks them)."""
        w = self.w1 / self.scale
        return pairs.x @ w - float(self.mean @ w)

    def calibrated(self, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        """(stage-1 utility, calibrated score) of every pair."""
        z = self.utility(pairs)
        return z, _sigmoid(_stage2_x(pairs.child, z) @ self.w2)


MARGIN_CAP = 5.0


def _stage2_x(child: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per pair: 1, its stage-1 utility z (absolute: a lone weak candidate stays weak), its
    margin over the best *other* candidate of its child (capped; 0 when it is alone), and
    whether it is alone."""
    alone = np.zeros(len(z))
    margin = np.zeros(len(z))
    if len(z):
        order = np.lexsort((-z, child))
        c, v = child[order], z[order]
        n = len(c)
        start = np.r_[True, c[1:] != c[:-1]]
        first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
        second = np.minimum(first + 1, n - 1)
        has_second = (first + 1 < n) & (c[second] == c)
        other = np.where(start, np.where(has_second, v[second], np.nan), v[first])
        m = np.clip(np.nan_to_num(v - other, nan=0.0), -MARGIN_CAP, MARGIN_CAP)
        margin[order] = m
        alone[order] = np.isnan(other)
    return np.column_stack([np.ones(len(z)), z, margin, alone])


def labels(index: Index, pairs: Pairs) -> np.ndarray:
    """1 where the pair is a known edge (the candidate is one of the child's visible bases)."""
    return index.is_known(pairs.child, pairs.cand).astype(float)


def fit(index: Index, train_rows: np.ndarray, seed: int = 0) -> Scorer:
    """Fit both stages on ``train_rows`` (rows with known bases)."""
    rng = np.random.default_rng(seed)
    rows = np.array(train_rows, dtype=int)
    if len(rows) > TRAIN_CAP:
        rows = rng.choice(rows, TRAIN_CAP, replace=False)
    rows = rng.permutation(rows)
    cut = max(1, int(len(rows) * STAGE1_SHARE)) if len(rows) > 1 else len(rows)
    a = index.pairs(np.sort(rows[:cut]), training=True)
    b = index.pairs(np.sort(rows[cut:]), training=True)
    ya, yb = labels(index, a), labels(index, b)
    learnable = len(np.unique(a.child[ya > 0])) if len(a) else 0
    if learnable < MIN_TRAIN or ya.min() == ya.max():
        raise InputError(f"too few declared bases to learn from: {learnable} model(s) whose declared base is "
                         f"among its candidates, {MIN_TRAIN} needed",
                         hint="chart needs models that declare a base beside the ones that do not")
    mean = a.x.mean(axis=0)
    scale = a.x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0
    scale[scale == 0] = 1.0
    w1 = fit_softmax((a.x - mean) / scale, ya, a.child)
    scorer = Scorer(mean, scale, w1, np.array([0.0, 1.0, 0.0, 0.0]), len(rows), len(a) + len(b))
    if len(b) and yb.min() != yb.max():
        scorer.w2 = fit_logistic(_stage2_x(b.child, scorer.utility(b)), yb, l2=1e-3)
    return scorer


RELATIONS = np.array(["finetune", "merge", "adapter", "quantized"], dtype=object)


def relation_guess(index: Index, c: np.ndarray) -> np.ndarray:
    """The relation each suggestion would have: its child's own quantization / adapter / merge
    signals, in that order of precedence."""
    code = np.where(index.quantized[c], 3, np.where(index.adapter[c], 2, np.where(index.merge[c], 1, 0)))
    return RELATIONS[code]


# the pair signals evidence puts in words, packed one bit each (the suggestions keep these, not x)
EVIDENCE_FLAGS = ("name_plus_suffix", "name_contained", "same_author", "author_in_name", "params_equal",
                  "params_close", "params_far", "arch_equal", "arch_differ", "auto_model_equal", "library_equal",
                  "pipeline_equal", "time_unknown")
_BIT = {name: 1 << i for i, name in enumerate(EVIDENCE_FLAGS)}


def pack_evidence(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signal bits, token overlap, author habit) of each row of a feature matrix."""
    bits = np.zeros(len(x), dtype=np.int32)
    for name, bit in _BIT.items():
        bits |= np.where(x[:, _F[name]] > 0, bit, 0).astype(np.int32)
    return bits, x[:, _F["token_overlap"]].copy(), x[:, _F["author_habit"]].copy()


def evidence(index: Index, c: int, r: int, bits: int, overlap: float, habit: float, name: str) -> list[str]:
    """The signals that fired for the pair (as packed by ``pack_evidence``; ``name``: the
    candidate's name), in words."""
    out = []
    if bits & _BIT["name_plus_suffix"]:
        out.append(f"name is the candidate's name '{name}' plus a format suffix")
    elif bits & _BIT["name_contained"]:
        out.append(f"name contains the candidate's name '{name}'")
    elif overlap >= 0.3:
        out.append(f"names share {overlap:.0%} of their (rarity-weighted) tokens")
    if bits & _BIT["same_author"]:
        out.append(f"same author '{index.authors[c]}'")
    if habit:
        out.append(f"the author's other models declare it as base ({round(math.expm1(habit))})")
    if bits & _BIT["author_in_name"]:
        out.append(f"name carries the candidate's author '{index.authors[r]}'")
    params = index.params[r]
    if bits & _BIT["params_equal"]:
        out.append(f"same parameter total ({params:,.0f})")
    elif bits & _BIT["params_close"]:
        out.append(f"parameter totals within 1% ({index.params[c]:,.0f} vs {params:,.0f})")
    elif bits & _BIT["params_far"]:
        out.append(f"parameter totals differ ({index.params[c]:,.0f} vs {params:,.0f})")
    if bits & _BIT["arch_equal"]:
        out.append(f"same architecture '{index.arch[r]}'")
    elif bits & _BIT["arch_differ"]:
        out.append(f"different architecture ('{index.arch[c]}' vs '{index.arch[r]}')")
    if bits & _BIT["auto_model_equal"]:
        out.append(f"same auto model class '{index.auto[r]}'")
    if bits & _BIT["library_equal"]:
        out.append(f"same library '{index.library[r]}'")
    if bits & _BIT["pipeline_equal"]:
        out.append(f"same pipeline tag '{index.pipeline[r]}'")
    if index.pop[r]:
        out.append(f"declared base of {int(index.pop[r])} other model(s)")
    if not bits & _BIT["time_unknown"]:
        days = (index.created[c] - index.created[r]) / 86_400e6
        out.append(f"created {days:,.0f} day(s) before it")
    return out
