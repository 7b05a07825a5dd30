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

The writers that write every model once into a graph without models write the Dataset nodes
and TRAINED_ON edges with them, from the same rows (``written``), so after them only the
successors are left: ``--bulk`` imports them with the nodes (loader/bulk.py), and the first
online load creates each model's edges in the transaction that creates the model
(loader/fresh.py; ``model_datasets`` and ``trained_rows`` below). A killed first load is run
again as an update load, which compares with the graph.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from ..store.db import Graph, Writer, gc_paused
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS

MODELS_PER_BATCH = 2_000  # models per batch of stale TRAINED_ON edges deleted (a few each)


def reconcile(graph: Graph, workers: int = DEFAULT_WORKERS, batch_size: int = DEFAULT_BATCH_SIZE,
              progress: bool = True, written: bool = False) -> dict:
    """Make TRAINED_ON, Dataset nodes and SUPERSEDED_BY follow the models' properties; the counts.

    ``written``: the load wrote the TRAINED_ON edges and Dataset nodes with the
    models, from the same rows (the offline import, the first online load), so only the
    successors are left."""
    if written:
        graph.write("links/successors")
        return counts(graph)
    add, remove = _difference(graph)
    graph.write("links/drop_stray_trained")
    bar = tqdm(total=add.num_rows, unit="edges", desc="datasets", disable=not progress or not add.num_rows,
               dynamic_ncols=True)
    with Writer(graph, workers) as writer:
        for start in range(0, len(remove), MODELS_PER_BATCH):
            writer.put("links/delete_trained", rows=remove[start:start + MODELS_PER_BATCH])
        ids = pc.unique(add["dataset"]).to_pylist() if add.num_rows else []
        for start in range(0, len(ids), batch_size):  # distinct ids per batch: no two batches meet
            writer.put("links/merge_datasets", ids=ids[start:start + batch_size])
        writer.join()
        for chunk in _by_dataset(add):
            writer.put("links/merge_trained", rows=chunk)
            bar.update(len(chunk))
        writer.join()
    bar.close()
    graph.write("links/drop_unnamed_datasets")
    graph.write("links/successors")
    return counts(graph)


def _difference(graph: Graph) -> tuple[pa.Table, list[dict]]:
    """The TRAINED_ON edges missing (a table of model, dataset: a million pairs on the full dump,
    so Arrow strings, not Python objects) and those to delete ({model, datasets} per model)."""
    pairs, remove = [], []
    with gc_paused():
        for (rows,) in graph.stream("links/datasets_state", fetch_size=1, chunk=20_000):
            models, datasets = [], []
            for model, named, trained in rows:
                want, have = set(named), set(trained)
                if want != have:
                    for dataset in want - have:
                        models.append(model)
                        datasets.append(dataset)
                    if have - want:
                        remove.append({"model": model, "datasets": sorted(have - want)})
            if models:
                pairs.append(pa.table({"model": pa.array(models, pa.string()),
                                       "dataset": pa.array(datasets, pa.string())}))
    add = pa.concat_tables(pairs).combine_chunks() if pairs else PAIRS.empty_table()
    return add, remove


PAIRS = pa.schema([("model", pa.string()), ("dataset", pa.string())])


def model_datasets(rows: pa.Table) -> pa.ChunkedArray:
    """The ``datasets`` list of each model row (read.normalise's node rows: ``props.datasets``)."""
    return pa.chunked_array([chunk.field("datasets") for chunk in rows["props"].chunks],
                            pa.list_(pa.string()))


def trained_rows(rows: pa.Table, positions: bool) -> list[dict]:
    """The TRAINED_ON edges a batch of model rows names, in dataset order, so that two writers
    take the Dataset nodes' locks in the same order (a popular dataset is in nearly every
    batch): ``{i, dataset}`` with the row's position (``positions``), else ``{model, dataset}``."""
    datasets = model_datasets(rows).combine_chunks()
    if not len(datasets) or not pc.sum(pc.list_value_length(datasets)).as_py():
        return []
    parent = pc.list_parent_indices(datasets)
    pairs = pa.table({"i": parent, "dataset": pc.list_flatten(datasets)})
    pairs = pairs.take(pc.sort_indices(pairs, sort_keys=[("dataset", "ascending"), ("i", "ascending")]))
    if positions:
        return pairs.to_pylist()
    model = rows["id"].combine_chunks().take(pairs["i"])
    return pa.table({"model": model, "dataset": pairs["dataset"]}).to_pylist()


EDGES_PER_BATCH = 10_000


def _by_dataset(add: pa.Table):
    """The edges to create as batches of ``{model, dataset}`` in which no two batches share a
    dataset: a popular dataset is one node that every batch would otherwise lock, so two writers
    would wait on each other (or deadlock) at every batch. Within a batch the edges go in model
    order, so two batches that share a model lock it in the same order as the rest."""
    if not add.num_rows:
        return
    add = add.take(pc.sort_indices(add, sort_keys=[("dataset", "ascending"), ("model", "ascending")]))
    datasets = add["dataset"]
    # the first row of each dataset's run: a batch may end only there
    starts = np.flatnonzero(np.concatenate([[True], pc.not_equal(datasets.slice(1), datasets.slice(0, len(datasets) - 1))
                                            .to_numpy(zero_copy_only=False)]))
    begin = 0
    for start in [*starts.tolist(), add.num_rows]:
        if start - begin >= EDGES_PER_BATCH or (start == add.num_rows and start > begin):
            batch = add.slice(begin, start - begin)
            yield batch.take(pc.sort_indices(batch["model"])).to_pylist()
            begin = start


def counts(graph: Graph) -> dict:
    """What the graph holds beside lineage, as the load report's ``links``."""
    row = graph.read("links/counts")[0]
    return links_report(row["models_with_datasets"], row["trained_on"], row["datasets"], row["declared"],
                        row["self"], dict(row["successors"]))


def links_report(models_with_datasets: int, trained_on: int, datasets: int, declared: int, itself: int,
                 successors: dict[str, str]) -> dict:
    """The load report's ``links``; ``successors``: model -> the model its SUPERSEDED_BY edge reaches."""
    return {
        "models_with_datasets": models_with_datasets,
        "trained_on": trained_on,
        "datasets": datasets,
        "new_version": {
            "declared": declared,
            "superseded_by": len(successors),
            "self": itself,
            "absent": declared - itself - len(successors),
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

