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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store import memory
from .models import QUANT_NAME, Models, name_key

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
_ROWS = tuple(range(len(FEATURES)))
_SIGNAL_ROWS = tuple(_F[name] for name in SIGNALS)

NAME_CAP = 50  # candidates kept per exact name
TOKEN_CAP = 50  # candidates kept per name token
TOKEN_DF_MAX = 0.02  # a token in more than this share of names is too common to block on
AUTHOR_CAP = 30
PARAM_CAP = 20
ARCH_CAP = 10
HUB_CAP = 5
MAX_CANDIDATES = 150  # per child, after the union
MAX_RUN = 10  # longest token run looked up as a name


# Names are compared as sequences of token ids through polynomial hashes (mod 2**64) of every
# prefix: a run of a child's tokens and a candidate's whole name compare in O(1), without strings.
_P = np.uint64(0x9E3779B97F4A7C15)
_MIX_SEED = 20240507  # fixed: the hashes, hence the results, are the same in every run
CHANNEL_SHIFT, SEQ_SHIFT = 40, 12  # a candidate's priority: channel, then query, then list position


@dataclass
class Pairs:
    """Candidate pairs of the charted children: parallel arrays plus the feature matrix."""

    child: np.ndarray  # row index of the child in Models.frame
    cand: np.ndarray  # row index of the candidate
    x: np.ndarray  # float matrix, one column per FEATURES entry

    def __len__(self) -> int:
        return len(self.child)


class Coded:
    """A string column held as integer codes (-1: missing) and its distinct values; ``col[i]`` is
    row i's string ('' when missing). Comparisons run on the codes."""

    def __init__(self, values) -> None:
        cat = pd.Categorical(values)  # read_models gives these columns as categoricals already
        self.uniques = np.asarray(cat.categories, dtype=object)
        usable = np.array([_nonempty(v) for v in self.uniques], dtype=bool)
        codes = np.asarray(cat.codes, dtype=np.int32)
        self.codes = np.where((codes >= 0) & usable[np.maximum(codes, 0)], codes, -1).astype(np.int32) \
            if len(usable) else codes

    def __getitem__(self, i: int) -> str:
        code = self.codes[i]
        return self.uniques[code] if code >= 0 else ""

    def __len__(self) -> int:
        return len(self.codes)


def _nonempty(v) -> bool:
    return isinstance(v, str) and v != ""


class _Postings:
    """key -> rows, most popular first, at most ``cap`` per key, as sorted arrays: a batch of
    lookups is two searchsorted calls."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray, rank: np.ndarray, cap: int) -> None:
        order = np.lexsort((rank, keys))
        keys, rows = keys[order], rows[order]
        keep = _cumcount(keys) < cap
        self.keys, self.rows = keys[keep], rows[keep]

    def lookup(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(index into ``query``, row, position in the key's list) of every hit."""
        lo = np.searchsorted(self.keys, query, "left")
        hi = np.searchsorted(self.keys, query, "right")
        qi, pos = _expand(hi - lo)
        return qi, self.rows[lo[qi] + pos], pos


class Index:
    """The blocking indexes over the candidates of one Models, and what the known edges say."""

    def __init__(self, models: Models, known: pd.DataFrame, allowed: np.ndarray | None = None,
                 require_signal: bool = True):
        from . import kernel as k

        f = models.frame
        n = self.n = len(f)
        # product charting suggests only on evidence beyond the popularity prior (SIGNALS); the
        # component protocol, like the paper, gives every model of a known component a parent
        self.require_signal = require_signal
        # the row tables chart/kernel.py reads (a row's attributes side by side in memory); each
        # per-row attribute below is a view of its column, so it is held once
        self._ints = np.zeros((n, k.INT_COLUMNS), dtype=np.int32)
        self._reals = np.zeros((n, k.REAL_COLUMNS))
        self.ids = _arrow_column(f["id"])  # the frame's Arrow buffers, shared: not millions of Python strings
        self.names = f["name"]  # read a batch at a time, when evidence is put in words
        self.authors, self.arch, self.auto = Coded(f["author"]), Coded(f["arch"]), Coded(f["auto_model"])
        self.library, self.pipeline = Coded(f["library"]), Coded(f["pipeline"])
        for coded, col in ((self.authors, k.I_AUTHOR), (self.arch, k.I_ARCH), (self.auto, k.I_AUTO),
                           (self.library, k.I_LIBRARY), (self.pipeline, k.I_PIPELINE)):
            coded.codes = self._int(col, coded.codes)
        self.created = self._real(k.R_CREATED, f["created"].to_numpy(dtype=float))
        self.params = self._real(k.R_PARAMS, f["params"].to_numpy(dtype=float))
        self.downloads = self._real(k.R_DOWNLOADS, f["downloads"].to_numpy(dtype=float))
        self.quantized = f["quantized"].to_numpy(dtype=bool)
        self.merge = f["merge"].to_numpy(dtype=bool)
        self.adapter = f["adapter"].to_numpy(dtype=bool)
        self._int(k.I_QUANTIZED, self.quantized)
        self._int(k.I_MERGE, self.merge)
        ok = ~self.quantized
        if allowed is not None:
            ok &= allowed
        self.ok = ok
        self._known_edges(known)
        memory.release()  # Arrow's and numpy's temporaries live in two allocators: each hands its back
        order = np.lexsort((-self.downloads, -self.pop))  # most popular first
        ranked = order[ok[order]]
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        self._tokens(f["name"])
        memory.release()
        V = len(self.vocab)
        # token rarity over the candidates' names
        drow = np.repeat(np.arange(n), self.dend - self.dstart)  # the row of each distinct token
        df = np.bincount(self.dtoks[ok[drow]], minlength=V)
        with np.errstate(divide="ignore"):
            idf = np.log1p(len(ranked) / df)
        self.idf_rank = np.where(df > 0, idf, 0.0)  # unknown tokens are the least rare
        self.idf_w = np.where(df > 0, idf, 1.0)  # and weigh 1 in the overlap
        self._real(k.R_WEIGHT, np.bincount(drow, weights=self.idf_w[self.dtoks], minlength=n))
        L = self.ntok
        named = ok & (L > 0)
        self.by_name = _Postings(self._hashes[named, k.H_KEY], np.flatnonzero(named), rank[named], NAME_CAP)
        too_common = max(50, TOKEN_DF_MAX * len(ranked))
        entry = ok[drow] & (df[self.dtoks] <= too_common)
        self.by_token = _Postings(self.dtoks[entry], drow[entry], rank[drow[entry]], TOKEN_CAP)
        a = self.authors.codes
        has = ok & (a >= 0)
        self.by_author = _Postings(a[has], np.flatnonzero(has), rank[has], AUTHOR_CAP)
        has = ok & (self.params > 0)
        self.by_params = _Postings(_param_bin(self.params[has]), np.flatnonzero(has), rank[has], PARAM_CAP)
        has = ok & (self.arch.codes >= 0)
        self.by_arch = _Postings(self.arch.codes[has], np.flatnonzero(has), rank[has], ARCH_CAP)
        # popularity prior (Majority / Price's): the hubs of a pipeline tag, models with 2+ known
        # children, and the hubs of every pipeline (a child's tag may be missing or differ from its base's)
        hub = ok & (self.pop >= 2)
        has = hub & (self.pipeline.codes >= 0)
        self.hubs = _Postings(self.pipeline.codes[has], np.flatnonzero(has), rank[has], HUB_CAP)
        self.top_hubs = ranked[hub[ranked]][:HUB_CAP]
        self._int(k.I_ATOK, _author_tokens(self.authors, self.vocab))
        memory.release()

    def _int(self, col: int, values) -> np.ndarray:
        """Fill column ``col`` of the integer row table; the column, as a view."""
        self._ints[:, col] = values
        return self._ints[:, col]

    def _real(self, col: int, values) -> np.ndarray:
        self._reals[:, col] = values
        return self._reals[:, col]

    def id_of(self, rows: np.ndarray) -> np.ndarray:
        """The ids of ``rows``, as an object array."""
        return self.ids.take(pa.array(np.asarray(rows, dtype=np.int64))).to_numpy(zero_copy_only=False)

    def rows_of(self, ids) -> np.ndarray:
        """The row of each id (a list or a string column; -1: not a model of the index)."""
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        values = _arrow_strings(ids) if isinstance(ids, pd.Series) else pa.array(ids, pa.string())
        found = pc.index_in(values, value_set=_one_string_array(self.ids))
        return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    # -- construction ------------------------------------------------------------------------

    def _known_edges(self, known: pd.DataFrame) -> None:
        """Popularity, who has a base, and the author habits (author -> bases their models declare),
        from ``known`` (chart.known_edges: child, base)."""
        n = self.n
        from . import kernel as k

        crow, brow = self.rows_of(known["child"]), self.rows_of(known["base"])
        self.pop = self._real(k.R_POP, np.bincount(brow[brow >= 0], minlength=n))
        self.has_base = np.zeros(n, dtype=bool)
        self.has_base[crow[crow >= 0]] = True
        self._int(k.I_HAS_BASE, self.has_base)
        self._known_keys = np.unique(crow[(crow >= 0) & (brow >= 0)] * n + brow[(crow >= 0) & (brow >= 0)])
        # habits: per author, each base counted once per child; ties go to the base seen first
        # (children in ``known``'s order, each child's bases sorted), as Counter.most_common would
        inframe = crow >= 0
        h = pd.DataFrame({"author": self.authors.codes[crow[inframe]].astype(np.int64),
                          "base": pd.factorize(known["base"])[0][inframe],
                          "row": brow[inframe], "seq": np.arange(len(crow))[inframe]})
        g = h.groupby(["author", "base"], sort=False).agg(count=("seq", "size"), first=("seq", "min"),
                                                          row=("row", "first")).reset_index()
        g = g.sort_values(["author", "count", "first"], ascending=[True, False, True], kind="stable")
        pos = _cumcount(g["author"].to_numpy())
        top = (pos < 10) & (g["row"].to_numpy() >= 0) & (g["author"].to_numpy() >= 0)
        self.habit_keys_author = g["author"].to_numpy()[top]
        self.habit_rows = g["row"].to_numpy()[top]
        self.habit_pos = pos[top]
        inrow = (g["row"].to_numpy() >= 0) & (g["author"].to_numpy() >= 0)
        keys = g["author"].to_numpy()[inrow] * n + g["row"].to_numpy()[inrow]
        order = np.argsort(keys)
        self._habit_keys, self._habit_counts = keys[order], g["count"].to_numpy()[inrow][order].astype(float)
        self._habit_rows = (self._habit_keys % max(n, 1)).astype(np.int64)
        # each row's author's habits: _habit_keys[lo:hi]
        a = self.authors.codes.astype(np.int64)
        lo = np.searchsorted(self._habit_keys, np.maximum(a, 0) * n)
        hi = np.searchsorted(self._habit_keys, (np.maximum(a, 0) + 1) * n)
        self._int(k.I_HAB_LO, np.where(a >= 0, lo, 0))
        self._int(k.I_HAB_HI, np.where(a >= 0, hi, 0))

    def _tokens(self, names: pd.Series) -> None:
        """Token ids (the vocabulary sorted, so id order is string order), per-row sequences,
        distinct sorted sets, and the prefix hashes of every name."""
        from . import kernel as k

        keys = pc.fill_null(name_key(_arrow_strings(names)), "")  # a name's lower-case tokens joined by '-'
        lists = pc.split_pattern(keys, "-")
        lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        empty = pc.equal(keys, "").to_numpy(zero_copy_only=False)
        lengths[empty] = 0
        flat = pc.list_flatten(lists)
        flat = flat.filter(pc.not_equal(flat, ""))  # an empty key splits into one empty token
        enc = pc.dictionary_encode(flat).combine_chunks() if isinstance(flat, pa.ChunkedArray) else pc.dictionary_encode(flat)
        words = enc.dictionary.to_numpy(zero_copy_only=False).astype(object)
        order = np.argsort(words, kind="stable")
        rank = np.empty(len(words), dtype=np.int32)
        rank[order] = np.arange(len(words))
        self.vocab = words[order]
        self.tok = rank[enc.indices.to_numpy(zero_copy_only=False)] if len(words) else np.zeros(0, np.int32)
        self.ntok = self._int(k.I_NTOK, lengths)
        tptr = np.r_[0, np.cumsum(lengths)]
        self._int(k.I_TPTR, tptr[:-1])
        V = max(len(words), 1)
        self.dtoks, dptr = k.distinct_tokens(tptr, self.tok)  # each name's distinct tokens, sorted
        # each row's distinct tokens: dtoks[dstart:dend]
        self.dstart, self.dend = self._int(k.I_DPTR, dptr[:-1]), self._int(k.I_DEND, dptr[1:])
        del dptr
        mix = np.random.default_rng(_MIX_SEED).integers(1, 2**63, size=V, dtype=np.int64).astype(np.uint64)
        core = np.array([not QUANT_NAME.search(w) for w in self.vocab], dtype=bool)  # not a format/quant word
        # keyhash: the whole name's; corehash: the name without its format and quantization words
        self.pre, hptr, keyhash, corehash = k.name_hashes(tptr, self.tok, mix, core, _P)
        self.hptr = self._int(k.I_HPTR, hptr)
        self._hashes = np.column_stack([keyhash, corehash])
        self.pw = _powers(int(lengths.max(initial=0)) + 1)

    # -- candidates ---------------------------------------------------------------------------

    def _candidates(self, children: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``children``, candidate row) of every kept pair, grouped by position, each
        group in channel order (name runs, rare tokens, author, parameters, architecture, hubs)."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def add(channel: int, q: np.ndarray, rows: np.ndarray, seq, pos: np.ndarray) -> None:
            parts.append((q, rows, (channel << CHANNEL_SHIFT) + (np.asarray(seq, dtype=np.int64) << SEQ_SHIFT) + pos))

        k = np.arange(len(children))
        L = self.ntok[children]
        for d in range(1, min(MAX_RUN, int(L.max(initial=0))) + 1):  # every run of d tokens
            qi, i = _expand(np.maximum(L - d + 1, 0))
            base = self.hptr[children[qi]] + i
            h = self.pre[base + d] - self.pre[base] * self.pw[d]
            hi, rows, pos = self.by_name.lookup(h)
            add(0, qi[hi], rows, i[hi] * (MAX_RUN + 1) + d, pos)
        qi, j = _expand(self.dend[children] - self.dstart[children])
        t = self.dtoks[self.dstart[children[qi]] + j]
        order = np.lexsort((t, -self.idf_rank[t], qi))  # rarest first, ties by token
        qi, t = qi[order], t[order]
        rare = _cumcount(qi) < 4
        seq = _cumcount(qi)[rare]
        hi, rows, pos = self.by_token.lookup(t[rare])
        add(1, qi[rare][hi], rows, seq[hi], pos)
        a = self.authors.codes[children]
        sel = np.flatnonzero(a >= 0)
        hi, rows, pos = self.by_author.lookup(a[sel])
        add(2, sel[hi], rows, 0, pos)
        lo = np.searchsorted(self.habit_keys_author, a[sel], "left")
        qi2, j = _expand(np.searchsorted(self.habit_keys_author, a[sel], "right") - lo)
        add(2, sel[qi2], self.habit_rows[lo[qi2] + j], 1, self.habit_pos[lo[qi2] + j])
        sel = np.flatnonzero(self.params[children] > 0)
        pbin = _param_bin(self.params[children[sel]])
        for off in (-1, 0, 1):
            hi, rows, pos = self.by_params.lookup(pbin + off)
            add(3, sel[hi], rows, off + 1, pos)
        ar = self.arch.codes[children]
        sel = np.flatnonzero(ar >= 0)
        hi, rows, pos = self.by_arch.lookup(ar[sel])
        add(4, sel[hi], rows, 0, pos)
        pipe = self.pipeline.codes[children]
        sel = np.flatnonzero(pipe >= 0)
        hi, rows, pos = self.hubs.lookup(pipe[sel])
        add(5, sel[hi], rows, 0, pos)
        sel = k if not self.require_signal else sel
        qi, j = _expand(np.full(len(sel), len(self.top_hubs)))
        add(5, sel[qi], self.top_hubs[j], 1, j)

        q = np.concatenate([p[0] for p in parts]).astype(np.int64)
        cand = np.concatenate([p[1] for p in parts]).astype(np.int64)
        prio = np.concatenate([p[2] for p in parts]).astype(np.int64)
        # one pair per (child, candidate), at its best priority
        key = q * self.n + cand
        order = np.lexsort((prio, key))
        first = np.r_[True, key[order][1:] != key[order][:-1]] if len(order) else np.zeros(0, bool)
        sel = order[first]
        q, cand, prio = q[sel], cand[sel], prio[sel]
        c = children[q]
        tc, tr = self.created[c], self.created[cand]
        later = ~np.isnan(tc) & ~np.isnan(tr) & (tr > tc)
        keep = (cand != c) & self.ok[cand] & ~later
        q, cand, prio = q[keep], cand[keep], prio[keep]
        order = np.lexsort((prio, q))
        q, cand = q[order], cand[order]
        keep = _cumcount(q) < MAX_CANDIDATES
        return q[keep], cand[keep]

    def pairs(self, children: np.ndarray, training: bool = False) -> Pairs:
        """Candidates and features of every row in ``children``. ``training``: the children are
        rows the scorer learns from, so their own known edges are discounted from the
        popularity and author-habit signals (a row never sees its own edges there)."""
        children = np.asarray(children, dtype=np.int64)
        q, cand = self._candidates(children)
        return self._features(children[q], cand, training)

    def is_known(self, child: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Whether each pair is a known (visible) edge."""
        return _member(self._known_keys, child * self.n + cand)

    # -- features -----------------------------------------------------------------------------

    def _features(self, child: np.ndarray, cand: np.ndarray, training: bool) -> Pairs:
        """The FEATURES of each pair (``child`` holds each child's pairs together), the pairs
        without a signal dropped when signals are required (chart/kernel.py computes them)."""
        from .kernel import pair_features

        discount = self.is_known(child, cand).astype(float) if training else np.zeros(len(child))
        x, keep = pair_features(child, cand, discount, _ROWS, self._ints, self._reals, self._hashes, self.tok, self.pre,
                                self.pw, self.dtoks, self.idf_w, self._habit_rows, self._habit_counts,
                                self.require_signal, MIN_OVERLAP, _SIGNAL_ROWS)
        if self.require_signal:
            x, child, cand = x[:, keep], child[keep], cand[keep]
        return Pairs(child, cand, x.T)  # pairs x features, column-major


def _param_bin(params: np.ndarray) -> np.ndarray:
    """Bins of 0.5% of the parameter total (neighbouring bins hold totals within 1%)."""
    return np.floor(np.log(params) / 0.005).astype(np.int64)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts [2, 0, 3]: owners [0, 0, 2, 2, 2] and offsets [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, offset


def _cumcount(keys: np.ndarray) -> np.ndarray:
    """Position of each entry within its run of equal consecutive keys."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, keys[1:] != keys[:-1]]
    idx = np.arange(len(keys))
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _member(sorted_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(query), dtype=bool)
    i = np.minimum(np.searchsorted(sorted_keys, query), len(sorted_keys) - 1)
    return sorted_keys[i] == query


def _powers(k: int) -> np.ndarray:
    """P**0 .. P**k (mod 2**64)."""
    return np.r_[np.uint64(1), np.multiply.accumulate(np.full(k, _P, dtype=np.uint64))].astype(np.uint64)


def _arrow_column(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A string column's Arrow data, without a copy where pandas holds it in Arrow already."""
    values = pa.array(series.array) if len(series) else pa.array([], pa.string())
    return values


def _one_string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return values.cast(pa.string())


def _arrow_strings(series: pd.Series) -> pa.Array:
    """A string column as one Arrow string array."""
    return _one_string_array(_arrow_column(series))


def _author_tokens(authors: Coded, vocab: np.ndarray) -> np.ndarray:
    """Per row, the vocabulary id of its author's name (-1: no name carries it as a token)."""
    ids = pd.Index(vocab).get_indexer(authors.uniques) if len(vocab) and len(authors.uniques) else \
        np.full(len(authors.uniques), -1)
    return np.where(authors.codes >= 0, np.asarray(ids, dtype=np.int64)[np.maximum(authors.codes, 0)]
                    if len(ids) else -1, -1)
