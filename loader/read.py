"""Read a hub-stats ``models.parquet`` in record batches and normalise each batch.

Every batch becomes node rows (one dict per model, Neo4j property names) and edge arrays (child,
base, relation, declared, rule, row number). Nested-column work is done with Arrow compute on the
whole batch; only rows that need it (an undeclared relation) have their card JSON parsed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..store import memory
from ..store.errors import InputError
from ..store.properties import ARROW, INDEXED_PROPERTIES, MODEL_PROPERTIES
from .cards import links
from .infer import RELATIONS, card_bases, infer_relation

HF_PREFIX = "hf://"

# parquet column -> (Neo4j property, Arrow type it is cast to): the properties taken as they are
SCALAR_COLUMNS = {p.column: (p.name, ARROW[p.kind]) for p in MODEL_PROPERTIES if p.column is not None}
# the other columns the loader reads; anything else in the file is ignored
OTHER_COLUMNS = ("id", "tags", "cardData", "safetensors", "gguf", "baseModels", "siblings", "config")

# Every loaded model carries every property of store/properties.py (null where the file has no
# value), so a newer row replaces all of them.

# Neo4j refuses index keys over ~8 KB (a range index entry must fit in a page): one such value
# under the id constraint or an index fails the index and leaves the schema broken. No real id
# or tag comes near; a row holding one is skipped and counted.
MAX_INDEXED_BYTES = 4096
# Timestamps Neo4j and Python both hold: years 1 to 9999, in microseconds since the epoch.
_MIN_US = -62_135_596_800_000_000
_MAX_US = 253_402_300_799_999_999

_LICENSE_RE = r'"license"\s*:\s*\[?\s*"(?P<v>[^"]+)"'
_LICENSE_NAME_RE = r'"license_name"\s*:\s*"(?P<v>[^"]+)"'
_MODEL_TYPE_RE = r'"model_type"\s*:\s*"(?P<v>[^"]+)"'


@dataclass
class Batch:
    node_table: pa.Table  # id, props (struct), createdAt, lastModified (epoch ms): see _node_table
    edges: pa.Table  # row, child, base, relation, declared, rule
    ids: pa.Array  # the ids written (valid, and each id's last row)
    created: pa.Array  # their createdAt
    skipped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    dropped_links: Counter = field(default_factory=Counter)  # datasets and new_version values left out


EDGE_SCHEMA = pa.schema([
    ("row", pa.int64()), ("child", pa.string()), ("base", pa.string()),
    ("relation", pa.string()), ("declared", pa.bool_()), ("rule", pa.string()),
])


def open_parquet(path: str) -> pq.ParquetFile:
    """Open a local path or an ``hf://`` URL; InputError with one line when that fails."""
    try:
        if path.startswith(HF_PREFIX):
            try:
                from huggingface_hub import HfFileSystem
            except ImportError as e:
                raise InputError("reading hf:// paths needs huggingface_hub",
                                 hint="pip install 'hflineage[hf]'") from e
            return pq.ParquetFile(HfFileSystem().open(path, "rb"))
        return pq.ParquetFile(path)
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a parquet file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"{path}: not a readable parquet file ({_first_line(e)})") from None


def check_schema(pf: pq.ParquetFile, path: str) -> list[str]:
    """The columns the loader will read; InputError when ``id`` is absent or not a string."""
    schema = pf.schema_arrow
    if "id" not in schema.names:
        raise InputError(f"{path}: no 'id' column (columns: {', '.join(schema.names[:12])})")
    if not pa.types.is_string(schema.field("id").type) and not pa.types.is_large_string(schema.field("id").type):
        raise InputError(f"{path}: column 'id' has type {schema.field('id').type}, expected string")
    wanted = set(SCALAR_COLUMNS) | set(OTHER_COLUMNS)
    columns = [name for name in schema.names if name in wanted]
    for name in columns:
        if name == "id":
            continue
        typ = schema.field(name).type
        check = _TYPE_CHECKS[name] if name in _TYPE_CHECKS else _FAMILY[SCALAR_COLUMNS[name][1]]
        if not (pa.types.is_null(typ) or check(typ)):
            raise InputError(f"{path}: column '{name}' has type {typ}, which the loader cannot read "
                             f"(expected {_EXPECTED.get(name) or SCALAR_COLUMNS[name][1]})")
    return columns


def _is_str(t) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_list_of(t, inner) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and inner(t.value_type)


def _is_null_or(check):
    return lambda t: pa.types.is_null(t) or check(t)


def _base_models_ok(t) -> bool:
    if not pa.types.is_struct(t) or t.get_field_index("models") < 0:
        return False
    if t.get_field_index("relation") >= 0 and not _is_null_or(_is_str)(t.field("relation").type):
        return False
    models = t.field("models").type
    return _is_list_of(models, lambda e: pa.types.is_struct(e) and e.get_field_index("id") >= 0
                       and _is_null_or(_is_str)(e.field("id").type))


def _safetensors_ok(t) -> bool:
    if not pa.types.is_struct(t):
        return False
    return t.get_field_index("total") < 0 or _is_null_or(pa.types.is_integer)(t.field("total").type)


def _siblings_ok(t) -> bool:
    return _is_list_of(t, lambda e: pa.types.is_struct(e) and (
        e.get_field_index("rfilename") < 0 or _is_null_or(_is_str)(e.field("rfilename").type)))


# A column of the wrong type stops the load before anything is written (cast errors mid-file
# would leave a half-written load).
_FAMILY = {
    pa.string(): _is_str,
    pa.timestamp("us", tz="UTC"): pa.types.is_timestamp,
    pa.int64(): pa.types.is_integer,
    pa.float64(): lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
}
_TYPE_CHECKS = {
    "tags": lambda t: _is_list_of(t, _is_str),
    "cardData": _is_str,
    "gguf": lambda t: True,  # only its presence is used
    "safetensors": _safetensors_ok,
    "baseModels": _base_models_ok,
    "siblings": _siblings_ok,
    "config": _is_str,
}
_EXPECTED = {
    "tags": "list<string>",
    "cardData": "string (JSON)",
    "safetensors": "struct<parameters, total: int64>",
    "baseModels": "struct<relation: string, models: list<struct<_id, id>>>",
    "siblings": "list<struct<rfilename: string>>",
    "config": "string (JSON)",
}


def iter_batches(pf: pq.ParquetFile, columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
    return pf.iter_batches(batch_size=batch_size, columns=columns)


def clean_ids(ids: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Ids with surrounding blanks trimmed, and the mask of rows whose id is usable (not null,
    not blank, not longer than an index key may be)."""
    ids = pc.utf8_trim_whitespace(ids.cast(pa.string()))
    present = pc.fill_null(pc.greater(pc.utf8_length(ids), 0), False)
    return ids, pc.and_(present, pc.invert(too_long(ids)))


def too_long(values: pa.Array) -> pa.Array:
    """True where a string is over MAX_INDEXED_BYTES in UTF-8 (null: False)."""
    return pc.fill_null(pc.greater(pc.binary_length(values), MAX_INDEXED_BYTES), False)


def last_rows(pf: pq.ParquetFile) -> np.ndarray:
    """Mask over the file's rows: True where the row is its id's last (the row that wins).

    Reads only the ``id`` column, a row group at a time, so it costs a fraction of the load;
    with it every id is written once, and batches can be written in any order. The ids are
    dictionary-encoded (one hash table, integer codes) rather than grouped, which holds the
    prepass to a fraction of the memory (BENCHMARKS.md, "Design measurements").
    """
    chunks, masks = [], []
    for batch in pf.iter_batches(batch_size=100_000, columns=["id"]):
        ids, valid = clean_ids(batch.column(0))
        chunks.append(ids)
        masks.append(valid.to_numpy(zero_copy_only=False))
    valid = np.concatenate(masks) if masks else np.zeros(0, bool)
    mask = np.zeros(len(valid), bool)
    if not chunks:
        return mask
    # the chunks share one dictionary, so their indices are the ids' codes
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))
    del chunks
    rows = np.flatnonzero(valid)
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in encoded.chunks])[rows]
    _, last_in_reversed = np.unique(codes[::-1], return_index=True)
    mask[rows[::-1][last_in_reversed]] = True
    del encoded
    memory.release()
    return mask


def normalise(batch: pa.RecordBatch, first_row: int, path: str, last: np.ndarray | None = None) -> Batch:
    """Turn one record batch into node rows and edges.

    ``last`` (this batch's slice of ``last_rows``) drops rows superseded by a later row with the
    same id: they write no node and no edge.
    """
    n = batch.num_rows
    cols = dict(zip(batch.schema.names, batch.columns))
    row_no = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))

    ids, valid = clean_ids(cols["id"])
    skipped = Counter()
    n_long_id = pc.sum(too_long(ids)).as_py() or 0
    n_invalid = (n - pc.sum(valid).as_py() if n else 0) - n_long_id
    if n_invalid:
        skipped["null_or_empty_id"] += n_invalid
    if n_long_id:
        skipped["id_too_long"] += n_long_id
    if last is not None:
        valid = pc.and_(valid, pa.array(last))

    props: dict[str, pa.Array] = {"id": ids}
    for column, (prop, typ) in SCALAR_COLUMNS.items():
        if column in cols:
            props[prop] = _cast(cols[column], typ, column, path, first_row)
        else:
            props[prop] = pa.nulls(n, typ)

    tags = cols.get("tags")
    card = cols.get("cardData")
    card = card.cast(pa.string()) if card is not None else pa.nulls(n, pa.string())
    license_ = _first_license_tag(tags, n)
    from_card = pc.struct_field(pc.extract_regex(card, _LICENSE_RE), "v")
    props["license"] = pc.coalesce(license_, from_card)
    props["licenseName"] = pc.struct_field(pc.extract_regex(card, _LICENSE_NAME_RE), "v")
    props["parameters"] = _safetensors_total(cols.get("safetensors"), n, path, first_row)
    props["modelType"] = _model_type(cols.get("config"), n)

    long_value = pa.array(np.zeros(n, dtype=bool))
    for prop in INDEXED_PROPERTIES:
        long_value = pc.or_(long_value, too_long(props[prop]))
    long_value = pc.and_(long_value, valid)
    n_long = pc.sum(long_value).as_py() or 0
    if n_long:
        skipped["value_too_long"] += n_long
        valid = pc.and_(valid, pc.invert(long_value))

    dropped_links = Counter()
    props["datasets"], props["newVersion"] = links(tags, card, n, valid.to_numpy(zero_copy_only=False), dropped_links)

    dropped = Counter()
    edges = _declared_edges(cols, ids, row_no, valid, dropped, skipped)
    inferred = _inferred_edges(cols, ids, card, row_no, valid, n)
    edges = pa.concat_tables([edges, inferred]) if inferred.num_rows else edges
    if edges.num_rows:
        long_base = too_long(edges["base"])
        n_long = pc.sum(long_base).as_py() or 0
        if n_long:
            dropped["base_id_too_long"] += n_long
            edges = edges.filter(pc.invert(long_base))
        self_ref = pc.equal(edges["child"], edges["base"])
        n_self = pc.sum(self_ref).as_py() or 0
        if n_self:
            dropped["self_reference"] += n_self
            edges = edges.filter(pc.invert(self_ref))
    props["relationType"] = _declared_relation(edges, first_row, n)

    nodes = _node_table(props, valid)
    return Batch(
        node_table=nodes,
        edges=edges,
        ids=ids.filter(valid),
        created=props["createdAt"].filter(valid),
        skipped=skipped,
        dropped=dropped,
        dropped_links=dropped_links,
    )


def _node_table(props: dict[str, pa.Array], valid: pa.Array) -> pa.Table:
    """Rows for load/upsert_models and load/create_models: {id, props: {...}, createdAt, lastModified}, as a table (the
    online writer sends ``to_pylist()`` of it, the bulk writer converts columns).

    Timestamps travel as epoch milliseconds and become DateTime on the server: converting
    Python datetimes costs the driver far more than the rest of the row.
    """
    times = {name: pc.divide(props[name].cast(pa.int64()), 1000) for name in ("createdAt", "lastModified")}
    rest = {k: v for k, v in props.items() if k not in times and k != "id"}
    table = pa.table({
        "id": props["id"],
        "props": pa.StructArray.from_arrays(list(rest.values()), names=list(rest)),
        **times,
    })
    return table.filter(valid)


def _cast(array: pa.Array, typ: pa.DataType, column: str, path: str, first_row: int) -> pa.Array:
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), typ)
    if pa.types.is_timestamp(typ):
        return _timestamps(array, column, path, first_row)
    if array.type == typ:
        return array
    try:
        return array.cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise InputError(
            f"{path}: column '{column}' has type {array.type}, expected {typ} "
            f"(rows {first_row}..{first_row + len(array) - 1}: {_first_line(e)})"
        ) from None


def _timestamps(array: pa.Array, column: str, path: str, first_row: int) -> pa.Array:
    """Any Arrow timestamp (s, ms, us, ns; with a zone or without, which hub-stats means as UTC)
    as timestamp[us, UTC]; InputError naming the row when a value is outside years 1-9999."""
    unit = array.type.unit
    # a zone is metadata over UTC instants: reading the raw values as UTC keeps the instant
    raw = array.view(pa.int64())
    scale = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}[unit]
    valid = raw.is_valid().to_numpy(zero_copy_only=False)
    ints = raw.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    if unit == "ns":
        micros = np.floor_divide(ints, 1000)
    else:
        lo, hi = _MIN_US // scale, _MAX_US // scale
        bad = valid & ((ints < lo) | (ints > hi))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"{path}: row {first_row + row}: column '{column}' holds a timestamp outside "
                             f"years 1-9999 ({int(ints[row])} {unit} since 1970)")
        micros = ints * scale
    bad = valid & ((micros < _MIN_US) | (micros > _MAX_US))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}: row {first_row + row}: column '{column}' holds a timestamp outside "
                         f"years 1-9999 ({int(ints[row])} {unit} since 1970)")
    return pa.array(micros, pa.int64(), mask=~valid).view(pa.timestamp("us", tz="UTC"))


def _first_license_tag(tags: pa.Array | None, n: int) -> pa.Array:
    """The id of each row's first ``license:<id>`` tag, or null."""
    out = np.full(n, None, dtype=object)
    if tags is not None and n:
        flat = pc.list_flatten(tags)
        parents = pc.list_parent_indices(tags)
        is_license = pc.fill_null(pc.starts_with(flat, "license:"), False)
        values = pc.utf8_slice_codeunits(flat.filter(is_license), 8).to_numpy(zero_copy_only=False)
        where = parents.filter(is_license).to_numpy()
        out[where[::-1]] = values[::-1]  # first tag wins
    return pa.array(out, type=pa.string())


def _safetensors_total(safetensors: pa.Array | None, n: int, path: str, first_row: int) -> pa.Array:
    if safetensors is None or not pa.types.is_struct(safetensors.type):
        return pa.nulls(n, pa.int64())
    if safetensors.type.get_field_index("total") < 0:
        return pa.nulls(n, pa.int64())
    return _cast(pc.struct_field(safetensors, "total"), pa.int64(), "safetensors.total", path, first_row)


def _model_type(config: pa.Array | None, n: int) -> pa.Array:
    """The top-level ``model_type`` of each row's ``config`` JSON, or null.

    The first match of a regex answers most rows; a config naming ``model_type`` more than once
    (multimodal configs nest a ``text_config`` with its own) is parsed, so the top-level key wins.
    """
    if config is None:
        return pa.nulls(n, pa.string())
    config = config.cast(pa.string())
    first = pc.struct_field(pc.extract_regex(config, _MODEL_TYPE_RE), "v")
    several = np.flatnonzero(pc.fill_null(pc.greater(pc.count_substring(config, '"model_type"'), 1), False)
                             .to_numpy(zero_copy_only=False))
    if len(several) == 0:
        return first
    out = first.to_numpy(zero_copy_only=False).astype(object)
    for i in several.tolist():
        try:
            parsed = json.loads(config[i].as_py())
        except ValueError:
            continue
        value = parsed.get("model_type") if isinstance(parsed, dict) else None
        out[i] = value if isinstance(value, str) and value else None
    return pa.array(out, type=pa.string())


def _declared_relation(edges: pa.Table, first_row: int, n: int) -> pa.Array:
    """Per row, the relation of its declared base edges (one ``baseModels.relation`` per row), or null."""
    out = np.full(n, None, dtype=object)
    if edges.num_rows:
        declared = edges.filter(edges["declared"])
        rows = pc.subtract(declared["row"], first_row).to_numpy()
        out[rows] = declared["relation"].to_numpy(zero_copy_only=False)
    return pa.array(out, type=pa.string())


def _declared_edges(cols, ids, row_no, valid, dropped: Counter, skipped: Counter) -> pa.Table:
    bm = cols.get("baseModels")
    if bm is None or not pa.types.is_struct(bm.type) or bm.type.get_field_index("models") < 0:
        return EDGE_SCHEMA.empty_table()
    relation = pc.struct_field(bm, "relation") if bm.type.get_field_index("relation") >= 0 else pa.nulls(len(bm), pa.string())
    models = pc.struct_field(bm, "models")
    flat = pc.list_flatten(models)
    if len(flat) == 0:
        return EDGE_SCHEMA.empty_table()
    parent_idx = pc.list_parent_indices(models)
    base = pc.utf8_trim_whitespace(pc.struct_field(flat, "id"))
    rel = pc.take(relation, parent_idx)
    keep = pc.and_(pc.take(valid, parent_idx), pc.fill_null(pc.greater(pc.utf8_length(base), 0), False))
    known = pc.fill_null(pc.is_in(rel, value_set=pa.array(RELATIONS)), False)
    unknown = pc.and_(keep, pc.invert(known))
    n_unknown = pc.sum(unknown).as_py() or 0
    if n_unknown:
        dropped["unknown_relation"] += n_unknown
        # the rows keep their nodes; only their edges are skipped
        skipped["rows_with_unknown_relation"] += len(pc.unique(parent_idx.filter(unknown)))
    keep = pc.and_(keep, known)
    parent_idx = parent_idx.filter(keep)
    return pa.table({
        "row": pc.take(row_no, parent_idx),
        "child": pc.take(ids, parent_idx),
        "base": base.filter(keep),
        "relation": rel.filter(keep),
        "declared": pa.array(np.ones(len(parent_idx), dtype=bool)),
        "rule": pa.nulls(len(parent_idx), pa.string()),
    }, schema=EDGE_SCHEMA)


def _inferred_edges(cols, ids, card, row_no, valid, n) -> pa.Table:
    """Edges for rows whose card names a base while ``baseModels`` is null (seed 000 rules)."""
    bm = cols.get("baseModels")
    no_declared = pc.is_null(bm) if bm is not None else pa.array(np.ones(n, dtype=bool))
    candidates = pc.and_(pc.and_(valid, no_declared), pc.fill_null(pc.match_substring(card, '"base_model"'), False))
    where = np.flatnonzero(candidates.to_numpy(zero_copy_only=False))
    if len(where) == 0:
        return EDGE_SCHEMA.empty_table()
    tags = cols.get("tags")
    library = cols.get("library_name")
    gguf = cols.get("gguf")
    siblings = cols.get("siblings")
    out = {name: [] for name in EDGE_SCHEMA.names}
    for i in where.tolist():
        try:
            parsed = json.loads(card[i].as_py())
        except (TypeError, ValueError):
            continue
        if not isinstance(parsed, dict):
            continue
        bases = card_bases(parsed)
        if not bases:
            continue
        filenames = None
        if siblings is not None:
            sib = siblings[i].as_py() or []
            filenames = [s.get("rfilename") for s in sib if isinstance(s, dict)]
        relation, rule = infer_relation(
            parsed,
            bases,
            tags[i].as_py() if tags is not None else None,
            library[i].as_py() if library is not None else None,
            filenames,
            gguf is not None and gguf[i].is_valid,
        )
        for base in bases:
            out["row"].append(row_no[i].as_py())
            out["child"].append(ids[i].as_py())
            out["base"].append(base)
            out["relation"].append(relation)
            out["declared"].append(False)
            out["rule"].append(rule)
    return pa.table(out, schema=EDGE_SCHEMA)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
