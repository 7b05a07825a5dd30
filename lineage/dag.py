"""Graph algorithms over the whole edge list: cycle breaking and longest-path depth.

Edges point from the derived model (child) to its base, as in the graph. Both algorithms peel
the graph level by level with numpy (Kahn's algorithm, vectorised), so they cost O(E) per level
and never enumerate paths.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.properties import TOO_MANY  # path_counts' mark for a count beyond int64


@dataclass(frozen=True)
class Encoded:
    """Edges as integer codes into ``names`` (sorted unique node ids)."""

    names: pa.Array
    child: np.ndarray
    base: np.ndarray


def encode(child: pa.Array, base: pa.Array) -> Encoded:
    names = pc.unique(pa.concat_arrays([plain(child), plain(base)]))
    names = names.take(pc.sort_indices(names))
    return Encoded(
        names=names,
        child=pc.index_in(child, value_set=names).to_numpy().astype(np.int64),
        base=pc.index_in(base, value_set=names).to_numpy().astype(np.int64),
    )


def plain(a) -> pa.Array:
    """One Arrow array of an Array or a ChunkedArray (to_numpy and the id lookups want one)."""
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def strings(a) -> pa.Array:
    """``plain`` as ``string`` (ids may come as large_string or dictionary-encoded)."""
    return plain(a).cast(pa.string())


def on_cycles(n: int, child: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Boolean mask of the edges that may lie on a cycle (what peeling sources and sinks leaves)."""
    alive = np.ones(len(child), dtype=bool)
    while True:
        outdeg = np.bincount(child[alive], minlength=n)
        indeg = np.bincount(base[alive], minlength=n)
        # an edge whose child has no incoming edge, or whose base has no outgoing one, is on no cycle
        dead = alive & ((indeg[child] == 0) | (outdeg[base] == 0))
        if not dead.any():
            return alive
        alive &= ~dead


def break_cycles(
    edges: list[tuple[str, str]],
    created: dict[str, object],
) -> list[tuple[str, str]]:
    """Edges to drop so that ``edges`` (child, base) has no cycle, as docs/graph.md defines it.

    Repeatedly: find a cycle (DFS from the smallest node id, neighbours in id order, so the
    result is deterministic); drop its edge whose base is newer than its child by the largest
    margin, a null ``createdAt`` on either side counting as a margin of zero (not newer); on a
    tie the edge with the largest (child id, base id). ``edges`` should be the small residue that
    ``on_cycles`` leaves.
    """
    adjacency: dict[str, list[str]] = {}
    for c, b in sorted(set(edges)):
        adjacency.setdefault(c, []).append(b)
    dropped: list[tuple[str, str]] = []
    while True:
        cycle = _find_cycle(adjacency)
        if cycle is None:
            return dropped
        victim = max(cycle, key=lambda e: (_margin(created.get(e[1]), created.get(e[0])), e))
        adjacency[victim[0]].remove(victim[1])
        dropped.append(victim)


def _margin(base_created, child_created) -> float:
    if base_created is None or child_created is None:
        return 0.0
    return (base_created - child_created).total_seconds()


def _find_cycle(adjacency: dict[str, list[str]]) -> list[tuple[str, str]] | None:
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict[str, int] = {}
    for start in sorted(adjacency):
        if colour.get(start, WHITE) != WHITE:
            continue
        stack = [(start, iter(adjacency.get(start, ())))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            state = colour.get(nxt, WHITE)
            if state == GREY:
                loop = path[path.index(nxt):] + [nxt]
                return list(zip(loop[:-1], loop[1:]))
            if state == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, iter(adjacency.get(nxt, ()))))
    return None


def depths(n: int, child: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Longest-path distance from every node up to a root (0 for a root); the graph is a DAG.

    Level-synchronous peeling from the roots: a node's depth is the round in which the last of
    its bases was settled.
    """
    depth = np.zeros(n, dtype=np.int64)
    remaining = np.bincount(child, minlength=n)  # unsettled bases per node
    order = np.argsort(base, kind="stable")
    base_sorted = base[order]
    starts = np.searchsorted(base_sorted, np.arange(n + 1))
    frontier = np.flatnonzero(remaining == 0)
    level = 0
    settled = len(frontier)
    while len(frontier):
        level += 1
        # edges whose base is in the frontier
        idx = _ranges(starts[frontier], starts[frontier + 1])
        kids = child[order[idx]]
        np.subtract.at(remaining, kids, 1)
        touched = np.unique(kids)
        frontier = touched[remaining[touched] == 0]
        depth[frontier] = level
        settled += len(frontier)
    if settled != n:
        raise ValueError(f"the graph has a cycle: {n - settled} nodes never settled")
    return depth


def descendant_sums(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray,
                    weights: list[np.ndarray]) -> list[np.ndarray]:
    """Per model M and per weight array w: the sum of w over M's descendants, each descendant
    once (a model reached along two paths, below a merge, counts once); int64, exact.

    Enumerating every (model, ancestor) pair costs depth² on a chain, so only merges (models
    with two bases or more) have their ancestor sets listed. Every other model hangs from its
    one base in a forest whose roots are the roots and the merges; M's descendants are the
    models below it in that forest (a subtree sum) plus, for each merge whose ancestors include
    M, that merge's forest subtree. The work is linear in the models and edges plus the sizes of
    the merges' ancestor sets.
    """
    nbases = np.bincount(child, minlength=n)
    single = np.flatnonzero(nbases == 1)
    parent = np.full(n, -1, np.int64)
    parent[child[nbases[child] == 1]] = base[nbases[child] == 1]
    # forest subtree sums, deepest level first (a base sits on a lower level than its model)
    single = single[np.argsort(-depth[single], kind="stable")]
    cuts = np.flatnonzero(np.diff(depth[single])) + 1
    subtree = [np.asarray(w, np.int64).copy() for w in weights]
    for level in np.split(single, cuts):
        if not len(level):
            continue
        for s in subtree:
            np.add.at(s, parent[level], s[level])
    out = [s - np.asarray(w, np.int64) for s, w in zip(subtree, weights)]
    merge_of, ancestor = merge_ancestors(n, child, base, depth, nbases, parent)
    for o, s in zip(out, subtree):
        np.add.at(o, ancestor, s[merge_of])
    return out


def merge_ancestors(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray, nbases: np.ndarray,
                    parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (merge, ancestor) pair once, for the merges (two bases or more) of the DAG.

    A merge's ancestors are the forest paths up from its bases (``parent``: the one base of a
    single-base model, -1 elsewhere) plus, where such a path ends at a merge, that merge's
    ancestors. Paths are walked a depth level at a time, deepest first, so two walks of one
    merge that meet do so on the same level and go on as one.
    """
    is_merge = nbases >= 2
    e = is_merge[child]
    if not e.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    owners, nodes = [], []
    buckets: dict[int, list[np.ndarray]] = {}  # depth -> keys (merge * n + node) waiting there
    levels: list[int] = []  # the buckets' depths, negated: a heap, deepest first
    _push(buckets, levels, child[e] * n + base[e], depth, n)
    while levels:
        d = -heapq.heappop(levels)
        keys = np.unique(np.concatenate(buckets.pop(d)))
        m, v = keys // n, keys % n
        owners.append(m)
        nodes.append(v)
        up = parent[v] >= 0
        if up.any():
            _push(buckets, levels, m[up] * n + parent[v[up]], depth, n)
    walk_m, walk_v = np.concatenate(owners), np.concatenate(nodes)
    # where a walk ends at a merge, that merge's ancestors join: merges in depth order
    inherit = is_merge[walk_v]
    via_m, via_r = walk_m[inherit], walk_v[inherit]
    merges = np.flatnonzero(is_merge)
    merges = merges[np.argsort(depth[merges], kind="stable")]
    order = np.argsort(walk_m, kind="stable")
    walk_m, walk_v = walk_m[order], walk_v[order]
    wstart = np.searchsorted(walk_m, np.arange(n + 1))
    order = np.argsort(via_m, kind="stable")
    via_m, via_r = via_m[order], via_r[order]
    vstart = np.searchsorted(via_m, np.arange(n + 1))
    start = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    buf = _Growing()
    level_cuts = np.flatnonzero(np.diff(depth[merges])) + 1
    for level in np.split(merges, level_cuts):
        own = _ranges(wstart[level], wstart[level + 1])
        via = _ranges(vstart[level], vstart[level + 1])
        r = via_r[via]
        inherited = buf.take(_ranges(start[r], start[r] + count[r]))
        keys = np.unique(np.concatenate([walk_m[own] * n + walk_v[own],
                                         np.repeat(via_m[via], count[r]) * n + inherited]))
        m, a = keys // n, keys % n
        first = np.flatnonzero(np.diff(m, prepend=-1))
        start[m[first]] = buf.size + first
        count[m[first]] = np.diff(np.append(first, len(m)))
        buf.extend(a)
    pair_m = np.repeat(merges, count[merges])
    return pair_m, buf.take(_ranges(start[merges], start[merges] + count[merges]))


def _push(buckets: dict, levels: list, keys: np.ndarray, depth: np.ndarray, n: int) -> None:
    """File walk keys (merge * n + node) under their node's depth."""
    d = depth[keys % n]
    order = np.argsort(d, kind="stable")
    keys, d = keys[order], d[order]
    cuts = np.flatnonzero(np.diff(d)) + 1
    for part, level in zip(np.split(keys, cuts), d[np.concatenate([[0], cuts])] if len(d) else []):
        if int(level) not in buckets:
            buckets[int(level)] = []
            heapq.heappush(levels, -int(level))
        buckets[int(level)].append(part)


class _Growing:
    """An int64 array that grows by doubling (appending to a list and concatenating at every
    level would copy everything so far at each level)."""

    def __init__(self):
        self.data = np.zeros(1024, np.int64)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.size + len(values)
        if need > len(self.data):
            grown = np.zeros(max(need, 2 * len(self.data)), np.int64)
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:need] = values
        self.size = need

    def take(self, idx: np.ndarray) -> np.ndarray:
        return self.data[idx]




def path_counts(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per model: the number of paths from any root down to it (1 on a root) and from it down to
    any leaf (1 on a leaf), summed level by level. Merge ladders multiply paths, so a count that
    would not fit in int64 is TOO_MANY (checked on a float64 twin of every sum)."""
    up, down = np.ones(n, np.int64), np.ones(n, np.int64)
    up_f, down_f = np.ones(n), np.ones(n)
    # edges sorted by level once, then sliced (a scan of every edge per level costs depth x edges)
    for c, b in _by_level(child, base, depth[child]):  # a model's bases are all on lower levels
        up[c], up_f[c] = 0, 0.0
        np.add.at(up, c, up[b])
        np.add.at(up_f, c, up_f[b])
    for c, b in reversed(list(_by_level(child, base, depth[base]))):  # its children on higher ones
        down[b], down_f[b] = 0, 0.0
        np.add.at(down, b, down[c])
        np.add.at(down_f, b, down_f[c])
    limit = float(np.iinfo(np.int64).max) / 2
    up[up_f > limit] = TOO_MANY
    down[down_f > limit] = TOO_MANY
    return up, down


def _by_level(child: np.ndarray, base: np.ndarray, level: np.ndarray):
    """The edges grouped by ``level`` (one value per edge), lowest first: (child, base) per group."""
    order = np.argsort(level, kind="stable")
    child, base, level = child[order], base[order], level[order]
    cuts = np.flatnonzero(np.diff(level)) + 1
    return zip(np.split(child, cuts), np.split(base, cuts))


def _levels(depth: np.ndarray) -> list[np.ndarray]:
    """The node codes of each depth that has any, lowest first."""
    order = np.argsort(depth, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(depth[order])) + 1)


def dominated(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Per model M: how many models have every path up to a root through M (M's subtree in the
    dominator tree of the DAG seen from a virtual source above all roots, M itself left out):
    the models orphaned if M alone is deleted.

    The immediate dominator of a model with one base is that base; of a model with several, the
    lowest common ancestor of its bases in the dominator tree (the virtual source when they have
    none in common). Models are settled level by level (bases first), then subtree sizes are
    summed from the deepest level up.
    """
    source = n  # the virtual source
    idom = np.full(n + 1, source, np.int64)
    dom_depth = np.zeros(n + 1, np.int64)  # depth in the dominator tree (the source at 0)
    order = np.argsort(child, kind="stable")
    child_sorted, base_sorted = child[order], base[order]
    starts = np.searchsorted(child_sorted, np.arange(n + 1))
    nbases = np.diff(starts)
    dom_depth[:n][nbases == 0] = 1
    levels = _levels(depth)
    for level in levels[1:]:
        single = level[nbases[level] == 1]
        idom[single] = base_sorted[starts[single]]
        for v in level[nbases[level] > 1]:  # merges: the LCA of their bases, climbing by depth
            bases = base_sorted[starts[v]:starts[v + 1]]
            a = int(bases[0])
            for b in bases[1:]:
                b = int(b)
                while a != b:
                    if dom_depth[a] >= dom_depth[b]:
                        a = int(idom[a])
                    else:
                        b = int(idom[b])
            idom[v] = a
        dom_depth[level] = dom_depth[idom[level]] + 1
    size = np.ones(n + 1, np.int64)
    for level in reversed(levels[1:]):  # an immediate dominator sits on a lower level than its model
        np.add.at(size, idom[level], size[level])
    return size[:n] - 1


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenate range(lo[i], hi[i]) for all i, vectorised."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    offsets = np.repeat(lo - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def components(n: int, child: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Weakly connected components: each node's label is the smallest node code in its component.

    Hooking and pointer jumping: every label is a tree root after the jumps, and each round
    hooks the larger root of every edge whose ends disagree under the smaller one. Hooking roots
    (not the edge's own ends) merges whole trees at once, so a long path whose ids come in any
    order still takes few rounds; labels only decrease, so the smallest code ends as the root.
    """
    label = np.arange(n, dtype=np.int64)
    while True:
        lc, lb = label[child], label[base]
        differ = lc != lb
        if not differ.any():
            return label
        lc, lb = lc[differ], lb[differ]
        np.minimum.at(label, np.maximum(lc, lb), np.minimum(lc, lb))
        while True:  # pointer jumping: follow labels to their own label
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
