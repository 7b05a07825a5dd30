"""The models to chart, read from an Arrow table of hub-stats rows.

The loader's own normalisation (``hflineage.loader.read.normalise``) gives each row's properties
and its declared and tag-inferred base edges, so charting and loading agree on who has a base.
The few columns the loader does not keep (tags, gguf, siblings, transformersInfo) are read here
for the signals charting needs: quantization and adapter hints, the gguf architecture and
parameter total, the auto-model class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store.errors import InputError
from ..loader.infer import ADAPTER_TAGS, QUANTIZED_TAGS
from ..loader.read import normalise

# Name parts the Hub's quantizers append; a model named so is a quantization (and a leaf).
QUANT_NAME = re.compile(
    r"(?:^|[-_.])(gguf|gptq|awq|exl2|exl3|bnb|4bit|8bit|3bit|2bit|int4|int8|nf4|fp8|mlx|hqq|"
    r"q[2-8]_k(?:_[sml])?|q[2-8]_[01]|iq[1-4]_\w+|\d(?:\.\d+)?bpw|quantized|imatrix)(?:$|[-_.])",
    re.I)
MERGE_TAGS = frozenset({"merge", "mergekit"})
TOKEN_SPLIT = re.compile(r"[-_.\s/]+")
_GGUF_ARCH = r'"architecture"\s*:\s*"(?P<v>[^"]+)"'
_GGUF_TOTAL = r'"total"\s*:\s*(?P<v>\d+)'


@dataclass
class Models:
    """One row per distinct model id (the file's last row wins, as in a load) and its base edges."""

    frame: pd.DataFrame  # see read_models for the columns
    edges: pd.DataFrame  # child, base, relation, declared (bool)

    def __len__(self) -> int:
        return len(self.frame)


def tokens(name: str) -> list[str]:
    """A model name's lower-case tokens (split on - _ . / and blanks), empty ones dropped."""
    return [t for t in TOKEN_SPLIT.split(name.lower()) if t]


def read_models(table: pa.Table, source: str = "table") -> Models:
    """Normalise ``table`` (hub-stats columns; any subset beyond ``id``) into Models.

    Frame columns: id, author, name (the part after the namespace), key (its tokens joined by
    '-'), created (epoch microseconds, NaN unknown), params (NaN unknown), arch, auto_model,
    library, pipeline, quantized, adapter, merge, downloads, likes, row.
    """
    if "id" not in table.column_names:
        raise InputError(f"{source}: no 'id' column (columns: {', '.join(table.column_names[:12])})")
    if not (pa.types.is_string(table.schema.field("id").type) or pa.types.is_large_string(table.schema.field("id").type)):
        raise InputError(f"{source}: column 'id' has type {table.schema.field('id').type}, expected string")
    table = table.combine_chunks()
    ids = pc.utf8_trim_whitespace(table["id"].cast(pa.string())).to_numpy(zero_copy_only=False)
    last = ~pd.Series(ids).duplicated(keep="last").to_numpy()
    frames, edges = [], []
    first = 0
    for batch in table.to_batches(max_chunksize=100_000):
        n = batch.num_rows
        nb = normalise(batch, first, source, last[first:first + n])
        frames.append(_frame(batch, nb, first, last[first:first + n]))
        e = nb.edges
        edges.append(pd.DataFrame({"child": e["child"].to_numpy(zero_copy_only=False),
                                   "base": e["base"].to_numpy(zero_copy_only=False),
                                   "relation": e["relation"].to_numpy(zero_copy_only=False),
                                   "declared": e["declared"].to_numpy(zero_copy_only=False)}))
        first += n
    frame = pd.concat(frames, ignore_index=True) if frames else _frame_empty()
    edge = (pd.concat(edges, ignore_index=True) if edges
            else pd.DataFrame({"child": [], "base": [], "relation": [], "declared": []}))
    return Models(frame.reset_index(drop=True), edge.drop_duplicates(["child", "base"]).reset_index(drop=True))


def _frame_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "author", "name", "key", "created", "params", "arch", "auto_model", "library",
                                 "pipeline", "quantized", "adapter", "merge", "downloads", "likes", "row"])


def _frame(batch: pa.RecordBatch, nb, first: int, last: np.ndarray) -> pd.DataFrame:
    """The charting columns of one normalised batch (only the rows the load would write)."""
    cols = dict(zip(batch.schema.names, batch.columns))
    n = batch.num_rows
    ids = pc.utf8_trim_whitespace(cols["id"].cast(pa.string()))
    # the node table holds the written rows in batch order; with ``last`` every id is there once
    kept = pc.is_in(ids, value_set=nb.ids).to_numpy(zero_copy_only=False) & last
    rows = np.flatnonzero(kept)
    props = nb.node_table["props"].combine_chunks()
    node = nb.node_table
    pos = np.arange(len(rows))

    def prop(name):
        return pc.struct_field(props, name).to_numpy(zero_copy_only=False)[pos]

    out = pd.DataFrame({"id": ids.to_numpy(zero_copy_only=False)[rows]})
    out["author"] = _author(prop("author"), out["id"].to_numpy())
    out["name"] = [i.rsplit("/", 1)[-1] for i in out["id"]]
    out["key"] = ["-".join(tokens(nm)) for nm in out["name"]]
    created = node["createdAt"].to_numpy(zero_copy_only=False)[pos]
    out["created"] = pd.array(created, dtype="Float64").to_numpy(dtype=float, na_value=np.nan) * 1000.0
    params = pd.array(prop("parameters"), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
    gguf = cols.get("gguf")
    gguf_s = gguf.cast(pa.string()) if gguf is not None and not pa.types.is_null(gguf.type) else pa.nulls(n, pa.string())
    g_total = pc.struct_field(pc.extract_regex(gguf_s, _GGUF_TOTAL), "v").to_numpy(zero_copy_only=False)[rows]
    g_total = pd.to_numeric(pd.Series(g_total), errors="coerce").to_numpy(dtype=float)
    out["params"] = np.where(np.isnan(params), g_total, params)
    g_arch = pc.struct_field(pc.extract_regex(gguf_s, _GGUF_ARCH), "v").to_numpy(zero_copy_only=False)[rows]
    mtype = prop("modelType")
    out["arch"] = [_norm(a) or _norm(b) for a, b in zip(mtype, g_arch)]
    ti = cols.get("transformersInfo")
    if ti is not None and pa.types.is_struct(ti.type) and ti.type.get_field_index("auto_model") >= 0:
        out["auto_model"] = pc.struct_field(ti, "auto_model").to_numpy(zero_copy_only=False)[rows]
    else:
        out["auto_model"] = None
    out["library"] = [_norm(v) for v in prop("libraryName")]
    out["pipeline"] = [_norm(v) for v in prop("pipelineTag")]
    tagsets = _tagsets(cols.get("tags"), n, rows)
    files = _filenames(cols.get("siblings"), n, rows)
    has_gguf = (pc.is_valid(gguf_s).to_numpy(zero_copy_only=False)[rows])
    out["quantized"] = [bool(t & QUANTIZED_TAGS) or g or any(f.endswith(".gguf") for f in fs) or bool(QUANT_NAME.search(nm))
                        for t, g, fs, nm in zip(tagsets, has_gguf, files, out["name"])]
    out["adapter"] = [bool(t & ADAPTER_TAGS) or lib == "peft"
                      or any(f.startswith("adapter_model") or f == "adapter_config.json" for f in fs)
                      for t, lib, fs in zip(tagsets, out["library"], files)]
    out["merge"] = [bool(t & MERGE_TAGS) for t in tagsets]
    out["downloads"] = pd.array(prop("downloads"), dtype="Float64").fillna(0).to_numpy(dtype=float)
    out["likes"] = pd.array(prop("likes"), dtype="Float64").fillna(0).to_numpy(dtype=float)
    out["row"] = rows + first
    return out


def _author(author: np.ndarray, ids: np.ndarray) -> list[str]:
    """The author, else the id's namespace, else '' (an id without a namespace has no author)."""
    return [(a if isinstance(a, str) and a else (i.split("/", 1)[0] if "/" in i else "")).lower()
            for a, i in zip(author, ids)]


def _norm(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value or None


def _tagsets(tags: pa.Array | None, n: int, rows: np.ndarray) -> list[frozenset]:
    """Each row's tags, lower-cased; ``base_model:`` tags are lineage, never a charting signal."""
    if tags is None or pa.types.is_null(tags.type):
        return [frozenset()] * len(rows)
    out = []
    for value in tags.take(pa.array(rows)).to_pylist():
        out.append(frozenset(t.lower() for t in value or () if isinstance(t, str) and not t.startswith("base_model:")))
    return out


def _filenames(siblings: pa.Array | None, n: int, rows: np.ndarray) -> list[list[str]]:
    if siblings is None or pa.types.is_null(siblings.type):
        return [[]] * len(rows)
    out = []
    for value in siblings.take(pa.array(rows)).to_pylist():
        out.append([s["rfilename"].lower().rsplit("/", 1)[-1] for s in value or ()
                    if isinstance(s, dict) and isinstance(s.get("rfilename"), str)])
    return out
