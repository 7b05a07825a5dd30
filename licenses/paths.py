"""Shortest ways up a lineage DAG as ``license_lineage`` returns it: each ancestor's distance, and
one shortest path spelt out hop by hop (for the ancestors an answer has to explain)."""

from __future__ import annotations

from collections import deque


def shortest_ways(model_id: str, bases: list[dict], ancestors: list[dict]) -> dict[str, tuple[int, str, str]]:
    """Breadth-first from the model up its lineage DAG (bases in id order, so the answer is
    deterministic): each ancestor's shortest distance and the model one hop nearer the model
    asked about on one shortest path, with that hop's relation: ``{id: (distance, via, relation)}``."""
    up = {a["id"]: a["bases"] for a in ancestors}
    up[model_id] = bases
    ways: dict[str, tuple[int, str, str]] = {}
    queue = deque([(model_id, 0)])
    while queue:
        node, distance = queue.popleft()
        for base in up.get(node, ()):
            if base["id"] not in ways and base["id"] != model_id:
                ways[base["id"]] = (distance + 1, node, base["relation"])
                queue.append((base["id"], distance + 1))
    return ways


def shortest_path(ways: dict[str, tuple[int, str, str]], ancestor: str) -> list[dict]:
    """One shortest path from the model asked about up to ``ancestor`` (SPEC's list of hops)."""
    hops = [{"id": ancestor, "relation": None}]
    node = ancestor
    while node in ways:
        _, via, relation = ways[node]
        hops.append({"id": via, "relation": relation})
        node = via
    return hops[::-1]
