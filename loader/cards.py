"""What a row says beside its bases: the datasets it was trained on and the model that succeeds it.

``datasets``: every distinct, valid id of ``cardData.datasets`` (a string or a list of strings)
and of the ``dataset:<id>`` tags, sorted; null when there is none. ``newVersion``: the id in
``cardData.new_version``, or null. The card is text uploaders wrote: it is parsed only where it
names one of the two keys, never past MAX_CARD characters, and every value that is not a usable
id is counted by reason (the load report's ``dropped_links``) and left out, never the row.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_DATASETS = 256  # a longer list is no model's training data: the whole field is dropped
MAX_CARD = 1_000_000  # characters; a longer card is not parsed for these keys (its tags still count)
MAX_ID = 256  # characters: Hub ids are a 96-character name under a namespace
# a Hub repository id: an optional namespace and a name, of letters, digits, "-", "_" and "."
VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.\-]+)?\Z")
DATASET_TAG = "dataset:"


def why_invalid(value) -> str | None:
    """None for a usable dataset or model id, else the reason it is dropped."""
    if not isinstance(value, str):
        return "not_a_string"
    if len(value) > MAX_ID:
        return "id_too_long"
    if not VALID_ID.match(value):
        return "id_malformed"  # spaces, URLs, control characters, empty
    return None


def links(tags: pa.Array | None, card: pa.Array, n: int, valid: np.ndarray, dropped: Counter
          ) -> tuple[pa.Array, pa.Array]:
    """Per row: ``datasets`` (list<string>, null when none) and ``newVersion`` (string or null).

    ``valid``: rows that are written (others are not looked at); ``dropped`` receives
    ``dataset_<reason>`` per dropped id, ``datasets_not_a_list``, ``datasets_too_many``,
    ``new_version_<reason>`` and ``card_too_large`` per row."""
    found: list[set | None] = [None] * n
    if tags is not None and n:
        flat = pc.list_flatten(tags)
        parents = pc.list_parent_indices(tags)
        hit = pc.fill_null(pc.starts_with(flat, DATASET_TAG), False)
        values = pc.utf8_slice_codeunits(flat.filter(hit), len(DATASET_TAG)).to_pylist()
        for row, value in zip(parents.filter(hit).to_pylist(), values):
            if valid[row]:
                _add(found, row, value, dropped)
    new_version = np.full(n, None, dtype=object)
    named = pc.or_(pc.match_substring(card, '"datasets"'), pc.match_substring(card, '"new_version"'))
    rows = np.flatnonzero(pc.fill_null(named, False).to_numpy(zero_copy_only=False) & valid)
    for row in rows.tolist():
        text = card[row].as_py()
        if len(text) > MAX_CARD:
            dropped["card_too_large"] += 1
            continue
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if not isinstance(parsed, dict):
            continue
        if "datasets" in parsed:
            _card_datasets(found, row, parsed["datasets"], dropped)
        if "new_version" in parsed and parsed["new_version"] is not None:
            value = parsed["new_version"]
            value = value.strip() if isinstance(value, str) else value
            reason = why_invalid(value)
            if reason is None:
                new_version[row] = value
            else:
                dropped[f"new_version_{reason}"] += 1
    datasets = pa.array([sorted(s) if s else None for s in found], pa.list_(pa.string()))
    return datasets, pa.array(new_version, pa.string())


def _card_datasets(found: list, row: int, value, dropped: Counter) -> None:
    if value is None:
        return
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        dropped["datasets_not_a_list"] += 1
        return
    if len(value) > MAX_DATASETS:
        dropped["datasets_too_many"] += 1
        return
    for item in value:
        _add(found, row, item.strip() if isinstance(item, str) else item, dropped)


def _add(found: list, row: int, value, dropped: Counter) -> None:
    reason = why_invalid(value)
    if reason is not None:
        dropped[f"dataset_{reason}"] += 1
        return
    if found[row] is None:
        found[row] = set()
    if len(found[row]) < MAX_DATASETS:
        found[row].add(value)
    elif value not in found[row]:
        dropped["datasets_too_many"] += 1
