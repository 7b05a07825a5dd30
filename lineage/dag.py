"""Graph algorithms over the whole edge list: cycle breaking and longest-path depth.

Edges point from the derived model (child) to its base, as in the graph. Both algorithms peel
the graph level by level with numpy (Kahn's algorithm, vectorised), so they cost O(E) per level
and never enumerate paths.
"""

from __future__ import annotations

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


def ancestor_pairs(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (model, ancestor) pair of the DAG once: two parallel code arrays.

    Level by level in ``depth`` order (every base of a model is on a lower level), a model's
    ancestors are its bases plus their ancestors, deduplicated, so a model reached along two
    paths (below a merge) counts once. Pairs of one level are stored contiguously per model,
    so the next level gathers a base's ancestors as a slice. The output has one pair per model
    and ancestor (its size and time at 2.5M models: BENCHMARKS.md, "Design measurements").
    """
    if len(child) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(depth[child], kind="stable")
    child, base = child[order], base[order]
    level = depth[child]
    start = np.zeros(n, np.int64)  # where a model's ancestors begin in the concatenated output
    count = np.zeros(n, np.int64)
    nodes, ancestors, total = [], [], 0
    for k in range(1, int(level.max()) + 1):
        lo, hi = np.searchsorted(level, [k, k + 1])
        c, b = child[lo:hi], base[lo:hi]
        if total:
            done = np.concatenate(ancestors) if len(ancestors) > 1 else ancestors[0]
            nodes, ancestors = [np.concatenate(nodes)], [done]
            inherited_child = np.repeat(c, count[b])
            inherited = done[_ranges(start[b], start[b] + count[b])]
        else:
            inherited_child = inherited = np.zeros(0, np.int64)
        key = np.unique(np.concatenate([c * n + b, inherited_child * n + inherited]))  # sorted by model
        pair_node, pair_ancestor = key // n, key % n
        first = np.flatnonzero(np.diff(pair_node, prepend=-1))
        models = pair_node[first]
        start[models] = total + first
        count[models] = np.diff(np.append(first, len(pair_node)))
        nodes.append(pair_node)
        ancestors.append(pair_ancestor)
        total += len(pair_node)
    return np.concatenate(nodes), np.concatenate(ancestors)




def path_counts(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per model: the number of paths from any root down to it (1 on a root) and from it down to
    any leaf (1 on a leaf), summed level by level. Merge ladders multiply paths, so a count that
    would not fit in int64 is TOO_MANY (checked on a float64 twin of every sum)."""
    up, down = np.ones(n, np.int64), np.ones(n, np.int64)
    up_f, down_f = np.ones(n), np.ones(n)
    top = int(depth.max()) if n else 0
    child_level = depth[child]
    for k in range(1, top + 1):  # a model's bases are all on lower levels
        e = child_level == k
        c, b = child[e], base[e]
        up[c], up_f[c] = 0, 0.0
        np.add.at(up, c, up[b])
        np.add.at(up_f, c, up_f[b])
    base_level = depth[base]
    for k in range(top - 1, -1, -1):  # a model's children are all on higher levels
        e = base_level == k
        c, b = child[e], base[e]
        down[b], down_f[b] = 0, 0.0
        np.add.at(down, b, down[c])
        np.add.at(down_f, b, down_f[c])
    limit = float(np.iinfo(np.int64).max) / 2
    up[up_f > limit] = TOO_MANY
    down[down_f > limit] = TOO_MANY
    return up, down


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
    top = int(depth.max()) if n else 0
    dom_depth[:n][nbases == 0] = 1
    for k in range(1, top + 1):
        level = np.flatnonzero(depth == k)
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
    for k in range(top, 0, -1):  # an immediate dominator sits on a lower level than its model
        level = np.flatnonzero(depth == k)
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

    Min-label propagation along edges with pointer jumping; a handful of rounds even on
    2.5M-node graphs.
    """
    label = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(label[child], label[base])
        before = label.copy()
        np.minimum.at(label, child, low)
        np.minimum.at(label, base, low)
        while True:  # pointer jumping: follow labels to their own label
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label
