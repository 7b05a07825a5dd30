"""Blocked candidate generation and the signal features of each (child, candidate) pair.

A child is never compared with every model: its candidates come from a few indexes, each list
cut to the most popular entries so that a common token, a one-letter name or a crowded
parameter count costs a bounded amount:

- name: every contiguous run of the child's name tokens looked up among the candidates' names
  (the base's name inside the child's, ``Llama-3.1-8B-Instruct`` in ``Llama-3.1-8B-Instruct-GGUF``);
- tokens: the candidates sharing the child's rarest name tokens;
- author: the author's own earlier models, and the bases the author's other models declare;
- parameters: candidates with the same parameter total (within 1%);
- architecture: the most popular candidates of the child's model type / gguf architecture;
- hubs: the few models of the child's pipeline tag that most models already declare as base
  (the popularity prior Majority and Price's model rest on).

The hard rules hold for every channel: never the child itself, never a quantized-looking
candidate, never a candidate created after the child (when both dates are known).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models import QUANT_NAME, Models

FEATURES = (
    "bias", "name_contained", "name_cover", "name_plus_suffix", "token_overlap", "same_author", "author_habit",
    "author_in_name", "params_equal", "params_close", "params_far", "params_unknown", "arch_equal", "arch_differ",
    "library_equal", "pipeline_equal", "pipeline_differ", "popularity", "downloads", "candidate_has_base",
    "time_unknown", "time_gap", "quantized_named", "best_name", "most_popular", "child_merge", "auto_model_equal",
    "child_in_candidate", "common_prefix", "latest_same_author", "params_equal_named", "merge_same_author",
    "popularity_share", "earliest", "latest_named",
)
_F = {name: i for i, name in enumerate(FEATURES)}
# signals that tie a pair beyond popularity, library and pipeline tag: a suggestion needs one
SIGNALS = ("name_contained", "author_habit", "params_equal", "params_close", "arch_equal", "same_author")
MIN_OVERLAP = 0.3  # or names sharing this much (rarity-weighted) of their tokens

NAME_CAP = 50  # candidates kept per exact name
TOKEN_CAP = 200  # candidates kept per name token
TOKEN_DF_MAX = 0.02  # a token in more than this share of names is too common to block on
AUTHOR_CAP = 30
PARAM_CAP = 20
ARCH_CAP = 10
HUB_CAP = 5
MAX_CANDIDATES = 150  # per child, after the union
MAX_RUN = 10  # longest token run looked up as a name


@dataclass
class Pairs:
    """Candidate pairs of the charted children: parallel arrays plus the feature matrix."""

    child: np.ndarray  # row index of the child in Models.frame
    cand: np.ndarray  # row index of the candidate
    x: np.ndarray  # float matrix, one column per FEATURES entry

    def __len__(self) -> int:
        return len(self.child)


class Index:
    """The blocking indexes over the candidates of one Models, and what the known edges say."""

    def __init__(self, models: Models, known: dict[str, set[str]], allowed: np.ndarray | None = None,
                 require_signal: bool = True):
        f = models.frame
        self.f = f
        self.n = len(f)
        self.row_of = dict(zip(f["id"].tolist(), range(self.n)))  # ids are distinct (models.read_models)
        self.known = known  # child id -> its visible base ids
        # product charting suggests only on evidence beyond the popularity prior (SIGNALS); the
        # component protocol, like the paper, gives every model of a known component a parent
        self.require_signal = require_signal
        self.children = Counter(b for bases in known.values() for b in bases)
        self.ids = f["id"].to_numpy().astype(object)
        self.keys = _strs(f["key"])
        self.key_tokens = [k.split("-") if k else [] for k in self.keys]
        self.authors = _strs(f["author"])
        self.created = f["created"].to_numpy(dtype=float)
        self.params = f["params"].to_numpy(dtype=float)
        self.arch = _strs(f["arch"])
        self.auto = _strs(f["auto_model"])
        self.library = _strs(f["library"])
        self.pipeline = _strs(f["pipeline"])
        self.quantized = f["quantized"].to_numpy(dtype=bool)
        self.merge = f["merge"].to_numpy(dtype=bool)
        self.adapter = f["adapter"].to_numpy(dtype=bool)
        self.names = f["name"].to_numpy(dtype=object)
        self.downloads = f["downloads"].to_numpy(dtype=float)
        ok = ~self.quantized
        if allowed is not None:
            ok &= allowed
        self.ok = ok
        pop = np.array([self.children.get(i, 0) for i in f["id"].to_numpy()], dtype=float)
        self.pop = pop
        self.has_base = np.array([bool(known.get(i)) for i in f["id"].to_numpy()])
        order = np.lexsort((-self.downloads, -pop))  # most popular first
        ranked = [int(i) for i in order if ok[i]]
        self.by_name = _capped(((self.keys[i], i) for i in ranked), NAME_CAP)
        df = Counter(t for i in ranked for t in set(self.key_tokens[i]))
        self.idf = {t: math.log(1 + len(ranked) / c) for t, c in df.items()}
        too_common = max(50, TOKEN_DF_MAX * len(ranked))
        self.by_token = _capped(((t, i) for i in ranked for t in set(self.key_tokens[i]) if df[t] <= too_common),
                                TOKEN_CAP)
        self.by_author = _capped(((self.authors[i], i) for i in ranked if self.authors[i]), AUTHOR_CAP)
        self.by_params = _capped(((_pbin(self.params[i]), i) for i in ranked if self.params[i] > 0), PARAM_CAP)
        self.by_arch = _capped(((self.arch[i], i) for i in ranked if self.arch[i]), ARCH_CAP)
        # popularity prior (Majority / Price's): the hubs of a pipeline tag, models with 2+ known children
        # ("" holds the hubs of every pipeline: a child's tag may be missing or differ from its base's)
        hubs = [i for i in ranked if pop[i] >= 2]
        self.hubs = _capped(((self.pipeline[i], i) for i in hubs if self.pipeline[i]), HUB_CAP)
        self.hubs[""] = hubs[:HUB_CAP]
        self.ntok = np.array([len(t) for t in self.key_tokens], dtype=float)
        self.token_sets = [frozenset(t) for t in self.key_tokens]
        self.token_weight = np.array([math.fsum(self.idf.get(t, 1.0) for t in ts) for ts in self.token_sets])
        self.core = np.array(["-".join(t for t in toks if not QUANT_NAME.search(t)) for toks in self.key_tokens],
                             dtype=object)
        habits: dict[str, Counter] = defaultdict(Counter)
        for child, bases in known.items():
            r = self.row_of.get(child)
            if r is None:
                continue
            for b in sorted(bases):  # Counter.most_common breaks ties by insertion order
                habits[self.authors[r]][b] += 1
        self.habits = habits

    def candidates(self, c: int) -> list[int]:
        """The blocked candidates of row ``c``, hard rules applied, most promising channels first."""
        out: dict[int, None] = {}
        toks = self.key_tokens[c]
        for i in range(len(toks)):
            for j in range(i + 1, min(len(toks), i + MAX_RUN) + 1):
                for r in self.by_name.get("-".join(toks[i:j]), ()):
                    out[r] = None
        rare = sorted(set(toks), key=lambda t: (-self.idf.get(t, 0.0), t))[:4]
        for t in rare:
            for r in self.by_token.get(t, ())[:50]:
                out[r] = None
        author = self.authors[c]
        if author:
            for r in self.by_author.get(author, ()):
                out[r] = None
            for b, _ in self.habits.get(author, Counter()).most_common(10):
                r = self.row_of.get(b)
                if r is not None:
                    out[r] = None
        if self.params[c] > 0:
            p = _pbin(self.params[c])
            for key in (p - 1, p, p + 1):
                for r in self.by_params.get(key, ()):
                    out[r] = None
        if self.arch[c]:
            for r in self.by_arch.get(self.arch[c], ()):
                out[r] = None
        if self.pipeline[c] or not self.require_signal:
            for r in (*self.hubs.get(self.pipeline[c], ()), *self.hubs[""]):
                out[r] = None
        keep = []
        tc = self.created[c]
        for r in out:
            if r == c or not self.ok[r]:
                continue
            if not (math.isnan(tc) or math.isnan(self.created[r])) and self.created[r] > tc:
                continue
            keep.append(r)
            if len(keep) >= MAX_CANDIDATES:
                break
        return keep

    def pairs(self, children: np.ndarray, own: dict[str, set[str]] | None = None) -> Pairs:
        """Candidates and features of every row in ``children``. ``own``: for children whose
        visible bases are in the index (training rows), the bases to discount, so a row never
        sees its own edges in the popularity and author-habit signals."""
        cs, rs = [], []
        for c in np.asarray(children, dtype=int).tolist():
            cands = self.candidates(c)
            cs.extend([c] * len(cands))
            rs.extend(cands)
        child, cand = np.array(cs, dtype=int), np.array(rs, dtype=int)
        x = self._features(child, cand, own or {})
        if self.require_signal and len(x):
            tied = (x[:, [_F[n] for n in SIGNALS]] > 0).any(axis=1) | (x[:, _F["token_overlap"]] >= MIN_OVERLAP)
            child, cand, x = child[tied], cand[tied], x[tied]
        return Pairs(child, cand, x)

    def _features(self, child: np.ndarray, cand: np.ndarray, own: dict[str, set[str]]) -> np.ndarray:
        """The FEATURES of each pair; ``child`` holds each child's pairs together."""
        x = np.zeros((len(child), len(FEATURES)))
        if not len(child):
            return x
        col = {name: x[:, i] for i, name in enumerate(FEATURES)}
        ids, keys, authors = self.ids, self.keys, self.authors
        col["bias"][:] = 1.0
        padded = [f"-{keys[c]}-" for c in child.tolist()]
        contained = np.array([bool(keys[r]) and f"-{keys[r]}-" in pd_ for r, pd_ in zip(cand.tolist(), padded)])
        col["name_contained"][:] = contained
        ntok = self.ntok
        col["name_cover"][:] = np.where(contained, ntok[cand] / np.maximum(1, ntok[child]), 0.0)
        col["name_plus_suffix"][:] = contained & ((self.core[child] == keys[cand]) | (keys[child] == keys[cand]))
        sets, idf = self.token_sets, self.idf
        shared = np.array([math.fsum(idf.get(t, 1.0) for t in sets[c] & sets[r]) if sets[c] and sets[r] else 0.0
                           for c, r in zip(child.tolist(), cand.tolist())])
        union = self.token_weight[child] + self.token_weight[cand] - shared
        col["token_overlap"][:] = np.where(union > 0, shared / np.maximum(union, 1e-9), 0.0)
        same_author = (authors[child] == authors[cand]) & (authors[child] != "")
        col["same_author"][:] = same_author
        discount = np.array([ids[r] in own.get(ids[c], ()) for c, r in zip(child.tolist(), cand.tolist())], dtype=float) \
            if own else np.zeros(len(child))
        habit = np.array([self.habits.get(authors[c], {}).get(ids[r], 0) for c, r in zip(child.tolist(), cand.tolist())],
                         dtype=float)
        col["author_habit"][:] = np.log1p(np.maximum(0.0, habit - discount))
        col["author_in_name"][:] = np.array([bool(authors[r]) and authors[r] != authors[c] and authors[r] in sets[c]
                                             for c, r in zip(child.tolist(), cand.tolist())])
        pc_, pb = self.params[child], self.params[cand]
        both = (pc_ > 0) & (pb > 0)
        rel = np.where(both, np.abs(pc_ - pb) / np.where(both, np.maximum(pc_, pb), 1.0), np.inf)
        col["params_equal"][:] = both & (pc_ == pb)
        col["params_close"][:] = both & (rel > 0) & (rel <= 0.01)
        col["params_far"][:] = both & (rel > 0.1)
        col["params_unknown"][:] = ~both
        arch_c, arch_r = self.arch[child], self.arch[cand]
        arch_both = (arch_c != "") & (arch_r != "")
        col["arch_equal"][:] = arch_both & (arch_c == arch_r)
        col["arch_differ"][:] = arch_both & (arch_c != arch_r)
        col["auto_model_equal"][:] = (self.auto[child] != "") & (self.auto[child] == self.auto[cand])
        col["library_equal"][:] = (self.library[child] != "") & (self.library[child] == self.library[cand])
        pipe_c, pipe_r = self.pipeline[child], self.pipeline[cand]
        pipe_both = (pipe_c != "") & (pipe_r != "")
        col["pipeline_equal"][:] = pipe_both & (pipe_c == pipe_r)
        col["pipeline_differ"][:] = pipe_both & (pipe_c != pipe_r)
        col["popularity"][:] = np.log1p(np.maximum(0.0, self.pop[cand] - discount))
        col["downloads"][:] = np.log1p(self.downloads[cand]) / 5.0
        col["candidate_has_base"][:] = self.has_base[cand]
        tc, tb = self.created[child], self.created[cand]
        unknown = np.isnan(tc) | np.isnan(tb)
        col["time_unknown"][:] = unknown
        col["time_gap"][:] = np.where(unknown, 0.0, np.log1p(np.maximum(0.0, np.nan_to_num(tc - tb)) / 86_400e6) / 5.0)
        col["quantized_named"][:] = self.quantized[child] & contained
        col["child_merge"][:] = self.merge[child]
        col["child_in_candidate"][:] = np.array([bool(sets[c]) and sets[c] < sets[r]
                                                 for c, r in zip(child.tolist(), cand.tolist())])
        toks = self.key_tokens
        col["common_prefix"][:] = np.array([_prefix(toks[c], toks[r]) for c, r in zip(child.tolist(), cand.tolist())])
        col["params_equal_named"][:] = col["params_equal"] * contained
        col["merge_same_author"][:] = self.merge[child] & same_author
        # the author's most recent earlier model: the parent of a checkpoint chain (seed 002's "snake")
        recent = np.where(same_author & ~unknown, tb, -np.inf)
        starts = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])
        sizes = np.diff(np.r_[starts, len(child)])
        latest = np.repeat(np.maximum.reduceat(recent, starts), sizes)
        col["latest_same_author"][:] = np.isfinite(recent) & (recent == latest)
        sizes = np.diff(np.r_[starts, len(child)])
        top_pop = np.repeat(np.maximum.reduceat(col["popularity"], starts), sizes)
        col["popularity_share"][:] = np.where(top_pop > 0, col["popularity"] / np.maximum(top_pop, 1e-9), 0.0)
        # seed 002's fan (the earliest of the neighbours) and snake (the closest preceding named one)
        known_t = np.where(unknown, np.inf, tb)
        col["earliest"][:] = ~unknown & (known_t == np.repeat(np.minimum.reduceat(known_t, starts), sizes))
        named_t = np.where(contained & ~unknown, tb, -np.inf)
        col["latest_named"][:] = np.isfinite(named_t) & (named_t == np.repeat(np.maximum.reduceat(named_t, starts), sizes))
        for name, best in (("name_cover", "best_name"), ("popularity", "most_popular")):
            top = np.repeat(np.maximum.reduceat(col[name], starts), sizes)
            col[best][:] = (top > 0) & (col[name] == top)
        return x


def _prefix(a: list[str], b: list[str]) -> float:
    """The share of the longer name's tokens the two names start with in common."""
    k = 0
    for ta, tb in zip(a, b):
        if ta != tb:
            break
        k += 1
    return k / max(1, len(a), len(b))


def _pbin(params: float) -> int:
    """Parameter totals in bins of 0.5% (a total within 1% lands in the same or a next bin)."""
    return int(math.floor(math.log(params) / 0.005))


def _strs(series: pd.Series) -> np.ndarray:
    """A column as an object array of strings, '' where missing."""
    return np.array([v if isinstance(v, str) else "" for v in series.tolist()], dtype=object)


def _capped(pairs, cap: int) -> dict:
    """key -> list of row indices, in the order given (most popular first), at most ``cap`` each."""
    out: dict = defaultdict(list)
    for key, i in pairs:
        lst = out[key]
        if len(lst) < cap:
            lst.append(i)
    return dict(out)
