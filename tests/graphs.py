"""Small graphs whose right answers were worked out by hand, shared by several test files
(rows for the ``make_parquet`` fixture: ``base`` and ``relation`` become ``baseModels``).
"""

from __future__ import annotations

import datetime as dt

D = dt.datetime


def merge_diamond():
    """R1, R2 roots; A finetune of R1; B merge of R1+R2; C merge of A+B; L1 finetune, L2 quantized
    of C; Q adapter of A; I isolated. Chains (root to leaf): R1-A-Q, R1-A-C-L1, R1-A-C-L2,
    R1-B-C-L1, R1-B-C-L2, R2-B-C-L1, R2-B-C-L2: 7, one of length 3 and six of length 4."""
    return [
        {"id": "t/R1", "downloads": 1000, "downloadsAllTime": 5000},
        {"id": "t/R2"},
        {"id": "t/A", "base": ["t/R1"], "relation": "finetune", "downloads": 1},
        {"id": "t/B", "base": ["t/R1", "t/R2"], "relation": "merge", "downloads": 2},
        {"id": "t/C", "base": ["t/A", "t/B"], "relation": "merge", "downloads": 10, "downloadsAllTime": 100},
        {"id": "t/L1", "base": ["t/C"], "relation": "finetune", "downloads": 20, "downloadsAllTime": 200},
        {"id": "t/L2", "base": ["t/C"], "relation": "quantized", "downloadsAllTime": 300},
        {"id": "t/Q", "base": ["t/A"], "relation": "adapter", "downloads": 5},
        {"id": "t/I"},
        {"id": "u/S"}, {"id": "u/T", "base": ["u/S"], "relation": "finetune"},
        {"id": "u/M", "base": ["ghost/base"], "relation": "finetune"},
    ]


def small_tree():
    """A(root) <- B finetune, C adapter; D quantized of B; E merge of B and C; F finetune of E."""
    return [
        {"id": "org/A", "tags": ["license:apache-2.0"], "downloads": 100, "createdAt": D(2023, 1, 1)},
        {"id": "org/B", "base": ["org/A"], "relation": "finetune", "downloads": 10, "createdAt": D(2023, 2, 1)},
        {"id": "org/C", "base": ["org/A"], "relation": "adapter", "downloads": 5},
        {"id": "org/D", "base": ["org/B"], "relation": "quantized", "downloads": 1},
        {"id": "org/E", "base": ["org/B", "org/C"], "relation": "merge", "downloads": 0},
        {"id": "org/F", "base": ["org/E"], "relation": "finetune", "downloads": None},
    ]


def lic(license_id: str) -> list[str]:
    return [f"license:{license_id}"]


def license_diamond():
    """base/llama (llama3) and base/nc (cc-by-nc-4.0) roots; org/ft finetunes llama; org/merge
    merges ft and nc (apache-2.0: drops both); org/diamond merges ft and llama itself."""
    return [
        {"id": "base/llama", "tags": lic("llama3"), "pipeline_tag": "text-generation", "library_name": "transformers",
         "downloads": 1234, "createdAt": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)},
        {"id": "base/nc", "tags": lic("cc-by-nc-4.0")},
        {"id": "org/ft", "base": ["base/llama"], "relation": "finetune", "tags": lic("llama3.1")},
        {"id": "org/merge", "base": ["org/ft", "base/nc"], "relation": "merge", "tags": lic("apache-2.0"),
         "pipeline_tag": "text-generation", "downloads": 7},
        {"id": "org/diamond", "base": ["org/ft", "base/llama"], "relation": "merge", "tags": lic("llama3")},
    ]


FAMILY = [
    {"id": "org/root", "downloads": 1000, "tags": ["license:apache-2.0"]},
    {"id": "a/ft1", "downloads": 500, "base": ["org/root"], "relation": "finetune", "tags": ["license:mit"]},
    {"id": "a/ft2", "downloads": 10, "base": ["org/root"], "relation": "finetune"},
    {"id": "a/q1", "downloads": 5, "base": ["a/ft1"], "relation": "quantized"},
    {"id": "a/m1", "downloads": 50, "base": ["a/ft1", "ghost/base"], "relation": "merge"},
    {"id": "a/ad1", "downloads": 300, "base": ["a/ft2"], "relation": "adapter"},
    {"id": "a/ad2", "downloads": 1, "base": ["a/ft2"], "relation": "adapter"},
    {"id": "a/deep", "downloads": 7, "base": ["a/m1"], "relation": "finetune"},
    {"id": "x/other", "downloads": 99},
]


P_DATE, N_DATE, N2_DATE = "2025-01-01", "2025-01-08", "2025-01-15"


def week_p() -> list[dict]:
    """P: A <- B, C, L, D (finetunes); M merge of B and K; S adapter of R; isolated P1, P2, I, J."""
    t = D(2024, 6, 1)
    return [
        {"id": "org/A", "lastModified": t, "downloads": 100},
        {"id": "u/B", "base": ["org/A"], "relation": "finetune", "lastModified": t, "downloads": 3},
        {"id": "u/C", "base": ["org/A"], "relation": "finetune", "lastModified": t},
        {"id": "org/K", "lastModified": t},
        {"id": "u/M", "base": ["u/B", "org/K"], "relation": "merge", "lastModified": t,
         "downloads": 7, "downloadsAllTime": 70},
        {"id": "u/L", "base": ["org/A"], "relation": "finetune", "lastModified": t},
        {"id": "u/D", "base": ["org/A"], "relation": "finetune", "lastModified": t},
        {"id": "fam/R", "lastModified": t, "tags": ["license:mit"]},
        {"id": "fam/S", "base": ["fam/R"], "relation": "adapter", "lastModified": t, "downloads": 5},
        {"id": "cyc/P1", "createdAt": D(2023, 1, 1), "lastModified": t},
        {"id": "cyc/P2", "createdAt": D(2023, 6, 1), "lastModified": t},
        {"id": "iso/I", "lastModified": t},
        {"id": "iso/J", "lastModified": t},
    ]


def week_n() -> list[dict]:
    """N: B, R, S, I deleted (B stays M's base); C updated; D rebased onto K as adapter; L2
    extends the old leaf L; New <- NewFt a new family; Add isolated; P1 and P2 name each other
    (a cycle: the edge P1 -> P2, whose base is newer, is dropped)."""
    rows = {r["id"]: r for r in week_p()}
    for gone in ("u/B", "fam/R", "fam/S", "iso/I"):
        del rows[gone]
    t2 = D(2025, 1, 5)
    rows["u/C"] = {**rows["u/C"], "lastModified": t2}
    rows["u/D"] = {**rows["u/D"], "base": ["org/K"], "relation": "adapter"}
    rows["cyc/P1"] = {**rows["cyc/P1"], "base": ["cyc/P2"], "relation": "finetune"}
    rows["cyc/P2"] = {**rows["cyc/P2"], "base": ["cyc/P1"], "relation": "finetune"}
    new = [{"id": "u/L2", "base": ["u/L"], "relation": "finetune", "lastModified": t2},
           {"id": "org/New", "lastModified": t2},
           {"id": "u/NewFt", "base": ["org/New"], "relation": "finetune", "lastModified": t2},
           {"id": "iso/Add", "lastModified": t2}]
    return [*rows.values(), *new]


def trained_lineage():
    """Models naming training datasets (card ``datasets``, a list or a string, and ``dataset:``
    tags). base/a {d/one, d/shared} and base/b {d/nc} roots; org/ft finetunes base/a {d/shared,
    d/two}; org/m merges org/ft and base/b {d/own}; org/other adapts base/a {d/two}; org/q
    quantizes org/m, org/leaf finetunes org/q (no datasets); u/g quantizes ghost/x (a
    placeholder) {d/one}; y/card's base comes from its card only (an inferred finetune) {d/two};
    x/solo stands alone. Licenses of the datasets: DATASET_LICENSES (d/own is never described).

    Relation classes (placeholder left out): none 3 (2 with datasets), finetune 3 (2: org/ft,
    y/card), adapter 1 (1), quantized 2 (1: u/g), merge 1 (1); all 10 (7).
    Models trained: d/two 3, d/one 2, d/shared 2, d/nc 1, d/own 1. Reach (trained + their
    descendants, each once): d/one 7 (base/a, u/g + org/ft, org/other, org/m, org/q, org/leaf),
    d/shared 6, d/two 6 (+ org/m, org/q, org/leaf), d/nc 5 (base/b + org/m, org/q, org/leaf,
    y/card), d/own 3."""
    return [
        {"id": "base/a", "tags": lic("apache-2.0") + ["dataset:d/one"], "card": {"datasets": ["d/shared", "d/one"]},
         "downloads": 100},
        {"id": "base/b", "card": {"datasets": "d/nc"}, "downloads": 50},
        {"id": "org/ft", "base": ["base/a"], "relation": "finetune", "tags": ["dataset:d/shared"],
         "card": {"datasets": ["d/two"]}, "downloads": 10},
        {"id": "org/m", "base": ["org/ft", "base/b"], "relation": "merge", "tags": lic("mit"),
         "card": {"datasets": ["d/own"]}, "downloads": 1000},
        {"id": "org/other", "base": ["base/a"], "relation": "adapter", "card": {"datasets": ["d/two"]}, "downloads": 20},
        {"id": "org/q", "base": ["org/m"], "relation": "quantized"},
        {"id": "org/leaf", "base": ["org/q"], "relation": "finetune", "downloads": 5},
        {"id": "u/g", "base": ["ghost/x"], "relation": "quantized", "card": {"datasets": ["d/one"]}, "downloads": 7},
        {"id": "y/card", "card": {"base_model": "base/b", "datasets": ["d/two"]}, "downloads": 3},
        {"id": "x/solo"},
    ]


# made-up licenses of trained_lineage's datasets, for the make_datasets fixture
DATASET_LICENSES = {"d/one": "mit", "d/shared": "apache-2.0", "d/two": "cc-by-nc-4.0",
                    "d/nc": ("other", "nc-research-terms")}


def load_trained(graph, make_parquet, make_datasets) -> None:
    """Load trained_lineage and its datasets file (the fixtures of the same names)."""
    from hflineage.loader.datasets_file import load_datasets
    from hflineage.loader.load import load

    load(graph, make_parquet(trained_lineage()), progress=False)
    load_datasets(graph, make_datasets(DATASET_LICENSES), progress=False)
