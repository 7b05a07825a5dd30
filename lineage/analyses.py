"""The lookups over the stored graph: show, chain, descendants, deletion impact and statistics.

Each answer starts from a stored query. What Cypher cannot express without enumerating paths
(counting chains, deciding which models are orphaned) is done here by dynamic programming over
the subgraph the stored query returns, in topological order given by the stored ``depth``
(every base of a model has a smaller depth than the model). Chain counts are exact Python
integers; they reach ~10^14 on real merge ladders.

Definitions are docs/graph.md's: a chain is a path from a root down to a leaf, its length the number of
models on it; a family is a weakly connected component, read from the ``family`` key every load
stores (loader/derive.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pyarrow as pa

from . import ID_BATCH, dag
from ..store.db import Graph, gc_paused
from ..store.properties import DERIVED_PROPERTIES, TOO_MANY
from ..store.errors import HFLineageError, ModelNotFound
from ..store.relations import RELATION_OF, RELATIONS
from .datasets import dataset_stats, latest
from .history import EMPTY_HISTORY, HISTORY_PROPERTIES, deleted_show, snapshot_history

CHAIN_BUCKETS = ("<=2", "<=5", "6-15", ">15")


# --- show ----------------------------------------------------------------------------------

def show(graph: Graph, model_id: str) -> dict:
    """A model's properties, bases, Hub-style model tree, descendant count and depth."""
    rows = graph.read("show", model_id=model_id)
    history = snapshot_history(graph, model_id)
    if not rows:
        if history is None:
            raise ModelNotFound(f"model '{model_id}' is not in the graph")
        return {**deleted_show(model_id, history), "suspected_bases": [], "datasets": [], "newer_version": None,
                "latest": None}
    row = rows[0]
    properties = {k: v for k, v in sorted(row["properties"].items()) if k not in DERIVED_PROPERTIES.values() and k not in HISTORY_PROPERTIES}
    return {
        "id": row["id"],
        "license": row["license"],
        "missing": row["missing"],
        "parents": row["parents"],
        "children": {rel: row["children"][rel] for rel in RELATIONS},
        "descendants": row["descendants"],
        "subtree_downloads": row["subtree_downloads"],
        "subtree_downloads_all_time": row["subtree_downloads_all_time"],
        "depth": row["depth"],
        "properties": properties,
        **(history or EMPTY_HISTORY),
        "suspected_bases": graph.read("chart_suspected", model_id=model_id),
        "datasets": row["datasets"],
        "newer_version": row["newer_version"],
        "latest": latest(row["successors"]),
    }


# --- chain ---------------------------------------------------------------------------------

def chain(graph: Graph, model_id: str) -> dict:
    """Depth, the longest path up to a root (hop by hop, with relations), and every root reached."""
    rows = graph.read("chain", model_id=model_id)
    if not rows:
        if not graph.read("show", model_id=model_id):
            raise ModelNotFound(f"model '{model_id}' is not in the graph")
        raise HFLineageError(f"the stored depth of '{model_id}' is out of date",
                             hint="re-run 'hflineage load' to refresh derived properties")
    return rows[0]


# --- descendants ---------------------------------------------------------------------------

def descendants(graph: Graph, model_id: str) -> dict:
    """Every model deriving from ``model_id`` once, with its shortest distance, most downloaded
    first (ties: nearest, then id)."""
    rows = graph.read("descendants", model_id=model_id)
    if not rows:
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    found = sorted(rows[0]["descendants"], key=lambda d: (-d["downloads"], d["distance"], d["id"]))
    return {"id": rows[0]["id"], "descendants": found}


# --- deletion impact -----------------------------------------------------------------------

def impact(graph: Graph, ids: list[str], with_list: bool = False) -> dict:
    """What deleting the models ``ids`` breaks (docs/graph.md, "deletion impact of a set D")."""
    ids = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if not ids:
        raise HFLineageError("no model ids given")
    if len(ids) == 1 and not with_list:
        one = _impact_one(graph, ids[0])
        if one is not None:
            return one
    known = known_models(graph, ids)
    unknown = [i for i in ids if i not in known]
    # the subgraphs come back as parallel lists in one record (tens of thousands of records cost
    # the driver more than the query) and are walked as lists, never one dict per model
    with gc_paused():
        core = graph.read("impact", ids=[i for i in ids if i in known])[0]
        gone = set(core["deleted"])
        down = (core["down_ids"], core["down_depths"], core["down_bases"])
        orphans = _orphaned(*down, gone)
        chains = _disrupted_chains(core["up_ids"], core["up_depths"], core["up_bases"], *down, gone)
    result = {
        "deleted": sorted(gone),
        "unknown": unknown,
        "affected_derived": core["affected_derived"],
        "affected_downstream": core["affected_downstream"],
        "orphaned": len(orphans),
        "merges_losing_parent": core["merges_losing_parent"],
        "downstream_downloads": core["downstream_downloads"],
        "downstream_downloads_all_time": core["downstream_downloads_all_time"],
        "disrupted_chains": chains,
        "families_touched": core["families_touched"],
    }
    if with_list:
        rows = list(zip(core["down_ids"], core["down_bases"], core["down_merge_bases"]))
        result["models"] = {
            "affected_derived": sorted(i for i, bases, _ in rows if gone.intersection(bases)),
            "affected_downstream": sorted(core["down_ids"]),
            "orphaned": sorted(orphans),
            "merges_losing_parent": sorted(i for i, _, merge_bases in rows if gone.intersection(merge_bases)),
        }
    return result




def known_models(graph: Graph, ids: list[str]) -> set[str]:
    """The ids among ``ids`` that are nodes of the graph (placeholders included), looked up in batches."""
    known: set[str] = set()
    for start in range(0, len(ids), ID_BATCH):
        known.update(r["id"] for r in graph.read("known_models", ids=ids[start:start + ID_BATCH]))
    return known


def _impact_one(graph: Graph, model_id: str) -> dict | None:
    """One model's impact from its stored derived properties (O(1), whatever its subtree), or
    None when the model is not in the graph or a path count was too large to store: then the
    subgraph is read. For one model M the defined numbers are: its children (derived), its
    descendants and their downloads (downstream), the models M dominates (orphaned: every path
    up to a root passes through M), its merge children, and the chains through M, the paths from
    a root to M times the paths from M to a leaf (none when M has no derived model)."""
    rows = graph.read("impact_one", model_id=model_id)
    if not rows:
        return None
    r = rows[0]
    if TOO_MANY in (r["paths_from_roots"], r["paths_to_leaves"]):
        return None
    chains = r["paths_from_roots"] * r["paths_to_leaves"] if r["affected_derived"] else 0
    return {
        "deleted": [r["id"]],
        "unknown": [],
        "affected_derived": r["affected_derived"],
        "affected_downstream": r["affected_downstream"],
        "orphaned": r["orphaned"],
        "merges_losing_parent": r["merges_losing_parent"],
        "downstream_downloads": r["downstream_downloads"],
        "downstream_downloads_all_time": r["downstream_downloads_all_time"],
        "disrupted_chains": chains,
        "families_touched": 1,
    }


def _orphaned(ids: list[str], depths: list[int], bases: list[list[str]], deleted: set[str]) -> set[str]:
    """Downstream models (parallel lists: id, depth, bases) all of whose upward paths to a root
    pass through ``deleted``.

    A model keeps a way up when one of its bases is outside the deleted set and is either
    outside the downstream set (so none of its own paths can touch the deleted set) or itself
    keeps a way up. Bases come before their children in depth order.
    """
    downstream = set(ids)
    anchored: set[str] = set()
    for i in sorted(range(len(ids)), key=depths.__getitem__):
        for b in bases[i]:
            if b not in deleted and (b not in downstream or b in anchored):
                anchored.add(ids[i])
                break
    return downstream - anchored


def _disrupted_chains(up_ids: list[str], up_depths: list[int], up_bases: list[list[str]],
                      down_ids: list[str], down_depths: list[int], down_bases: list[list[str]],
                      deleted: set[str]) -> int:
    """Chains (root-to-leaf paths) through at least one deleted model that has derived models.

    ``up_*``: the deleted models and their ancestors, ``down_*``: the downstream models
    (parallel lists: id, depth, bases). Every such chain has a first such model d on its way down
    from the root, so the count is the sum over d of (paths from a root to d touching no other
    such model) x (paths from d to a leaf).
    """
    bases = dict(zip(up_ids, up_bases))
    depth = dict(zip(up_ids, up_depths))
    depth.update(zip(down_ids, down_depths))
    children: dict[str, list[str]] = defaultdict(list)
    for child, own in zip(down_ids, down_bases):
        for b in own:
            children[b].append(child)
    for d in deleted:  # edges between two deleted models come from the upstream rows
        for b in bases.get(d, ()):
            if b in deleted:
                children[b].append(d)
    cut = {d for d in deleted if children.get(d)}
    if not cut:
        return 0
    # paths from any root down to each upstream model, not passing through another cut model
    paths_up: dict[str, int] = {}
    for i in sorted(range(len(up_ids)), key=up_depths.__getitem__):
        own = up_bases[i]
        paths_up[up_ids[i]] = 1 if not own else sum(paths_up[b] for b in own if b not in cut)
    # paths from each model down to a leaf (every descendant of a deleted model is in `down`)
    paths_down: dict[str, int] = {}
    for node in sorted({*children, *down_ids, *deleted}, key=lambda n: -depth.get(n, 0)):
        kids = children.get(node)
        paths_down[node] = sum(map(paths_down.__getitem__, kids)) if kids else 1
    return sum(paths_up[d] * paths_down[d] for d in cut)


# --- statistics ----------------------------------------------------------------------------

def stats(graph: Graph, top: int = 10) -> dict:
    """The supply-chain study's tables (seed 003 sections 1.1-1.3) over the loaded graph, and
    the training datasets' (lineage/datasets.py)."""
    return {
        "relation_mix": _relation_mix(graph),
        **_depth_histograms(graph),
        **_chains_and_families(graph, top),
        **_top_degrees(graph, top),
        **dataset_stats(graph, top),
    }


def _shares(counts: Counter) -> dict:
    total = sum(counts.values())
    return {rel: round(counts.get(rel, 0) / total, 4) if total else 0.0 for rel in RELATIONS}


def _relation_mix(graph: Graph) -> dict:
    mix = {rel: {"declared": 0, "inferred": 0} for rel in RELATIONS}
    for row in graph.read("stats_relation_mix"):
        mix[row["relation"]]["declared" if row["declared"] else "inferred"] += row["edges"]
    total = sum(v["declared"] + v["inferred"] for v in mix.values())
    for v in mix.values():
        v["share"] = round((v["declared"] + v["inferred"]) / total, 4) if total else 0.0
    return mix


def _depth_histograms(graph: Graph) -> dict:
    overall: Counter = Counter()
    by_task: dict[str, Counter] = defaultdict(Counter)
    models = isolated = 0
    for row in graph.read("stats_depth_histogram"):
        models += row["models"]
        if not row["in_lineage"]:
            isolated += row["models"]
            continue
        overall[row["depth"]] += row["models"]
        by_task[row["pipeline_tag"] or "(none)"][row["depth"]] += row["models"]
    as_list = lambda c: {int(d): c[d] for d in sorted(c)}  # JSON output makes the keys strings
    return {
        "models": models,
        "isolated_models": isolated,
        "depth_histogram": as_list(overall),
        "depth_histogram_by_pipeline_tag": {t: as_list(c) for t, c in
                                            sorted(by_task.items(), key=lambda kv: -sum(kv[1].values()))},
    }


def _top_degrees(graph: Graph, top: int) -> dict:
    rows = graph.read("stats_top_degree", limit=top)
    by = lambda key: sorted((r for r in rows if r[key] > 0), key=lambda r: (-r[key], r["id"]))[:top]
    return {"top_in_degree": by("in_degree"), "top_out_degree": by("out_degree")}


def _chains_and_families(graph: Graph, top: int) -> dict:
    edges = graph.fetch_table("stats_edges", ["child", "base", "type", "family"], [pa.string()] * 4)
    if not edges.num_rows:
        return {"families": 0, "chains": 0, "chain_length": {k: {"chains": 0, "share": 0.0} for k in CHAIN_BUCKETS}, "top_chains": [], "top_families": []}
    enc = dag.encode(edges["child"].combine_chunks(), edges["base"].combine_chunks())
    names = enc.names.to_pylist()
    rel = np.array([RELATIONS.index(RELATION_OF[t]) for t in edges["type"].to_pylist()], dtype=np.int8)
    keys, family = _families(enc, edges["family"])
    del edges
    n = len(names)
    depth = dag.depths(n, enc.child, enc.base)
    is_leaf = np.bincount(enc.base, minlength=n) == 0

    lengths = _chain_lengths(n, enc.child, enc.base, depth)  # [n, 16] paths root->node by length
    leaf_lengths = lengths[is_leaf]
    per_length = [sum(int(x) for x in leaf_lengths[:, k]) for k in range(lengths.shape[1])]
    total = sum(per_length)
    # length L is column L-1; the last column holds every length above 15
    buckets = {"<=2": sum(per_length[:2]), "<=5": sum(per_length[:5]),
               "6-15": sum(per_length[5:15]), ">15": per_length[15]}
    chain_length = {k: {"chains": v, "share": round(v / total, 4) if total else 0.0} for k, v in buckets.items()}

    return {
        "families": len(keys),
        "chains": total,
        "chain_length": chain_length,
        "top_chains": _top_chains(enc, names, rel, depth, is_leaf, top),
        "top_families": _top_families(graph, enc, keys, rel, family, lengths, is_leaf, top),
    }


def _families(enc: dag.Encoded, edge_family: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """The family keys, and for each model on an edge (``enc.names``) the index of its key, from
    each edge's stored ``family`` (both ends of an edge are in one family). Read with the edges:
    a read of the models' keys apart would cost as much again as the edges' read."""
    key = edge_family.combine_chunks().dictionary_encode()
    family = np.empty(len(enc.names), dtype=np.int64)
    family[enc.child] = family[enc.base] = key.indices.to_numpy()
    return key.dictionary.to_pylist(), family


def _chain_lengths(n: int, child: np.ndarray, base: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Number of paths from any root to each node, by the path's length in models (1..15, 16+).

    Level by level: a node's counts are its bases' counts shifted by one. int64 while the
    totals fit, exact Python integers (object arrays) once they would not.
    """
    width = 16
    totals = np.zeros(n)  # float estimate of all paths, to choose the integer type
    order = np.argsort(depth[child], kind="stable")
    child, base = child[order], base[order]
    level_of_edge = depth[child]
    cuts = np.searchsorted(level_of_edge, np.arange(depth.max() + 2))
    totals[depth == 0] = 1.0
    for lvl in range(1, depth.max() + 1):
        lo, hi = cuts[lvl], cuts[lvl + 1]
        np.add.at(totals, child[lo:hi], totals[base[lo:hi]])
    dtype = np.int64 if totals.max() < 2.0 ** 62 / width else object
    counts = np.zeros((n, width), dtype=dtype)
    counts[depth == 0, 0] = 1
    for lvl in range(1, depth.max() + 1):
        lo, hi = cuts[lvl], cuts[lvl + 1]
        src = counts[base[lo:hi]]
        shifted = np.zeros_like(src)
        shifted[:, 1:] = src[:, :-1]
        shifted[:, -1] += src[:, -1]  # 16+ stays 16+
        np.add.at(counts, child[lo:hi], shifted)
    return counts


def _top_chains(enc, names, rel, depth, is_leaf, top) -> list[dict]:
    """The longest chains: the deepest leaves, each with its longest path and relation shares."""
    order = sorted(np.flatnonzero(is_leaf & (depth > 0)), key=lambda i: (-depth[i], names[i]))[:top]
    out = []
    by_child = np.argsort(enc.child, kind="stable")
    starts = np.searchsorted(enc.child[by_child], np.arange(len(names) + 1))
    for leaf in order:
        node, path, rels = leaf, [names[leaf]], Counter()
        while depth[node] > 0:
            edges = by_child[starts[node]:starts[node + 1]]
            best = min((e for e in edges if depth[enc.base[e]] == depth[node] - 1), key=lambda e: names[enc.base[e]])
            rels[RELATIONS[rel[best]]] += 1
            node = enc.base[best]
            path.append(names[node])
        out.append({"leaf": names[leaf], "root": path[-1], "length": len(path), "shares": _shares(rels)})
    return out


def _top_families(graph, enc, keys, rel, family, lengths, is_leaf, top) -> list[dict]:
    """The ``top`` largest families (ties: the smallest key), each named by its root with most
    descendants; ``family`` holds each model's index into ``keys``."""
    sizes = np.bincount(family, minlength=len(keys))
    labels = sorted(range(len(keys)), key=lambda f: (-sizes[f], keys[f]))[:top]
    chosen = [keys[f] for f in labels]
    named = {r["family"]: r for r in graph.read("stats_family_roots", families=chosen)}
    fam_of_edge = family[enc.child]
    chain_totals = lengths.sum(axis=1)
    out = []
    for f, key in zip(labels, chosen):
        rels = Counter({RELATIONS[k]: int(v) for k, v in enumerate(np.bincount(rel[fam_of_edge == f], minlength=4))})
        leaves = np.flatnonzero(is_leaf & (family == f))
        root = named.get(key, {})
        out.append({
            "root": root.get("root"),
            "size": int(sizes[f]),
            "chains": sum(int(x) for x in chain_totals[leaves]),
            "shares": _shares(rels),
            "pipeline_tag": root.get("pipeline_tag"),
        })
    return out
