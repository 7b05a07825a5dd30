"""``hflineage load --datasets FILE``: a hub-stats ``datasets.parquet`` fills the Dataset nodes.

Columns read (any but ``id`` may be missing or null): ``id``, ``author``, ``createdAt``,
``lastModified``, ``downloads``, ``downloadsAllTime``, ``likes``, ``trendingScore``, ``tags``,
``cardData``. The license is the first ``license:`` tag, else ``cardData.license``;
``licenseName`` is ``cardData.license_name``. Each row's Dataset node is created or updated and
marked ``described`` (a dataset no model names stays then); a dataset never described keeps
only its id. Duplicate ids: the last row wins. The whole file is read and checked before the
first write; a killed load run again writes the same nodes (every write is an upsert).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.db import Graph, Writer
from ..store.errors import InputError
from ..store.lock import LoadLock
from ..store.schema import ensure_schema
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS
from .cards import why_invalid
from .read import _LICENSE_NAME_RE, _LICENSE_RE, _cast, _first_license_tag, check_schema, clean_ids, last_rows, open_parquet

# column -> (property, Arrow type); the rest of a datasets file is ignored
COLUMNS = {
    "author": ("author", pa.string()),
    "createdAt": ("createdAt", pa.timestamp("us", tz="UTC")),
    "lastModified": ("lastModified", pa.timestamp("us", tz="UTC")),
    "downloads": ("downloads", pa.int64()),
    "downloadsAllTime": ("downloadsAllTime", pa.int64()),
    "likes": ("likes", pa.int64()),
    "trendingScore": ("trendingScore", pa.float64()),
}
# columns only a models file has: such a file passed as --datasets is refused
MODEL_COLUMNS = ("baseModels", "safetensors", "gguf", "pipeline_tag", "library_name")


@dataclass
class DatasetsReport:
    source: str
    rows_read: int = 0
    rows_skipped: dict = field(default_factory=dict)  # reason -> rows
    duplicate_ids: int = 0
    datasets: int = 0  # distinct datasets written
    with_license: int = 0
    named_by_models: int = 0  # of those, how many some model names
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def load_datasets(graph: Graph, path: str, batch_size: int = DEFAULT_BATCH_SIZE, workers: int = DEFAULT_WORKERS,
                  progress: bool = True, force: bool = False) -> DatasetsReport:
    started = time.monotonic()
    pf = open_parquet(path)
    names = pf.schema_arrow.names
    if "id" not in names:
        raise InputError(f"{path}: no 'id' column, so not a hub-stats datasets file (columns: {', '.join(names[:12])})")
    models_only = [c for c in MODEL_COLUMNS if c in names]
    if models_only:
        raise InputError(f"{path}: has the models column '{models_only[0]}': --datasets takes hub-stats "
                         f"datasets.parquet, not models.parquet")
    check_schema(pf, path)  # the columns a datasets file shares with a models file, typed alike
    report = DatasetsReport(source=path)
    rows = _rows(pf, path, report)
    with LoadLock(graph, path, force=force):
        ensure_schema(graph)
        with Writer(graph, workers) as writer:
            for start in range(0, len(rows), batch_size):
                writer.put("links/describe_datasets", rows=rows[start:start + batch_size])
            writer.join()
        counts = graph.read("links/described_counts")[0]
    report.named_by_models = counts["named"]
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _rows(pf, path: str, report: DatasetsReport) -> list[dict]:
    """Every usable row (each id's last) as {id, props, createdAt, lastModified}; counts the rest."""
    last = last_rows(pf)
    skipped = Counter()
    out: list[dict] = []
    first_row = usable = 0
    columns = [c for c in ("id", "tags", "cardData", *COLUMNS) if c in pf.schema_arrow.names]
    for batch in pf.iter_batches(batch_size=50_000, columns=columns):
        n = batch.num_rows
        cols = dict(zip(batch.schema.names, batch.columns))
        ids, valid = clean_ids(cols["id"])
        usable += pc.sum(valid).as_py() or 0
        bad = n - (pc.sum(valid).as_py() or 0)
        if bad:
            skipped["null_empty_or_long_id"] += bad
        valid = valid.to_numpy(zero_copy_only=False) & last[first_row:first_row + n]
        props = {}
        for column, (prop, typ) in COLUMNS.items():
            props[prop] = _cast(cols[column], typ, column, path, first_row) if column in cols else pa.nulls(n, typ)
        card = cols["cardData"].cast(pa.string()) if "cardData" in cols else pa.nulls(n, pa.string())
        from_card = pc.struct_field(pc.extract_regex(card, _LICENSE_RE), "v")
        props["license"] = pc.coalesce(_first_license_tag(cols.get("tags"), n), from_card)
        props["licenseName"] = pc.struct_field(pc.extract_regex(card, _LICENSE_NAME_RE), "v")
        times = {k: pc.divide(props.pop(k).cast(pa.int64()), 1000) for k in ("createdAt", "lastModified")}
        table = pa.table({"id": ids, "props": pa.StructArray.from_arrays(list(props.values()), names=list(props)),
                          **times}).filter(pa.array(valid))
        for row in table.to_pylist():
            reason = why_invalid(row["id"])
            if reason is not None:
                skipped[f"id_{reason.removeprefix('id_')}"] += 1
                continue
            out.append(row)
        first_row += n
    report.rows_read = first_row
    report.rows_skipped = dict(sorted(skipped.items()))
    report.duplicate_ids = int(usable - int(np.sum(last)))
    report.datasets = len(out)
    report.with_license = sum(1 for r in out if r["props"]["license"] is not None)
    return out

