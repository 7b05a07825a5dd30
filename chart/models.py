"""The models to chart, read from an Arrow table of hub-stats rows.

The loader's own normalisation (``hflineage.loader.read.normalise``) gives each row's properties
and its declared and tag-inferred base edges, so charting and loading agree on who has a base.
The few columns the loader does not keep (tags, gguf, siblings, transformersInfo) are read here
for the signals charting needs: quantization and adapter hints, the gguf architecture and
parameter total, the auto-model class.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from ..store import memory
from ..store.errors import InputError
from ..loader.infer import ADAPTER_TAGS, QUANTIZED_TAGS
from ..loader.read import normalise

# Name parts the Hub's quantizers append; a model named so is a quantization (and a leaf).
QUANT_NAME = re.compile(
    r"(?:^|[-_.])(gguf|gptq|awq|exl2|exl3|bnb|4bit|8bit|3bit|2bit|int4|int8|nf4|fp8|mlx|hqq|"
    r"q[2-8]_k(?:_[sml])?|q[2-8]_[01]|iq[1-4]_\w+|\d(?:\.\d+)?bpw|quantized|imatrix)(?:$|[-_.])",
    re.I)
QUANT_NAME_RE2 = QUANT_NAME.pattern  # the same pattern for Arrow's regex engine (matched ignoring case)
MERGE_TAGS = frozenset({"merge", "mergekit"})
_GGUF_ARCH = r'"architecture"\s*:\s*"(?P<v>[^"]+)"'
_GGUF_TOTAL = r'"total"\s*:\s*(?P<v>\d+)'


@dataclass
class Models:
    """One row per distinct model id (the file's last row wins, as in a load) and its base edges."""

    frame: pd.DataFrame  # see read_models for the columns
    edges: pd.DataFrame  # child, base, relation, declared (bool)

    def __len__(self) -> int:
        return len(self.frame)


CATEGORIES = ("author", "arch", "auto_model", "library", "pipeline")  # few distinct values: each held once


def read_models(source: pa.Table | str | os.PathLike, name: str | None = None) -> Models:
    """Normalise ``source`` (a table or the path of a parquet file of hub-stats columns; any
    subset beyond ``id``) into Models. A file is read 100,000 rows at a time, so it is never in
    memory whole.

    Frame columns: id, author, name (the part after the namespace), created (epoch
    microseconds, NaN unknown), params (NaN unknown), arch, auto_model, library, pipeline (the
    five categorical), quantized, adapter, merge, downloads.
    """
    if not isinstance(source, pa.Table):
        name = name or str(source)
        source = pq.ParquetFile(source)  # opened here: its reader holds buffers until it is gone
    name = name or "table"
    schema = source.schema_arrow if isinstance(source, pq.ParquetFile) else source.schema
    if "id" not in schema.names:
        raise InputError(f"{name}: no 'id' column (columns: {', '.join(schema.names[:12])})")
    if not (pa.types.is_string(schema.field("id").type) or pa.types.is_large_string(schema.field("id").type)):
        raise InputError(f"{name}: column 'id' has type {schema.field('id').type}, expected string")
    if isinstance(source, pq.ParquetFile):
        id_column = source.read(columns=["id"])["id"]
        batches = source.iter_batches(batch_size=100_000)
    else:
        source = source.combine_chunks()
        id_column = source["id"]
        batches = source.to_batches(max_chunksize=100_000)
    last = _last_of_each(pc.utf8_trim_whitespace(id_column.cast(pa.string())))
    del id_column
    frames, edges = [], []
    first = 0
    batch = nb = e = None
    for batch in batches:
        n = batch.num_rows
        nb = normalise(batch, first, name, last[first:first + n])
        frames.append(_frame(batch, nb, last[first:first + n]))
        e = nb.edges
        edges.append(pd.DataFrame({"child": e["child"].to_pandas(), "base": e["base"].to_pandas(),
                                   "relation": e["relation"].to_pandas(), "declared": e["declared"].to_pandas()}))
        first += n
    frame = _concat(frames) if frames else _frame_empty()
    edge = (pd.concat(edges, ignore_index=True) if edges
            else pd.DataFrame({"child": [], "base": [], "relation": [], "declared": []}))
    del frames, edges, batches, batch, nb, e, source  # the reader and the last batch too: all freed before the trim
    models = Models(frame, edge.drop_duplicates(["child", "base"]).reset_index(drop=True))
    del edge
    gc.collect()  # the normalisation and pandas leave cycles
    memory.release()  # after the batches and the reader are gone: the heap they leave is handed back
    return models


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches' frames as one, a column at a time (each batch's column released as it is
    copied, so the whole frame is never held twice), the categoricals on shared categories."""
    cats = {col: union_categoricals([f[col].array for f in frames]).categories for col in CATEGORIES}
    out = {}
    for col in list(frames[0].columns):
        parts = [f.pop(col) for f in frames]
        if col in CATEGORIES:
            parts = [p.cat.set_categories(cats[col]) for p in parts]
        out[col] = pd.concat(parts, ignore_index=True)
        del parts
    return pd.DataFrame(out)


def _frame_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "author", "name", "created", "params", "arch", "auto_model", "library",
                                 "pipeline", "quantized", "adapter", "merge", "downloads"])


def _frame(batch: pa.RecordBatch, nb, last: np.ndarray) -> pd.DataFrame:
    """The charting columns of one normalised batch (only the rows the load would write), by Arrow
    compute over whole columns."""
    cols = dict(zip(batch.schema.names, batch.columns))
    n = batch.num_rows
    ids = pc.utf8_trim_whitespace(cols["id"].cast(pa.string()))
    # the node table holds the written rows in batch order; with ``last`` every id is there once
    kept = pc.is_in(ids, value_set=nb.ids).to_numpy(zero_copy_only=False) & last
    rows = np.flatnonzero(kept)
    take = pa.array(rows, pa.int64())
    props = nb.node_table["props"].combine_chunks()
    node = nb.node_table
    pos = np.arange(len(rows))

    def prop(name):
        return pc.struct_field(props, name).take(pa.array(pos, pa.int64()))

    kept_ids = ids.take(take)
    name = pc.struct_field(pc.extract_regex(kept_ids, r"(?P<n>[^/]*)$"), "n")
    out = pd.DataFrame({"id": _strings(kept_ids)})
    out["author"] = _category(_author(prop("author"), kept_ids))
    out["name"] = _strings(name)
    created = node["createdAt"].to_numpy(zero_copy_only=False)[pos]
    out["created"] = pd.array(created, dtype="Float64").to_numpy(dtype=float, na_value=np.nan) * 1000.0
    params = pd.array(prop("parameters").to_numpy(zero_copy_only=False), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
    gguf = cols.get("gguf")
    gguf_s = gguf.cast(pa.string()) if gguf is not None and not pa.types.is_null(gguf.type) else pa.nulls(n, pa.string())
    gguf_s = gguf_s.take(take)
    g_total = pc.struct_field(pc.extract_regex(gguf_s, _GGUF_TOTAL), "v").to_numpy(zero_copy_only=False)
    g_total = pd.to_numeric(pd.Series(g_total), errors="coerce").to_numpy(dtype=float)
    out["params"] = np.where(np.isnan(params), g_total, params)
    g_arch = pc.struct_field(pc.extract_regex(gguf_s, _GGUF_ARCH), "v")
    out["arch"] = _category(pc.coalesce(_norm(prop("modelType")), _norm(g_arch)))
    ti = cols.get("transformersInfo")
    if ti is not None and pa.types.is_struct(ti.type) and ti.type.get_field_index("auto_model") >= 0:
        out["auto_model"] = _category(pc.struct_field(ti, "auto_model").take(take).cast(pa.string()))
    else:
        out["auto_model"] = _category(pa.nulls(len(rows), pa.string()))
    library = _norm(prop("libraryName"))
    out["library"] = _category(library)
    out["pipeline"] = _category(_norm(prop("pipelineTag")))
    tags = _any_tag(cols.get("tags"), take, len(rows))
    files = _files(cols.get("siblings"), take, len(rows))
    has_gguf = pc.is_valid(gguf_s).to_numpy(zero_copy_only=False)
    named_quant = _true(pc.match_substring_regex(name, QUANT_NAME_RE2, ignore_case=True))
    out["quantized"] = tags(QUANTIZED_TAGS) | has_gguf | files("gguf") | named_quant
    out["adapter"] = tags(ADAPTER_TAGS) | _true(pc.equal(library, "peft")) | files("adapter")
    out["merge"] = tags(MERGE_TAGS)
    out["downloads"] = pd.array(prop("downloads").to_numpy(zero_copy_only=False), dtype="Float64").fillna(0).to_numpy(dtype=float)
    return out


def _strings(values: pa.Array) -> pd.Series:
    """An Arrow string column as a pandas one that keeps the Arrow buffers (no Python strings)."""
    return values.to_pandas()


def _category(values: pa.Array) -> pd.Series:
    return pc.dictionary_encode(values.cast(pa.string())).to_pandas()


def _last_of_each(ids: pa.Array) -> np.ndarray:
    """Per row, whether no later row has the same id (the file's last row of an id wins)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
    last = np.zeros(len(codes), dtype=bool)
    if len(codes):
        _, first_from_end = np.unique(codes[::-1], return_index=True)
        last[len(codes) - 1 - first_from_end] = True
    return last


def _true(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool)


def name_key(name: pa.Array) -> pa.Array:
    """A name's lower-case tokens (split on - _ . / and blanks, empty ones dropped) joined by '-'."""
    dashed = pc.replace_substring_regex(pc.utf8_lower(name), r"[-_.\s/]+", "-")
    return pc.utf8_trim(dashed, "-")


def _author(author: pa.Array, ids: pa.Array) -> pa.Array:
    """The author, else the id's namespace, else '' (an id without a namespace has no author)."""
    namespace = pc.if_else(pc.match_substring(ids, "/"),
                           pc.struct_field(pc.extract_regex(ids, r"^(?P<a>[^/]*)/"), "a"), "")
    given = pc.and_(pc.is_valid(author), pc.not_equal(pc.fill_null(author, ""), ""))
    return pc.utf8_lower(pc.if_else(pc.fill_null(given, False), author, namespace))


def _norm(values: pa.Array) -> pa.Array:
    """Trimmed and lower-cased; empty and non-string values become null."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return pa.nulls(len(values), pa.string())
    v = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    return pc.if_else(pc.equal(v, ""), pa.scalar(None, pa.string()), v)


def _any_tag(tags: pa.Array | None, take: pa.Array, n: int):
    """A function: tag set -> per row, whether any of its (lower-cased) tags is in the set."""
    if tags is None or pa.types.is_null(tags.type):
        return lambda wanted: np.zeros(n, dtype=bool)
    lists = tags.take(take)
    flat = pc.utf8_lower(pc.list_flatten(lists).cast(pa.string()))
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)

    def any_of(wanted: frozenset) -> np.ndarray:
        hit = _true(pc.is_in(flat, value_set=pa.array(sorted(wanted), pa.string())))
        out = np.zeros(n, dtype=bool)
        out[parent[hit]] = True
        return out

    return any_of


def _files(siblings: pa.Array | None, take: pa.Array, n: int):
    """A function: 'gguf' | 'adapter' -> per row, whether a file name says so."""
    if siblings is None or pa.types.is_null(siblings.type):
        return lambda kind: np.zeros(n, dtype=bool)
    lists = siblings.take(take)
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    if not (pa.types.is_struct(flat.type) and flat.type.get_field_index("rfilename") >= 0):
        return lambda kind: np.zeros(n, dtype=bool)
    base = pc.struct_field(pc.extract_regex(pc.utf8_lower(pc.struct_field(flat, "rfilename").cast(pa.string())),
                                            r"(?P<b>[^/]*)$"), "b")
    tests = {"gguf": pc.ends_with(base, ".gguf"),
             "adapter": pc.or_(pc.starts_with(base, "adapter_model"), pc.equal(base, "adapter_config.json"))}

    def any_of(kind: str) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[parent[_true(tests[kind])]] = True
        return out

    return any_of
