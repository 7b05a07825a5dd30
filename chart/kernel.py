"""The pair features, compiled: one pass over a chunk's (child, candidate) pairs.

Array code over tens of millions of pairs spends its time writing and re-reading temporaries
(each feature is several whole-array passes, with gathers from the model columns); a compiled
loop reads each pair's inputs once. The arrays are those of ``candidates.Index`` (token ids,
prefix hashes of the names, sorted distinct token sets, integer codes of the string columns);
``candidates.FEATURES`` names the rows of the result.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DAY_US = 86_400e6


@njit(cache=True, nogil=True)
def _lower_bound(a, lo, hi, v):
    """The first position in the sorted a[lo:hi] whose value is not below v (hi: none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _find(a, lo, hi, v):
    """Whether the sorted a[lo:hi] holds v."""
    i = _lower_bound(a, lo, hi, v)
    return i < hi and a[i] == v


@njit(cache=True, nogil=True)
def _lookup(rows, values, lo, hi, v):
    """values[i] where rows[i] == v in the sorted rows[lo:hi], else 0."""
    i = _lower_bound(rows, lo, hi, v)
    return values[i] if i < hi and rows[i] == v else 0.0


@njit(cache=True, nogil=True)
def distinct_tokens(tptr, tok):
    """Each row's distinct token ids, sorted, the rows one after the other, and where each row's
    start (the last entry: the total). No temporaries the size of all tokens: the rows are sorted
    in place in the output, a few tokens at a time."""
    n = len(tptr) - 1
    out = np.empty(len(tok), dtype=np.int32)
    dptr = np.empty(n + 1, dtype=np.int64)
    k = 0
    for r in range(n):
        dptr[r] = k
        lo = k
        for i in range(tptr[r], tptr[r + 1]):  # insertion sort: a name has a handful of tokens
            v = tok[i]
            j = k
            while j > lo and out[j - 1] > v:
                out[j] = out[j - 1]
                j -= 1
            out[j] = v
            k += 1
        w = lo  # drop repeats
        for i in range(lo, k):
            if i == lo or out[i] != out[w - 1]:
                out[w] = out[i]
                w += 1
        k = w
    dptr[n] = k
    return out[:k].copy(), dptr


@njit(cache=True, nogil=True)
def name_hashes(tptr, tok, mix, core, P):
    """Polynomial hashes (mod 2**64) of the names as token sequences: every prefix of each row,
    h[0] = 0, h[k+1] = h[k] * P + mix[tok[k]], the rows one after the other (row r's start:
    ``hptr[r]``), and per row the whole name's hash and that of its ``core`` tokens alone."""
    n = len(tptr) - 1
    pre = np.zeros(len(tok) + n + 1, dtype=np.uint64)
    hptr = np.empty(n, dtype=np.int64)
    whole = np.empty(n, dtype=np.uint64)
    kept = np.empty(n, dtype=np.uint64)
    for r in range(n):
        at = tptr[r] + r
        hptr[r] = at
        h = np.uint64(0)
        c = np.uint64(0)
        for i in range(tptr[r], tptr[r + 1]):
            m = mix[tok[i]]
            h = h * P + m
            at += 1
            pre[at] = h
            if core[tok[i]]:
                c = c * P + m
        whole[r] = h
        kept[r] = c
    return pre, hptr, whole, kept


# columns of the per-row tables ``pair_features`` reads (``candidates.Index._tables`` fills them):
# one row of each is a cache line or two, so a candidate costs a few memory reads, not one per column
(I_NTOK, I_TPTR, I_HPTR, I_DPTR, I_DEND, I_AUTHOR, I_ATOK, I_ARCH, I_AUTO, I_LIBRARY, I_PIPELINE, I_HAS_BASE,
 I_QUANTIZED, I_MERGE, I_HAB_LO, I_HAB_HI) = range(16)
INT_COLUMNS = 16
(R_PARAMS, R_POP, R_DOWNLOADS, R_CREATED, R_WEIGHT) = range(5)
REAL_COLUMNS = 5
(H_KEY, H_CORE) = range(2)


@njit(cache=True, nogil=True)
def pair_features(child, cand, discount, F, ints, reals, hashes, tok, pre, pw, dtoks, idf_w, habit_rows,
                  habit_counts, require_signal, min_overlap, signal_cols):
    """(x as features x pairs, keep mask). ``F``: the row of each feature, in candidates.FEATURES
    order (so the names below read as the features they fill). Pairs are grouped by child; the
    features that compare a pair with its child's other candidates (latest, earliest, best name,
    most popular) are taken over all of them, before any pair is dropped."""
    (BIAS, CONTAINED, COVER, SUFFIX, OVERLAP, SAME_AUTHOR, HABIT, AUTHOR_IN_NAME, P_EQ, P_CLOSE, P_FAR, P_UNK,
     A_EQ, A_DIFF, LIB_EQ, PIPE_EQ, PIPE_DIFF, POP, DL, HAS_BASE, T_UNK, T_GAP, Q_NAMED, BEST_NAME, MOST_POP,
     CHILD_MERGE, AUTO_EQ, CHILD_IN, PREFIX, LATEST_AUTHOR, P_EQ_NAMED, MERGE_AUTHOR, POP_SHARE, EARLIEST,
     LATEST_NAMED) = F
    m = len(child)
    x = np.zeros((len(F), m))
    keep = np.ones(m, dtype=np.bool_)
    start = 0
    while start < m:
        c = child[start]
        end = start
        while end < m and child[end] == c:
            end += 1
        ci, cr, chash = ints[c], reals[c], hashes[c]
        lc = ci[I_NTOK]
        tc = cr[R_CREATED]
        best_recent = -np.inf
        best_pop = 0.0
        first_t = np.inf
        best_named = -np.inf
        best_cover = 0.0
        for k in range(start, end):
            r = cand[k]
            ri, rr, rhash = ints[r], reals[r], hashes[r]
            lr = ri[I_NTOK]
            # the candidate's whole name as a run of the child's tokens
            contained = False
            if lr >= 1 and lr <= lc:
                hb = ci[I_HPTR]
                kh = rhash[H_KEY]
                for s in range(lc - lr + 1):
                    if pre[hb + s + lr] - pre[hb + s] * pw[lr] == kh:
                        contained = True
                        break
            x[BIAS, k] = 1.0
            x[CONTAINED, k] = contained
            cover = lr / max(1, lc) if contained else 0.0
            x[COVER, k] = cover
            if contained and (chash[H_CORE] == rhash[H_KEY] or chash[H_KEY] == rhash[H_KEY]):
                x[SUFFIX, k] = 1.0
            # distinct tokens in common (both lists sorted), weighted by rarity
            i, i_end = ci[I_DPTR], ci[I_DEND]
            j, j_end = ri[I_DPTR], ri[I_DEND]
            shared = 0.0
            nshared = 0
            while i < i_end and j < j_end:
                a, b = dtoks[i], dtoks[j]
                if a == b:
                    shared += idf_w[a]
                    nshared += 1
                    i += 1
                    j += 1
                elif a < b:
                    i += 1
                else:
                    j += 1
            union = cr[R_WEIGHT] + rr[R_WEIGHT] - shared
            x[OVERLAP, k] = shared / max(union, 1e-9) if union > 0 else 0.0
            nc, nr = ci[I_DEND] - ci[I_DPTR], ri[I_DEND] - ri[I_DPTR]
            x[CHILD_IN, k] = nc > 0 and nshared == nc and nr > nc
            ac, ar = ci[I_AUTHOR], ri[I_AUTHOR]
            same_author = ac == ar and ac >= 0
            x[SAME_AUTHOR, k] = same_author
            habit = _lookup(habit_rows, habit_counts, ci[I_HAB_LO], ci[I_HAB_HI], r)
            x[HABIT, k] = np.log1p(max(0.0, habit - discount[k]))
            x[AUTHOR_IN_NAME, k] = ri[I_ATOK] >= 0 and ar != ac and _find(dtoks, ci[I_DPTR], ci[I_DEND], ri[I_ATOK])
            pc_, pb = cr[R_PARAMS], rr[R_PARAMS]
            both = pc_ > 0 and pb > 0
            if both:
                rel = abs(pc_ - pb) / max(pc_, pb)
                x[P_EQ, k] = pc_ == pb
                x[P_CLOSE, k] = rel > 0 and rel <= 0.01
                x[P_FAR, k] = rel > 0.1
            else:
                x[P_UNK, k] = 1.0
            if ci[I_ARCH] >= 0 and ri[I_ARCH] >= 0:
                x[A_EQ, k] = ci[I_ARCH] == ri[I_ARCH]
                x[A_DIFF, k] = ci[I_ARCH] != ri[I_ARCH]
            x[AUTO_EQ, k] = ci[I_AUTO] >= 0 and ci[I_AUTO] == ri[I_AUTO]
            x[LIB_EQ, k] = ci[I_LIBRARY] >= 0 and ci[I_LIBRARY] == ri[I_LIBRARY]
            if ci[I_PIPELINE] >= 0 and ri[I_PIPELINE] >= 0:
                x[PIPE_EQ, k] = ci[I_PIPELINE] == ri[I_PIPELINE]
                x[PIPE_DIFF, k] = ci[I_PIPELINE] != ri[I_PIPELINE]
            popularity = np.log1p(max(0.0, rr[R_POP] - discount[k]))
            x[POP, k] = popularity
            x[DL, k] = np.log1p(rr[R_DOWNLOADS]) / 5.0
            x[HAS_BASE, k] = ri[I_HAS_BASE]
            tb = rr[R_CREATED]
            unknown = np.isnan(tc) or np.isnan(tb)
            x[T_UNK, k] = unknown
            if not unknown:
                x[T_GAP, k] = np.log1p(max(0.0, tc - tb) / DAY_US) / 5.0
            x[Q_NAMED, k] = ci[I_QUANTIZED] > 0 and contained
            x[CHILD_MERGE, k] = ci[I_MERGE]
            p = 0
            while p < lc and p < lr and tok[ci[I_TPTR] + p] == tok[ri[I_TPTR] + p]:
                p += 1
            x[PREFIX, k] = p / max(1, max(lc, lr))
            x[P_EQ_NAMED, k] = x[P_EQ, k] * contained
            x[MERGE_AUTHOR, k] = ci[I_MERGE] > 0 and same_author
            # the child's aggregates over its candidates
            if same_author and not unknown and tb > best_recent:
                best_recent = tb
            if popularity > best_pop:
                best_pop = popularity
            if not unknown and tb < first_t:
                first_t = tb
            if contained and not unknown and tb > best_named:
                best_named = tb
            if cover > best_cover:
                best_cover = cover
        for k in range(start, end):
            tb = reals[cand[k], R_CREATED]
            unknown = x[T_UNK, k] > 0
            x[LATEST_AUTHOR, k] = x[SAME_AUTHOR, k] > 0 and not unknown and tb == best_recent
            popularity = x[POP, k]
            x[POP_SHARE, k] = popularity / max(best_pop, 1e-9) if best_pop > 0 else 0.0
            x[MOST_POP, k] = best_pop > 0 and popularity == best_pop
            x[EARLIEST, k] = not unknown and tb == first_t
            x[LATEST_NAMED, k] = x[CONTAINED, k] > 0 and not unknown and tb == best_named
            x[BEST_NAME, k] = best_cover > 0 and x[COVER, k] == best_cover
            if require_signal:
                tied = x[OVERLAP, k] >= min_overlap
                for s in signal_cols:
                    if x[s, k] > 0:
                        tied = True
                keep[k] = tied
        start = end
    return x, keep
