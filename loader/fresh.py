"""The first online load: into a graph without models, every node written once, complete.

Why it differs from an update load (loader/update.py) is ``FreshSink``'s story below: no
index to maintain while nodes are created, and no second write for the derived properties.
"""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from ..store.db import Graph, Writer
from .derive import Derived, Pending, Spool
from .plan import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS
from ..store.schema import ensure_schema
from .links import model_datasets, trained_rows
from .update import batches_with_edges, spool_folder


class FreshSink:
    """The online writer for a graph without models: every node written once, complete.

    On an empty graph two costs of the upsert path are avoidable. Keeping the constraint and
    five indexes up to date on every CREATE cost a third of the node write rate (300k models, 2
    writers: 13.9k nodes/s with them, 22.9k without), where populating them once afterwards is
    one scan. And the derived properties, written back after the load, were a second
    transaction on every model with an edge. So node batches are spooled to a temporary Arrow
    file, the placeholders and edges kept (derive.Pending); ``finish`` computes the derived
    table from the final edges (derive.compute, as --bulk does), then writes in two phases:

    0. The Dataset nodes the models name, under their own constraint (tiny beside the models').
    1. The nodes without a base (roots, isolated models, placeholders; ~70% of the Hub) are
       created with their derived properties and TRAINED_ON edges before any Model index exists
       (``load/create_models``, ``load/create_placeholders``); a reader sees each of them whole.
       The models with a base are spooled again on the way.
    2. The schema (the id constraint waits for its own population; MERGE and MATCH by id need
       it), then each batch of models with a base is one transaction with its edges
       (``load/upsert_models`` + ``load/merge_edges``, as update loads write), so no reader
       ever sees such a model without its edges. A base written in a later batch is a
       ``:Missing`` placeholder until then.

    Writing the TRAINED_ON edges with their models, instead of after the load
    (loader/links.py), spares a read of every model's datasets and a lookup of each edge's model
    by id (BENCHMARKS.md section 9).

    If a concurrent writer added a model with a loaded id meanwhile (the load lock prevents
    it for hflineage loads), the constraint's creation fails and says which.
    """

    def __init__(self, graph: Graph, workers: int = DEFAULT_WORKERS, batch_size: int = DEFAULT_BATCH_SIZE,
                 progress: bool = True):
        self.graph, self.workers, self.batch_size, self.progress = graph, workers, batch_size, progress
        self.folder = spool_folder()
        self.pending = Pending(self.folder / "models.arrow")
        self.derived_spool = Spool(self.folder / "derived.arrow")
        self._edges: list[pa.Table] = []
        self._datasets: list[pa.Array] = []  # the distinct dataset ids of each batch
        self.counts = {"models": 0, "placeholders": 0, "edges": 0}

    def __enter__(self) -> "FreshSink":
        return self

    def __exit__(self, *exc) -> None:
        self.pending.close()
        self.derived_spool.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def models(self, rows: pa.Table) -> None:
        self.pending.models(rows)
        self.counts["models"] += rows.num_rows
        named = pc.list_flatten(model_datasets(rows))
        if len(named):
            self._datasets.append(pc.unique(named))

    def placeholders(self, ids: list[str]) -> None:
        self.pending.placeholders(pa.array(ids, pa.string()))
        self.counts["placeholders"] += len(ids)

    def edges(self, rows: pa.Table) -> None:
        self.pending.edges(rows)
        self._edges.append(rows)
        self.counts["edges"] += rows.num_rows

    def flush(self) -> None:
        """Nothing is written before ``finish``."""

    def finish(self) -> Derived:
        derived = self.pending.derive()
        bar = tqdm(total=self.counts["models"] + self.counts["placeholders"], unit="models", desc="writing",
                   disable=not self.progress, dynamic_ncols=True)
        with Writer(self.graph, self.workers) as writer:
            self._write_datasets(writer)
            for batch, values in self.pending.nodes(derived):
                rows = pa.Table.from_batches([batch])
                rows = pa.table(rows.columns + values.columns, names=rows.column_names + values.column_names)
                has_base = pc.is_valid(rows["depth"])  # depth is null exactly on nodes without a base
                roots = rows.filter(pc.invert(has_base))
                if roots.num_rows:
                    writer.put("load/create_models", rows=roots.to_pylist(), trained=trained_rows(roots, True))
                children = rows.filter(has_base)
                if children.num_rows:
                    self.derived_spool.append(children, children["id"])
                bar.update(roots.num_rows)
            placeholders = self.pending.placeholders_with_values(derived)
            for start in range(0, placeholders.num_rows, self.batch_size):
                chunk = placeholders.slice(start, self.batch_size)
                writer.put("load/create_placeholders", rows=chunk.to_pylist())
                bar.update(chunk.num_rows)
            writer.join()
            # MATCH and MERGE by id need the constraint's index; the rest go faster with the
            # other populations done than beside them (BENCHMARKS.md, "Design measurements")
            ensure_schema(self.graph, wait=True)
            edges = pa.concat_tables(self._edges) if self._edges else None
            self._edges = []
            for rows, chunk in batches_with_edges(self.derived_spool, edges):
                rows = rows.append_column("replace", pa.array(np.zeros(rows.num_rows, dtype=bool)))
                steps = [("load/upsert_models", {"rows": rows.to_pylist()})]
                if chunk is not None:
                    steps.append(("load/merge_edges", {"rows": chunk.to_pylist()}))
                trained = trained_rows(rows, False)
                if trained:
                    steps.append(("links/merge_trained", {"rows": trained}))
                writer.put_many(steps)
                bar.update(rows.num_rows)
            writer.join()
        bar.close()
        return derived

    def _write_datasets(self, writer: Writer) -> None:
        """Phase 0: the Dataset nodes the models name, each id in one batch. Those a datasets
        file described already exist; the others are created before their constraint when it
        does not exist yet (one population instead of an index update per node)."""
        if not self._datasets:
            return
        named = pc.unique(pa.concat_arrays(self._datasets))
        self._datasets = []
        held = pa.array([row["id"] for row in self.graph.read("links/dataset_ids")], pa.string())
        ids = named.filter(pc.invert(pc.is_in(named, value_set=held))).to_pylist()
        for start in range(0, len(ids), self.batch_size):
            writer.put("links/create_datasets", ids=ids[start:start + self.batch_size])
        writer.join()
        ensure_schema(self.graph, only=("schema/dataset_id_unique",))  # waits for its population
