"""Write the bad-input corpus: one small file per class of bad input (tests/test_corpus.py says
what each must do). Run it to regenerate the files: ``python tests/corpus/make_corpus.py``.

Rows use the exact hub-stats types (the first 15 columns of the real sample) unless the class
is about a type.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent.parent.parent / "shared" / "data" / "hub_stats_sample.parquet"
D = dt.datetime


def hub(rows: list[dict]) -> pa.Table:
    schema = pq.read_schema(SAMPLE)
    out = []
    for r in rows:
        r = dict(r)
        bases = r.pop("base", None)
        relation = r.pop("relation", None)
        if bases is not None:
            r["baseModels"] = {"relation": relation, "models": [{"_id": None, "id": b} for b in bases]}
        card = r.pop("card", None)
        if card is not None:
            r["cardData"] = card if isinstance(card, str) else json.dumps(card)
        out.append(r)
    return pa.Table.from_pylist(out, schema=schema)


def ok(i: int) -> dict:
    return {"id": f"good/m{i}", "author": "good", "downloads": i, "createdAt": D(2024, 1, 1 + i)}


def files() -> dict[str, object]:
    """name -> a pyarrow Table (written as parquet) or bytes (written as they are)."""
    good = hub([ok(1), ok(2)])
    out: dict[str, object] = {}
    # --- refused as a whole: one line, nothing written
    out["empty_bytes"] = b""
    out["not_parquet"] = b"id,author\nx/y,x\n"
    buf = pa.BufferOutputStream()
    pq.write_table(good, buf)
    out["truncated"] = buf.getvalue().to_pybytes()[:-40]
    out["no_id_column"] = pa.table({"modelId": ["a/b"], "downloads": [1]})
    out["id_not_string"] = pa.table({"id": [1, 2]})
    out["downloads_as_string"] = pa.table({"id": ["a/b"], "downloads": ["many"]})
    out["safetensors_total_as_string"] = pa.table({"id": ["a/b"], "safetensors": pa.array(
        [{"total": "7B"}], pa.struct([("total", pa.string())]))})
    out["basemodels_id_as_int"] = pa.table({"id": ["a/b"], "baseModels": pa.array(
        [{"relation": "finetune", "models": [{"_id": "x", "id": 5}]}],
        pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.int64())])))]))})
    out["tags_not_a_list"] = pa.table({"id": ["a/b"], "tags": ["license:mit"]})
    out["timestamp_overflow"] = pa.table({"id": ["a/b"], "createdAt": pa.array([2 ** 62], pa.int64()).cast(pa.timestamp("ms"))})
    late = [{"id": f"late/m{i}", "createdAt": 1_700_000_000_000 + i} for i in range(30)]
    late.append({"id": "late/bad", "createdAt": -(2 ** 62)})
    out["timestamp_out_of_range_late_row"] = pa.Table.from_pylist(
        late, schema=pa.schema([("id", pa.string()), ("createdAt", pa.timestamp("ms"))]))
    # --- loaded: bad rows skipped or edges dropped and counted, every valid row present
    out["zero_rows"] = good.slice(0, 0)
    out["null_blank_ids"] = hub([ok(1), {"id": None}, {"id": ""}, {"id": "   "}, ok(2)])
    out["duplicate_ids"] = hub([{"id": "good/m1", "downloads": 1}, ok(2), {"id": "good/m1", "downloads": 99}])
    out["unknown_relation"] = hub([ok(1), {"id": "good/m2", "base": ["good/m1"], "relation": "distilled"}])
    out["self_reference"] = hub([ok(1), {"id": "good/m2", "base": ["good/m2", "good/m1"], "relation": "merge"}])
    out["two_cycle"] = hub([{"id": "good/m1", "base": ["good/m2"], "relation": "finetune", "createdAt": D(2024, 1, 1)},
                            {"id": "good/m2", "base": ["good/m1"], "relation": "finetune", "createdAt": D(2024, 2, 1)}])
    out["three_cycle"] = hub([
        {"id": "good/m1", "base": ["good/m3"], "relation": "finetune", "createdAt": D(2024, 1, 1)},
        {"id": "good/m2", "base": ["good/m1"], "relation": "finetune", "createdAt": D(2024, 2, 1)},
        {"id": "good/m3", "base": ["good/m2"], "relation": "finetune", "createdAt": D(2024, 3, 1)}])
    out["absent_bases"] = hub([ok(1), {"id": "good/m2", "base": ["gone/x", "gone/y"], "relation": "merge"}])
    out["invalid_carddata"] = hub([{"id": "good/m1", "card": "{not json"}, {"id": "good/m2", "card": "[1, 2]"},
                                   {"id": "good/m3", "card": {"base_model": 7}}])
    out["hostile_ids"] = hub([{"id": i} for i in (
        "q/it's", 'q/"double"', "q/`tick`", "q/x'}) DETACH DELETE m //", "q/\u202eevil", "q/nul\x00byte",
        "q/emoji\U0001F600", "q/\x1b[2Jansi")])
    out["huge_id"] = hub([ok(1), {"id": "x" * 100_000}])
    out["huge_license_tag"] = hub([ok(1), {"id": "good/m2", "tags": ["license:" + "l" * 10_000]}])
    out["huge_base_id"] = hub([ok(1), {"id": "good/m2", "base": ["y" * 9_000, "good/m1"], "relation": "merge"}])
    instant = pa.array([D(2024, 2, 29, 12, 0, 0)], pa.timestamp("us"))
    out["timestamp_ms"] = pa.table({"id": ["good/m1"], "createdAt": instant.cast(pa.timestamp("ms"))})
    out["timestamp_ns_tokyo"] = pa.table({"id": ["good/m1"], "createdAt": instant.cast(pa.timestamp("ns")).cast(
        pa.timestamp("ns", tz="UTC")).cast(pa.timestamp("ns", tz="Asia/Tokyo"))})
    out["no_basemodels_column"] = pa.table({"id": ["good/m1", "good/m2"], "downloads": [1, 2]})
    out["control_characters"] = hub([ok(1), {"id": "good/\x07bell\x1b[31m", "base": ["good/m1"], "relation": "adapter"}])
    return out


def write(folder: Path = HERE) -> list[Path]:
    paths = []
    for name, content in files().items():
        if isinstance(content, bytes):
            path = folder / f"{name}.parquet"
            path.write_bytes(content)
        else:
            path = folder / f"{name}.parquet"
            pq.write_table(content, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write():
        print(p.name, p.stat().st_size)
