"""What changed between two snapshots: docs/snapshots.md, "The figures of an interval" (the supply-chain study's RQ2).

Pure: two ``GraphView``s in (P, the previous graph, and N, the new one, each as "Graph model"
builds it: models, placeholders, the cleaned edges), the interval's figures out. Both graphs
are encoded over one id space (every node of either), so a model keeps its code across them,
and every figure is a numpy pass over the edge arrays (dag.py's level-by-level helpers); chain
counts are exact Python integers when they outgrow int64.

``interval_of`` returns the figures (the JSON document ``hflineage changes`` prints per interval,
keys exactly SPEC's names), ``lists`` the ids behind them (``changes --list``,
``--deleted-impact``), ``top_families`` a graph's ten largest families (the record of a first
snapshot holds those alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import LIST_KINDS, dag, flatten
from ..store import memory
from ..store.errors import ModelNotFound, QueryError
from ..store.relations import RELATIONS
from .results import Result, frame

TOP = 10
CLASSES = ("isolated", "derived", "base", "relational")


@dataclass
class GraphView:
    """One snapshot's graph: ``models`` and ``placeholders`` (string arrays, each id once, the
    two disjoint), ``edges`` (child, base, relation: one of RELATIONS) and per model
    ``last_modified`` (epoch ms, null allowed), ``downloads`` and ``downloads_all_time``
    (aligned with ``models``)."""

    models: pa.Array
    placeholders: pa.Array
    edges: pa.Table
    last_modified: pa.Array
    downloads: pa.Array
    downloads_all_time: pa.Array
    new_version: pa.Array | None = None  # cardData.new_version per model (null: none), aligned with models


class _Encoded:
    """A GraphView over the shared id space ``names`` (sorted): masks and edge code arrays."""

    def __init__(self, view: GraphView, names: pa.Array, codes: list[np.ndarray], downloads: bool = True):
        """``codes``: the view's ``_parts`` coded over ``names`` (id_codes)."""
        u = len(names)
        self.u = u
        where, placeholders, self.child, self.base = codes
        self.model = np.zeros(u, bool)
        self.model[where] = True
        self.node = self.model.copy()
        self.node[placeholders] = True
        rel = pc.index_in(dag.strings(view.edges["relation"]), value_set=pa.array(RELATIONS)).to_numpy(zero_copy_only=False)
        self.rel = rel.astype(np.int8)
        self.has_base = np.bincount(self.child, minlength=u) > 0
        self.has_child = np.bincount(self.base, minlength=u) > 0
        self.rel_mask = np.zeros((len(RELATIONS), u), bool)
        for r in range(len(RELATIONS)):
            self.rel_mask[r, self.child[self.rel == r]] = True
        self.last_modified = np.full(u, np.iinfo(np.int64).min, np.int64)
        self.last_modified[where] = _ints(view.last_modified, np.iinfo(np.int64).min)
        if downloads:  # only the previous graph's are read (the deletion impact)
            self.downloads = np.zeros(u, np.int64)
            self.downloads[where] = _ints(view.downloads, 0)
            self.downloads_all_time = np.zeros(u, np.int64)
            self.downloads_all_time[where] = _ints(view.downloads_all_time, 0)
        self.new_version = np.zeros(u, bool)  # the model names a new_version
        if view.new_version is not None:
            self.new_version[where] = pc.is_valid(view.new_version).to_numpy(zero_copy_only=False)
        self.depth = dag.depths(u, self.child, self.base)
        self.family = dag.components(u, self.child, self.base)
        self._edge_keys = None

    @property
    def edge_keys(self) -> np.ndarray:
        """(child, base, relation) of every edge as one sorted int64 key."""
        if self._edge_keys is None:
            self._edge_keys = np.sort((self.child * self.u + self.base) * 4 + self.rel)
        return self._edge_keys

    def family_sizes(self) -> np.ndarray:
        return np.bincount(self.family[self.node], minlength=self.u)

    def classes(self, mask: np.ndarray) -> dict:
        """SPEC's classes of the models in ``mask``, and the derived ones again by relation."""
        derived = mask & self.has_base
        base = mask & ~self.has_base & self.has_child
        out = {"total": int(mask.sum()),
               "isolated": int((mask & ~self.has_base & ~self.has_child).sum()),
               "derived": int(derived.sum()), "base": int(base.sum()),
               "relational": int(derived.sum() + base.sum())}
        for r, name in enumerate(RELATIONS):
            out[name] = int((mask & self.rel_mask[r]).sum())
        return out

    def relations_of(self, code: int) -> str | None:
        rels = [name for r, name in enumerate(RELATIONS) if self.rel_mask[r, code]]
        return ";".join(rels) if rels else None

    def class_of(self, code: int) -> str:
        if self.has_base[code]:
            return "derived"
        return "base" if self.has_child[code] else "isolated"

    def chains(self, blocked: np.ndarray | None = None) -> int:
        """Root-to-leaf paths of at least two nodes, roots and leaves taken in the whole graph,
        that avoid every node in ``blocked``: a level-by-level count of paths from the roots."""
        if len(self.child) == 0:
            return 0
        ok = np.ones(self.u, bool) if blocked is None else ~blocked
        root = ~self.has_base & self.has_child & ok
        leaf = self.has_base & ~self.has_child & ok
        order = np.argsort(self.depth[self.child], kind="stable")
        child, base = self.child[order], self.base[order]
        keep = ok[child] & ok[base]
        child, base = child[keep], base[keep]
        cuts = np.searchsorted(self.depth[child], np.arange(int(self.depth.max()) + 2))
        estimate = root.astype(float)
        for lvl in range(1, len(cuts) - 1):
            lo, hi = cuts[lvl], cuts[lvl + 1]
            np.add.at(estimate, child[lo:hi], estimate[base[lo:hi]])
        exact = estimate[leaf].sum() < 2.0 ** 62
        paths = root.astype(np.int64) if exact else np.array([int(x) for x in root], dtype=object)
        for lvl in range(1, len(cuts) - 1):
            lo, hi = cuts[lvl], cuts[lvl + 1]
            np.add.at(paths, child[lo:hi], paths[base[lo:hi]])
        return int(paths[leaf].sum()) if exact else sum(int(x) for x in paths[leaf])

    def below(self, start: np.ndarray, blocked: np.ndarray | None = None) -> np.ndarray:
        """Every node reachable downwards (child edges) from ``start``, not entering ``blocked``."""
        order = np.argsort(self.base, kind="stable")
        kids = self.child[order]
        starts = np.searchsorted(self.base[order], np.arange(self.u + 1))
        seen = start.copy()
        frontier = np.flatnonzero(start)
        while len(frontier):
            nxt = kids[dag._ranges(starts[frontier], starts[frontier + 1])]
            if blocked is not None:
                nxt = nxt[~blocked[nxt]]
            nxt = np.unique(nxt[~seen[nxt]])
            seen[nxt] = True
            frontier = nxt
        return seen

    def descendant_counts(self) -> np.ndarray:
        """Per node, how many nodes derive from it, each once (dag.descendant_sums)."""
        return self.descendant_sums([np.ones(self.u, np.int64)])[0]

    def descendant_sums(self, weights: list[np.ndarray]) -> list[np.ndarray]:
        return dag.descendant_sums(self.u, self.child, self.base, self.depth, weights)

    def top(self, names: pa.Array, desc: np.ndarray | None = None) -> list[tuple[int, int, int]]:
        """The TOP largest families by node count (ties: the smaller name): (label, size, root
        code), the root being the family's root with most descendants (ties: smallest id)."""
        sizes = self.family_sizes()
        labels = np.flatnonzero(sizes >= 2)
        labels = labels[np.lexsort((labels, -sizes[labels]))][:TOP]
        if not len(labels):
            return []
        desc = self.descendant_counts() if desc is None else desc
        roots = np.flatnonzero(self.node & ~self.has_base & np.isin(self.family, labels))
        out = []
        for label in labels:
            rs = roots[self.family[roots] == label]
            best = rs[np.lexsort((rs, -desc[rs]))][0]
            out.append((int(label), int(sizes[label]), int(best)))
        # name order among equal sizes follows the family's name
        out.sort(key=lambda t: (-t[1], names[t[2]].as_py()))
        return out


def _ints(values, null: int) -> np.ndarray:
    return pc.fill_null(dag.plain(values).cast(pa.int64()), null).to_numpy(zero_copy_only=False)


def _parts(view: GraphView) -> list:
    """The id arrays of a view that are coded: models, placeholders, edge children, edge bases."""
    return [view.models, view.placeholders, view.edges["child"], view.edges["base"]]


def id_codes(views: list) -> tuple[pa.Array, list[list[np.ndarray]]]:
    """The views' id space (every node id of any, each once, sorted) and the codes of each
    view's ``_parts`` in it, from one hash table over every id: the ids are dictionary-encoded in
    the order they come, the dictionary sorted, and each code mapped to its id's rank."""
    chunks, sizes = [], []
    for view in views:
        for part in _parts(view):
            mine = part.chunks if isinstance(part, pa.ChunkedArray) else [part]
            chunks += [c.cast(pa.string()) for c in mine]
            sizes.append(len(part))
    bounds = np.cumsum([0, *sizes])
    if not bounds[-1]:
        return pa.array([], pa.string()), [[np.zeros(0, np.int64)] * 4 for _ in views]
    encoded = pa.chunked_array(chunks, pa.string()).dictionary_encode()
    # the chunks share one dictionary, of every id (empty chunks are left out)
    dictionary = encoded.chunks[-1].dictionary
    indices = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks])
    del encoded
    order = pc.sort_indices(dictionary)
    names = dictionary.take(order)
    rank = np.empty(len(names), np.int64)
    rank[order.to_numpy()] = np.arange(len(names))
    codes = rank[indices]
    del indices, rank
    coded = [codes[bounds[i]:bounds[i + 1]] for i in range(len(sizes))]
    return names, [coded[4 * v:4 * v + 4] for v in range(len(views))]


def top_families(view: GraphView) -> list[dict]:
    """A graph's TOP largest families: {rank, family (its root), size}."""
    names, codes = id_codes([view])
    g = _Encoded(view, names, codes[0], downloads=False)
    return [{"rank": i + 1, "family": names[root].as_py(), "size": size}
            for i, (_, size, root) in enumerate(g.top(names))]


@dataclass
class Interval:
    """Both graphs of an interval over one id space; ``figures`` and ``lists`` read it."""

    names: pa.Array
    p: _Encoded
    n: _Encoded

    @classmethod
    def of_views(cls, views: list) -> "Interval":
        """The interval of ``[previous, new]``, taking each view out of ``views`` once it is
        encoded: when the caller holds no other reference, its arrays are freed before the
        figures' work. Arrow's freed memory is handed back between the steps, as the numpy work
        next cannot reuse it."""
        names, codes = id_codes(views)
        memory.release()
        p = _Encoded(views.pop(0), names, codes.pop(0))
        memory.release()
        n = _Encoded(views.pop(0), names, codes.pop(0), downloads=False)
        memory.release()
        return cls(names, p, n)

    def sets(self) -> dict[str, np.ndarray]:
        p, n = self.p, self.n
        both = p.model & n.model
        old_keys, new_keys = p.edge_keys, n.edge_keys
        moved = np.concatenate([np.setdiff1d(old_keys, new_keys, assume_unique=True),
                                np.setdiff1d(new_keys, old_keys, assume_unique=True)])
        rebased = np.zeros(p.u, bool)
        rebased[moved // 4 // p.u] = True
        return {"added": n.model & ~p.model, "deleted": p.model & ~n.model,
                "updated": both & (p.last_modified != n.last_modified), "rebased": both & rebased,
                "new_version": both & ~p.new_version & n.new_version}

    def figures(self) -> tuple[dict, dict]:
        """The interval's figures (SPEC names) and its per-model lists (see ``lists``)."""
        p, n, names = self.p, self.n, self.names
        s = self.sets()
        added, deleted = s["added"], s["deleted"]

        # families: does a family of one graph hold a node of the other?
        fam_n_has_p = np.zeros(n.u, bool)
        fam_n_has_p[n.family[n.node & p.node]] = True
        fam_p_has_n = np.zeros(p.u, bool)
        fam_p_has_n[p.family[p.node & n.node]] = True
        relational_added = added & (n.has_base | n.has_child)
        in_new = relational_added & ~fam_n_has_p[n.family]
        size_n, size_p = n.family_sizes(), p.family_sizes()
        fams_n = np.flatnonzero(size_n >= 2)
        fams_p = np.flatnonzero(size_p >= 2)

        # the observed deletion impact, on P
        d_base = deleted & p.has_child
        below = p.below(deleted)
        downstream = below & ~deleted
        affected_derived = np.zeros(p.u, bool)
        affected_derived[p.child[deleted[p.base]]] = True
        affected_derived &= ~deleted
        merge = RELATIONS.index("merge")
        merges = np.zeros(p.u, bool)
        merges[p.child[deleted[p.base] & (p.rel == merge)]] = True
        merges &= ~deleted
        roots_p = p.node & ~p.has_base & ~deleted
        reachable = p.below(roots_p, blocked=deleted)
        orphaned = downstream & ~reachable
        total_p = p.chains()
        impact = {
            "deleted_base_models": int(d_base.sum()),
            "affected_derived": int(affected_derived.sum()),
            "affected_downstream": int(downstream.sum()),
            "orphaned": int(orphaned.sum()),
            "merges_losing_parent": int(merges.sum()),
            "downstream_downloads": int(p.downloads[downstream].sum()),
            "downstream_downloads_all_time": int(p.downloads_all_time[downstream].sum()),
            "disrupted_chains": total_p - p.chains(blocked=d_base) if d_base.any() else 0,
            "disrupted_families": int(len(np.unique(p.family[d_base]))),
        }

        alive = (~deleted).astype(np.int64)
        sums_p = p.descendant_sums([np.ones(p.u, np.int64), alive, p.downloads * alive,
                                    p.downloads_all_time * alive])
        top_n, top_p = n.top(names), p.top(names, sums_p[0])
        top_p_labels = np.array([label for label, _, _ in top_p], np.int64)
        families = []
        for rank, (label, size, root) in enumerate(top_n, 1):
            families.append({
                "rank": rank, "family": names[root].as_py(), "size": size,
                "added": int((added & (n.family == label)).sum()),
                "previous_size": int(size_p[p.family[root]]) if p.node[root] else 0,
            })
        deleted_in_top = int((deleted & np.isin(p.family, top_p_labels)).sum())

        total_n = n.chains()
        doc = {
            "models": {"previous": int(p.model.sum()), "current": int(n.model.sum())},
            "added": n.classes(added),
            "deleted": p.classes(deleted),
            "updated": n.classes(s["updated"]),
            "rebased": n.classes(s["rebased"]),
            "new_version": n.classes(s["new_version"]),  # models that gained a new_version
            "in_new_families": int(in_new.sum()),
            "in_existing_families": int((relational_added & ~in_new).sum()),
            "new_chains": total_n - n.chains(blocked=added) if added.any() else 0,
            "deleted_chains": total_p - p.chains(blocked=deleted) if deleted.any() else 0,
            "new_families": int((~fam_n_has_p[fams_n]).sum()),
            "deleted_families": int((~fam_p_has_n[fams_p]).sum()),
            "deletion_impact": impact,
            "top_families": families,
            "added_in_top": sum(f["added"] for f in families),
            "deleted_in_top": deleted_in_top,
        }
        return doc, self._lists(s, d_base, sums_p[1:])

    def _lists(self, s: dict, d_base: np.ndarray, sums: list[np.ndarray]) -> dict:
        """Per set, [id, class, relation] rows in id order (class and relation in N; in P for
        the deleted); ``deleted_impact``: [id, affected downstream, downloads, downloads all
        time] per deleted base model, largest first."""
        names = self.names
        out = {}
        for key, mask in s.items():
            g = self.p if key == "deleted" else self.n
            codes = np.flatnonzero(mask)
            ids = names.take(pa.array(codes)).to_pylist()
            out[key] = [[i, g.class_of(c), g.relations_of(c)] for i, c in zip(ids, codes)]
        # descendants that are not deleted, each once, and their downloads
        counts, dl, dl_all = sums
        rows = [[names[int(c)].as_py(), int(counts[c]), int(dl[c]), int(dl_all[c])] for c in np.flatnonzero(d_base)]
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        out["deleted_impact"] = rows
        return out


def interval_of(views: list) -> tuple[dict, dict]:
    """The figures of the interval P -> N (``views``: [P, N], each freed once encoded) and the
    lists behind them."""
    return Interval.of_views(views).figures()


# --- reading the stored records (hflineage changes) -------------------------------------------



def records(graph) -> list[dict]:
    """The completed snapshot records, oldest first, their JSON fields decoded."""
    out = []
    for row in graph.read("snapshot/records"):
        record = dict(row["record"])
        for key in ("changes", "lists", "top_families"):
            if isinstance(record.get(key), str):
                record[key] = json.loads(record[key])
        out.append(record)
    return out


@dataclass
class Changes(Result):
    """``hflineage changes``: the snapshots in range, the figures of every interval between two
    consecutive ones (SPEC names; ``from`` is null for the first snapshot over a graph loaded
    without --snapshot), and the top families of the first snapshot against the last."""

    snapshots: list
    intervals: list
    top_families: dict

    def to_pandas(self):
        return frame([flatten(i) for i in self.intervals])


@dataclass
class ChangeList(Result):
    """``changes --list KIND``: the models of one interval, with class and relation."""

    kind: str
    interval: dict  # {from, to}
    models: list  # [{id, class, relation}]

    def to_pandas(self):
        return frame(self.models, ["id", "class", "relation"])


@dataclass
class DeletedImpact(Result):
    """``changes --deleted-impact``: each deleted base model of one interval with what it broke
    (its descendants in the previous graph that were not deleted too), largest first."""

    interval: dict
    models: list  # [{id, affected_downstream, downstream_downloads, downstream_downloads_all_time}]

    def to_pandas(self):
        return frame(self.models, ["id", "affected_downstream", "downstream_downloads",
                                   "downstream_downloads_all_time"])


def _in_range(date: str, since: str | None, until: str | None) -> bool:
    return (since is None or date >= since) and (until is None or date <= until)


def changes(graph, since: str | None = None, until: str | None = None) -> Changes:
    stored = [r for r in records(graph) if _in_range(r["date"], since, until)]
    snapshots = [{k: r.get(k) for k in ("date", "source", "kind", "models", "placeholders", "edges",
                                         "added", "deleted", "updated", "rebased", "new_version")} for r in stored]
    intervals = [{"from": r.get("previous"), "to": r["date"], **r["changes"]} for r in stored if r.get("changes")]
    return Changes(snapshots=snapshots, intervals=intervals, top_families=_top_first_last(stored))


def _top_first_last(stored: list[dict]) -> dict:
    """The last snapshot's top families beside the first's: rank change = first rank - last rank
    (positive: moved up; null: not in the first's top list)."""
    if not stored:
        return {"first": None, "last": None, "families": []}
    first, last = stored[0], stored[-1]
    before = {f["family"]: f for f in first.get("top_families") or []}
    rows = []
    for f in last.get("top_families") or []:
        old = before.get(f["family"])
        rows.append({"family": f["family"], "rank_first": old["rank"] if old else None, "rank_last": f["rank"],
                     "rank_change": old["rank"] - f["rank"] if old else None,
                     "size_first": old["size"] if old else None, "size_last": f["size"]})
    dropped = [{"family": k, "rank_first": v["rank"], "rank_last": None, "rank_change": None,
                "size_first": v["size"], "size_last": None}
               for k, v in before.items() if k not in {f["family"] for f in last.get("top_families") or []}]
    return {"first": first["date"], "last": last["date"], "families": rows + dropped}


def _interval_record(graph, week: str | None) -> dict:
    stored = [r for r in records(graph) if r.get("lists")]
    if not stored:
        raise ModelNotFound("no interval between two snapshots is stored",
                            hint="load two snapshots: hflineage load FILE --snapshot")
    if week is None:
        return stored[-1]
    for r in stored:
        if r["date"] == week:
            return r
    raise ModelNotFound(f"no interval ends on {week}", hint="the dates: " + ", ".join(r["date"] for r in stored))


def change_list(graph, kind: str, week: str | None = None) -> ChangeList:
    if kind not in LIST_KINDS:
        raise QueryError(f"unknown list '{kind}'", hint="one of " + ", ".join(LIST_KINDS))
    r = _interval_record(graph, week)
    models = [{"id": i, "class": c, "relation": rel} for i, c, rel in r["lists"][kind]]
    return ChangeList(kind=kind, interval={"from": r.get("previous"), "to": r["date"]}, models=models)


def deleted_impact(graph, week: str | None = None) -> DeletedImpact:
    r = _interval_record(graph, week)
    models = [{"id": i, "affected_downstream": n, "downstream_downloads": d, "downstream_downloads_all_time": a}
              for i, n, d, a in r["lists"]["deleted_impact"]]
    return DeletedImpact(interval={"from": r.get("previous"), "to": r["date"]}, models=models)
