"""Give a synthetic hub-stats dump training datasets and successors, as the real rows have them.

    python bench/add_datasets.py IN.parquet OUT.parquet [--week K] [--share 0.25] [--seed S]

The synthetic generator (../shared/tools/synth_hubstats.py) writes neither ``cardData.datasets``
nor ``cardData.new_version``. This adds both, to the rates of the real sample
(../shared/data/hub_stats_sample.parquet: 1,052 of 4,167 rows name datasets, 2.9 ids each on
average, mirrored in ``dataset:<id>`` tags; 79 rows name a new_version):

* a model names datasets when a hash of its id falls under ``--share``; it names 1-8 of them
  (geometric, mean ~2.9), drawn from a pool of one dataset per model with Zipf-Mandelbrot
  popularity ((rank + 5)^-0.95): on 4,167 rows that gives the sample's head (the top dataset
  2.4% of the edges, the top 25 a quarter) and a long tail named once; at 2.5M models the top
  dataset is named by ~16,000 models. The draw
  depends on the id alone, so a model keeps its datasets from one weekly snapshot to the next;
* a model names a new_version from week ``first(id)`` on (about 2% of models in week 0, and a
  fraction of a percent more each week: ``changes`` counts the gains), pointing to the next id of
  the file in sorted order; one in 25 of those points to itself, one in 25 to an absent id.

Every snapshot of a sequence must get the same ``--seed``; ``--week`` is its position.
``--none`` writes the file without any of it instead (the generator's own few ``dataset:`` tags
removed too): the baseline a benchmark compares with.
"""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def _unit(ids: list[str], salt: str) -> np.ndarray:
    """A uniform number in [0, 1) per id, from the id alone (a CRC would correlate the salts)."""
    return np.array([_hash(f"{salt}:{i}") for i in ids], np.float64) / 2**64


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def strip(table: pa.Table) -> pa.Table:
    """The table without dataset: tags (the generator writes a few) and without card datasets or
    new_version (it writes none)."""
    tags = table["tags"].to_pylist()
    tags = [None if t is None else [x for x in t if not x.startswith("dataset:")] for t in tags]
    return table.set_column(table.column_names.index("tags"), "tags",
                            pa.array(tags, pa.list_(pa.string())).cast(table.schema.field("tags").type))


def add(table: pa.Table, week: int = 0, share: float = 0.25, seed: int = 0) -> pa.Table:
    ids = table["id"].to_pylist()
    n = len(ids)
    pool = max(50, n)
    ranks = np.arange(1, pool + 1, dtype=np.float64)
    popularity = np.cumsum((ranks + 5) ** -0.95)
    popularity /= popularity[-1]
    names = [f"data-org-{k % 997}/corpus-{k}" for k in range(pool)]

    named = _unit(ids, f"{seed}:named") < share
    how_many = np.minimum(1 + np.floor(np.log(1 - _unit(ids, f"{seed}:count")) / np.log(0.65)), 8).astype(int)
    gain_at = _unit(ids, f"{seed}:gain")
    # ~2% name a successor in week 0, +0.3 points a week
    successor = gain_at < 0.02 + 0.003 * week
    order = np.argsort(np.array(ids, dtype=object))
    next_id = np.empty(n, dtype=object)
    next_id[order[:-1]] = np.array(ids, dtype=object)[order[1:]]
    next_id[order[-1:]] = None
    odd = _unit(ids, f"{seed}:odd")

    tags = table["tags"].to_pylist() if "tags" in table.column_names else [None] * n
    cards = table["cardData"].to_pylist() if "cardData" in table.column_names else [None] * n
    for i in np.flatnonzero(named | successor).tolist():
        try:
            card = json.loads(cards[i]) if cards[i] else {}
        except ValueError:
            card = {}
        if not isinstance(card, dict):
            card = {}
        if named[i]:
            rng = np.random.default_rng(_hash(f"{seed}:draw:{ids[i]}"))
            chosen = sorted({names[int(j)] for j in np.searchsorted(popularity, rng.random(how_many[i]))})
            card["datasets"] = chosen
            tags[i] = [t for t in (tags[i] or []) if not t.startswith("dataset:")] + [f"dataset:{d}" for d in chosen]
        if successor[i]:
            if odd[i] < 0.04:
                card["new_version"] = ids[i]
            elif odd[i] < 0.08 or next_id[i] is None:
                card["new_version"] = f"gone-org/removed-{i}"
            else:
                card["new_version"] = next_id[i]
        cards[i] = json.dumps(card)
    out = table
    for name, values, typ in (("tags", tags, pa.list_(pa.string())), ("cardData", cards, pa.string())):
        column = pa.array(values, typ)
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, column.cast(out.schema.field(name).type))
        else:
            out = out.append_column(name, column)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--week", type=int, default=0)
    parser.add_argument("--share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--none", action="store_true", help="no datasets and no successors at all")
    args = parser.parse_args()
    table = pq.read_table(args.source)
    out = strip(table) if args.none else add(table, args.week, args.share, args.seed)
    pq.write_table(out, args.target)
    named = pc.sum(pc.match_substring(out["cardData"], '"datasets"')).as_py() or 0
    print(f"{args.target}: {out.num_rows:,} models, {named:,} naming datasets")


if __name__ == "__main__":
    main()
