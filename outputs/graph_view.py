"""The part of a lineage that ``hflineage graph`` draws: a model, its ancestors and descendants.

A family can hold tens of thousands of models, so the drawing is capped at ``max_nodes``. The
model asked about and its ancestors (up to ``up`` levels, nearest level first) come first: there
are few of them and they are what the model is built on. The descendants (down to ``down``
levels) are then taken best-first by branch weight, a model's downloads plus its descendants'
downloads (both stored at load time, ``loader/derive.py``): a derived model is drawn only after
its base, and the heaviest branch still open is always the next one drawn. So a cut keeps the
most downloaded branches, and every drawn model says how many direct derived models (and bases)
were left out.

Each step is one stored read query (``graph_bases``, ``graph_children``, ``graph_nodes``,
``graph_edges``); nothing walks more than the drawn models and their direct neighbours.
"""

from __future__ import annotations

import dataclasses
import heapq

from ..store.db import Graph
from ..store.errors import ModelNotFound
from ..lineage.results import Result, frame


@dataclasses.dataclass
class LineageGraph(Result):
    """Nodes and edges of a lineage drawing.

    ``nodes``: ``{id, role, level, license, downloads, pipeline_tag, missing, bases, children,
    hidden_bases, hidden_children}``, role ``focus`` | ``ancestor`` | ``descendant`` and level
    the hops from the focus (negative above it); ``hidden_*`` count the direct bases / derived
    models in the graph that are not drawn. ``edges``: ``{child, base, relation}``.
    ``hidden_children`` is the total of the nodes' hidden derived models.
    """

    id: str
    up: int | None
    down: int
    max_nodes: int
    nodes: list[dict]
    edges: list[dict]
    hidden_children: int

    def to_pandas(self):
        """One row per drawn model."""
        return frame(self.nodes)

    @property
    def edges_frame(self):
        """One row per drawn edge (child, base, relation)."""
        return frame(self.edges, columns=["child", "base", "relation"])


def lineage(graph: Graph, model_id: str, up: int | None = None, down: int = 2,
            max_nodes: int = 200) -> LineageGraph:
    """The ancestors (``up`` levels, None: all) and descendants (``down`` levels) of a model,
    at most ``max_nodes`` models, keeping the most downloaded branches."""
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    if not graph.read("graph_nodes", ids=[model_id]):
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    level: dict[str, int] = {model_id: 0}

    # ancestors, nearest level first; within a level the heaviest bases first
    frontier = [model_id]
    hops = 0
    while frontier and (up is None or hops < up) and len(level) < max_nodes:
        hops += 1
        rows = graph.read("graph_bases", ids=frontier)
        candidates: dict[str, int] = {}
        for r in rows:
            if r["base"] not in level:
                candidates[r["base"]] = max(candidates.get(r["base"], 0), r["weight"])
        ranked = sorted(candidates, key=lambda b: (-candidates[b], b))[: max_nodes - len(level)]
        for base in ranked:
            level[base] = -hops
        frontier = ranked

    # descendants, best-first by branch weight
    heap: list[tuple[int, str, int]] = []

    def open_children(parent: str, depth: int) -> None:
        if depth >= down:
            return
        for r in graph.read("graph_children", model_id=parent, limit=max_nodes):
            if r["child"] not in level:
                heapq.heappush(heap, (-r["weight"], r["child"], depth + 1))

    open_children(model_id, 0)
    while heap and len(level) < max_nodes:
        _, child, depth = heapq.heappop(heap)
        if child in level:
            continue
        level[child] = depth
        open_children(child, depth)

    ids = sorted(level, key=lambda i: (level[i], i))
    info = {r["id"]: r for r in graph.read("graph_nodes", ids=ids)}
    edges = graph.read("graph_edges", ids=ids)
    drawn_bases = {i: 0 for i in ids}
    drawn_children = {i: 0 for i in ids}
    for e in edges:
        drawn_bases[e["child"]] += 1
        drawn_children[e["base"]] += 1
    nodes = []
    for i in ids:
        r = info[i]
        nodes.append({
            "id": i,
            "role": "focus" if i == model_id else ("ancestor" if level[i] < 0 else "descendant"),
            "level": level[i],
            "license": r["license"],
            "downloads": r["downloads"],
            "pipeline_tag": r["pipeline_tag"],
            "missing": r["missing"],
            "bases": r["bases"],
            "children": r["children"],
            "hidden_bases": r["bases"] - drawn_bases[i],
            "hidden_children": r["children"] - drawn_children[i],
        })
    return LineageGraph(
        id=model_id, up=up, down=down, max_nodes=max_nodes, nodes=nodes, edges=edges,
        hidden_children=sum(n["hidden_children"] for n in nodes),
    )
