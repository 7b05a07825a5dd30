"""The edges beside lineage: TRAINED_ON (model -> dataset) and SUPERSEDED_BY (model -> model).

Both follow properties every load writes on the models (``datasets`` and ``newVersion``,
loader/cards.py), so each load, whatever its writer, ends with ``reconcile``: it reads what the
graph holds, writes the difference, and reports the counts. Being a comparison with the graph
rather than a replay of the load, it converges after a killed load and after outside writes,
and a snapshot load keeps both edge kinds equal to a fresh load of its file.

* TRAINED_ON: the models naming datasets are read with the datasets their edges reach; the
  missing ``:Dataset`` nodes are created, the missing edges merged, the stale ones deleted, and
  so are edges of nodes that name no datasets any more (placeholders, deleted models). A
  Dataset node that no model names and no datasets file described is deleted.
* SUPERSEDED_BY: one query (``links/successors``) over the models with a newVersion (an index).

``--bulk`` imports the TRAINED_ON edges with the nodes (loader/bulk.py); its reconcile then
finds nothing to write for them.
"""

from __future__ import annotations

from tqdm import tqdm

from ..store.db import Graph, Writer, gc_paused
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS

MODELS_PER_BATCH = 2_000  # TRAINED_ON rows are per model, a few datasets each


def reconcile(graph: Graph, workers: int = DEFAULT_WORKERS, batch_size: int = DEFAULT_BATCH_SIZE,
              progress: bool = True) -> dict:
    """Make TRAINED_ON, Dataset nodes and SUPERSEDED_BY follow the models' properties; the counts."""
    add, remove = [], []
    wanted: set[str] = set()
    with gc_paused():
        for (rows,) in graph.stream("links/datasets_state", fetch_size=1, chunk=20_000):
            for model, datasets, trained in rows:
                want, have = set(datasets), set(trained)
                if want != have:
                    if want - have:
                        add.append({"model": model, "datasets": sorted(want - have)})
                        wanted.update(want - have)
                    if have - want:
                        remove.append({"model": model, "datasets": sorted(have - want)})
    graph.write("links/drop_stray_trained")
    n_edges = sum(len(r["datasets"]) for r in add)
    bar = tqdm(total=n_edges, unit="edges", desc="datasets", disable=not progress or not n_edges,
               dynamic_ncols=True)
    with Writer(graph, workers) as writer:
        for start in range(0, len(remove), MODELS_PER_BATCH):
            writer.put("links/delete_trained", rows=remove[start:start + MODELS_PER_BATCH])
        ids = sorted(wanted)
        for start in range(0, len(ids), batch_size):  # distinct ids per batch: no two batches meet
            writer.put("links/merge_datasets", ids=ids[start:start + batch_size])
        writer.join()
        for start in range(0, len(add), MODELS_PER_BATCH):
            chunk = add[start:start + MODELS_PER_BATCH]
            writer.put("links/merge_trained", rows=chunk)
            bar.update(sum(len(r["datasets"]) for r in chunk))
        writer.join()
    bar.close()
    graph.write("links/drop_unnamed_datasets")
    graph.write("links/successors")
    return counts(graph)


def counts(graph: Graph) -> dict:
    """What the graph holds beside lineage, as the load report's ``links``."""
    row = graph.read("links/counts")[0]
    successors = dict(row["successors"])
    return {
        "models_with_datasets": row["models_with_datasets"],
        "trained_on": row["trained_on"],
        "datasets": row["datasets"],
        "new_version": {
            "declared": row["declared"],
            "superseded_by": len(successors),
            "self": row["self"],
            "absent": row["declared"] - row["self"] - len(successors),
            "on_cycle": len(on_cycles(successors)),
        },
    }


def on_cycles(successor: dict[str, str]) -> set[str]:
    """The models on a SUPERSEDED_BY cycle (each model has at most one successor)."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    cyclic: set[str] = set()
    for start in successor:
        walk = []
        node = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            walk.append(node)
            node = successor.get(node)
        if node is not None and state.get(node) == 1:  # the walk came back on itself
            cyclic.update(walk[walk.index(node):])
        for n in walk:
            state[n] = 2
    return cyclic

