"""The online load into a graph that already holds models: all or nothing per model.

What a load into a non-empty graph must not do, and how this module avoids it:

* **Store a cycle.** The file's edges alone can be acyclic while closing a cycle with the
  edges already stored. ``StoredGraph`` reads the stored edges before anything is written;
  plan.plan breaks cycles over the combined edge list (the stored edges of models the file
  does not replace, plus the file's) by SPEC's rule, and a stored edge chosen as the victim is
  deleted (``load/delete_edges``) and counted like any other cycle edge.
* **Write half a file.** ``UpdateSink`` writes nothing while the file is read: node batches are
  spooled to disk (derive.Spool), so every row is validated (types, ranges, lengths) before
  the first write.
* **Show a model without its edges.** Each node batch is one transaction: the models upserted
  with their derived properties, their old base edges deleted and their new ones created
  (``load/upsert_models`` + ``load/merge_edges``). A base that no batch has written yet is
  created as a ``:Missing`` placeholder in that transaction and completed by its own batch.
  The derived properties are computed before the first write, from the final graph (stored
  edges that stay + the file's), so a model's depth and counts change with its edges; the
  derived values of models outside the file (their ancestors' descendant counts, their
  descendants' depths) follow in a last phase (``load/set_derived``, only what changed).
* **Erase edges it knows nothing about.** A file without a ``baseModels`` column says nothing
  about bases: its models keep their stored edges (edges inferred from their cards are added
  only to models that have none), and the report counts them in ``kept_base_edges``.

If the server fails while writing, a re-run of the same load completes the graph (every
statement is an upsert; the stored edges read at the re-run include what was written).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from ..store.db import Graph, Writer
from .derive import Derived, Spool, derive_inputs, changed_rows, compute, downloads_of
from ..store.lock import remove_dead_folders

SPOOL_PREFIX = "hflineage-load-"
EDGE_PAIRS = pa.schema([("child", pa.string()), ("base", pa.string())])


def spool_folder() -> Path:
    """A private temporary folder for one load's spool, named after this process so that a
    later load can remove it if this one is killed (``remove_stale_spools``)."""
    remove_stale_spools()
    return Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-"))


def remove_stale_spools() -> list[Path]:
    """Remove spool folders left by loads whose process is gone (killed with SIGKILL)."""
    return remove_dead_folders(Path(tempfile.gettempdir()), SPOOL_PREFIX)


@dataclass
class StoredGraph:
    """What the graph holds before a load writes: its base edges (child, base), the downloads
    and stored derived values of the models on them (derive.derive_inputs)."""

    graph: Graph
    edges: pa.Table  # EDGE_PAIRS
    downloads: pa.Table  # derive.DOWNLOADS_SCHEMA
    values: pa.Table  # id, old_<column> for every derive.VALUES column

    @classmethod
    def read(cls, graph: Graph) -> "StoredGraph":
        inputs = derive_inputs(graph)
        edges = pa.table({"child": inputs["child"], "base": inputs["base"]}, schema=EDGE_PAIRS)
        return cls(graph, edges, inputs["downloads"], inputs["stored"])

    def children_with_edges(self) -> pa.Array:
        return pc.unique(self.edges["child"].combine_chunks()) if self.edges.num_rows else pa.array([], pa.string())

    def created_at(self, ids: list[str]) -> dict:
        rows = []
        for start in range(0, len(ids), 10_000):
            rows += self.graph.read("load/created_at", ids=ids[start:start + 10_000])
        return {r["id"]: None if r["created"] is None else
                dt.datetime.fromtimestamp(r["created"] / 1000, dt.timezone.utc) for r in rows}

    def models_among(self, ids: list[str]) -> set[str]:
        found = set()
        for start in range(0, len(ids), 10_000):
            found.update(r["id"] for r in self.graph.read("load/models_among", ids=ids[start:start + 10_000]))
        return found


class UpdateSink:
    """The online writer for a graph that holds models (see the module doc).

    ``plan.plan`` hands it the node batches (spooled), the cleaned edges and, through
    ``stored_edges``, the stored edges that stay and the stored edges to delete; ``finish``
    computes the derived properties of the final graph and writes.
    """

    def __init__(self, graph: Graph, stored: StoredGraph, workers: int, batch_size: int, progress: bool,
                 replace_edges: bool):
        self.graph, self.stored, self.workers = graph, stored, workers
        self.batch_size, self.progress, self.replace_edges = batch_size, progress, replace_edges
        self.folder = spool_folder()
        self.spool = Spool(self.folder / "models.arrow")
        self._ids: list[pa.Array] = []
        self._downloads: list[pa.Table] = []
        self._edges: list[pa.Table] = []
        self._kept = EDGE_PAIRS.empty_table()
        self._victims: list[tuple[str, str]] = []
        self.keep_edges: pa.Array = pa.array([], pa.string())  # file models whose stored edges stay

    def __enter__(self) -> "UpdateSink":
        return self

    def __exit__(self, *exc) -> None:
        self.spool.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def models(self, rows: pa.Table) -> None:
        self.spool.append(rows, rows["id"])
        self._ids.extend(rows["id"].chunks)
        self._downloads.append(downloads_of(rows))

    def placeholders(self, ids: list[str]) -> None:
        """Created by ``load/merge_edges`` in the transaction of the first edge that needs one."""

    def edges(self, rows: pa.Table) -> None:
        self._edges.append(rows)

    def stored_edges(self, kept: pa.Table, victims: list[tuple[str, str]], keep_edges: pa.Array) -> None:
        """The stored edges that stay (after the cycle victims are removed), the stored edges to
        delete, and the file's models whose stored edges stay (the file has no baseModels)."""
        self._kept, self._victims, self.keep_edges = kept, victims, keep_edges

    def flush(self) -> None:
        """Nothing is written before ``finish``."""

    def finish(self) -> tuple[Derived, int]:
        """Write; returns the derived table of the final graph and how many models' derived
        values changed."""
        ids = pa.chunked_array(self._ids, pa.string()).combine_chunks()
        file_edges = pa.concat_tables(self._edges) if self._edges else None
        child = pa.chunked_array(list(self._kept["child"].chunks)
                                 + (list(file_edges["child"].chunks) if file_edges else []), pa.string())
        base = pa.chunked_array(list(self._kept["base"].chunks)
                                + (list(file_edges["base"].chunks) if file_edges else []), pa.string())
        stored_downloads = self.stored.downloads.filter(pc.invert(pc.is_in(self.stored.downloads["id"], value_set=ids)))
        downloads = pa.concat_tables([*self._downloads, stored_downloads.cast(self._downloads[0].schema)]
                                     if self._downloads else [stored_downloads])
        derived = compute(child, base, downloads)
        changed = changed_rows(derived.table, self.stored.values)
        rest = changed.filter(pc.invert(pc.is_in(changed["id"], value_set=ids)))

        file_edges, bounds = group_edges(self._ids, file_edges)

        total = len(ids) + rest.num_rows + len(self._victims)
        bar = tqdm(total=total, unit="models", desc="writing", disable=not self.progress, dynamic_ncols=True)
        with Writer(self.graph, self.workers) as writer:
            if self._victims:
                writer.put("load/delete_edges", rows=[{"child": c, "base": b} for c, b in self._victims])
                writer.join()
                bar.update(len(self._victims))
            for k, (batch, values) in enumerate(self.spool.with_derived(derived)):
                rows = pa.Table.from_batches([batch])
                replace = (pa.array(np.full(rows.num_rows, True)) if self.replace_edges else
                           pc.invert(pc.is_in(rows["id"], value_set=self.keep_edges)))
                rows = pa.table(rows.columns + [replace] + values.columns,
                                names=rows.column_names + ["replace"] + values.column_names)
                steps = [("load/upsert_models", {"rows": rows.to_pylist()})]
                if file_edges is not None and bounds[k + 1] > bounds[k]:
                    chunk = file_edges.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
                    steps.append(("load/merge_edges", {"rows": chunk.to_pylist()}))
                writer.put_many(steps)
                bar.update(rows.num_rows)
            writer.join()
            for start in range(0, rest.num_rows, self.batch_size):
                chunk = rest.slice(start, self.batch_size)
                writer.put("load/set_derived", rows=chunk.to_pylist())
                bar.update(chunk.num_rows)
            writer.join()
        bar.close()
        return derived, changed.num_rows


def group_edges(id_chunks: list[pa.Array], edges: pa.Table | None) -> tuple[pa.Table | None, np.ndarray]:
    """``edges`` sorted by the batch their child is in (batches: ``id_chunks``, in order), and
    the bounds: batch k's edges are rows bounds[k]..bounds[k+1]."""
    sizes = np.array([len(c) for c in id_chunks], dtype=np.int64)
    if edges is None or not edges.num_rows or not len(sizes):
        return edges, np.zeros(len(sizes) + 1, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ids = pa.chunked_array(id_chunks, pa.string()).combine_chunks()
    pos = pc.index_in(edges["child"].combine_chunks(), value_set=ids).to_numpy(zero_copy_only=False)
    batch_of = np.searchsorted(starts, pos, side="right") - 1
    order = np.argsort(batch_of, kind="stable")
    bounds = np.searchsorted(batch_of[order], np.arange(len(sizes) + 1), side="left")
    return edges.take(pa.array(order)), bounds


def batches_with_edges(spool: Spool, edges: pa.Table | None):
    """Each spooled batch of node rows with the edges whose child it holds (None: no edge)."""
    edges, bounds = group_edges(spool.id_chunks(), edges)
    for k, rows in enumerate(spool.batches()):
        n = int(bounds[k + 1] - bounds[k])
        yield rows, (edges.slice(int(bounds[k]), n) if n else None)

