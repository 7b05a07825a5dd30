"""Typed results: what every question the library answers returns.

A result is a dataclass whose fields are the keys of the JSON document the CLI prints with
``--format json`` (a key that is a Python keyword, ``class``, is the field ``license_class``).
``to_dict()`` returns exactly that document; ``to_pandas()`` gives the result's main rows as a
DataFrame, and results with several tables expose each as a named ``*_frame`` property.
Numbers stay numbers in the fields; only JSON's own limits (string keys) show in ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every nested Result turned into its dict (lists and dicts walked)."""
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def frame(records: list[dict], columns: list[str] | None = None):
    """A DataFrame of ``records`` (pandas is imported here, so the CLI never pays for it)."""
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=columns)


def roles_frame(models: dict | None):
    """``{role: [ids]}`` as a DataFrame of (id, role) rows (an impact's ``--list``)."""
    return frame([{"id": i, "role": role} for role, ids in (models or {}).items() for i in ids], ["id", "role"])


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def keyword(name: str, **kw):
    """A field stored under a JSON key that is a Python keyword (``class``)."""
    return field(metadata={"key": name}, **kw)


@dataclass
class Result:
    """Base class. Build one from the library's document with ``from_dict``; keys a subclass does
    not name are kept (and printed) as they came, so a new key never breaks the API."""

    def __post_init__(self):
        self._keys: list[str] | None = None
        self._extra: dict = {}

    @classmethod
    def from_dict(cls, doc: dict):
        by_key = {_key(f): f for f in dataclasses.fields(cls)}
        obj = cls(**{by_key[k].name: v for k, v in doc.items() if k in by_key})
        obj._keys = list(doc)
        obj._extra = {k: v for k, v in doc.items() if k not in by_key}
        return obj

    @property
    def extra(self) -> dict:
        """Keys of the document this class does not name as fields."""
        return self._extra

    def to_dict(self) -> dict:
        by_key = {_key(f): f.name for f in dataclasses.fields(self)}
        keys = self._keys if self._keys is not None else list(by_key)
        return {k: plain(getattr(self, by_key[k]) if k in by_key else self._extra[k]) for k in keys}

    def to_pandas(self):
        """The result's main rows as a DataFrame (one row of its scalar fields by default)."""
        return frame([{k: v for k, v in self.to_dict().items() if not isinstance(v, (list, dict))}])


# --- lineage -----------------------------------------------------------------------------------

@dataclass
class Show(Result):
    """``show``: a model, its bases, its model tree (children by relation) and subtree figures."""

    id: str
    license: str | None
    parents: list[dict]  # {id, relation, declared, missing}
    children: dict  # {adapter, finetune, quantized, merge}: direct children, zeros included
    descendants: int
    subtree_downloads: int
    subtree_downloads_all_time: int
    depth: int
    missing: bool
    properties: dict
    # history from snapshot loads (null without them): the first and latest snapshot holding
    # the model, the one it was deleted by, and what it last was
    first_seen: str | None = None
    last_seen: str | None = None
    deleted_at: str | None = None
    last_bases: list | None = None  # [{id, relation}]
    last_properties: dict | None = None
    suspected_bases: list = field(default_factory=list)  # [{id, score, relation, evidence}], best first
    datasets: list = field(default_factory=list)  # [{id, license}] of its TRAINED_ON edges, by id
    newer_version: str | None = None  # cardData.new_version as loaded
    latest: str | None = None  # the end of its SUPERSEDED_BY walk (None: no successor)

    def to_pandas(self):
        """The bases, one row each."""
        return frame(self.parents, ["id", "relation", "declared", "missing"])


@dataclass
class Descendants(Result):
    """``descendants``: every model deriving from a model, once each, most downloaded first."""

    id: str
    descendants: list[dict]  # {id, distance, relation, downloads, downloads_all_time, likes, license, pipeline_tag, depth}

    COLUMNS = ["id", "distance", "relation", "downloads", "downloads_all_time", "likes", "license",
               "pipeline_tag", "depth"]

    def to_pandas(self):
        """One row per descendant, most downloaded first."""
        return frame(self.descendants, self.COLUMNS)


@dataclass
class Chain(Result):
    """``chain``: depth, the longest path from the model up to a root, every root reached."""

    id: str
    depth: int
    path: list[dict]  # {id, relation}: from the model to a root; relation null on the root
    roots: list[str]

    def to_pandas(self):
        """The path, one hop a row (the model first, the root last)."""
        return frame(self.path, ["id", "relation"])


@dataclass
class Impact(Result):
    """``impact``: what deleting a set of models breaks (SPEC "deletion impact of a set D")."""

    deleted: list[str]
    unknown: list[str]
    affected_derived: int
    affected_downstream: int
    orphaned: int
    merges_losing_parent: int
    downstream_downloads: int
    downstream_downloads_all_time: int
    disrupted_chains: int
    families_touched: int
    models: dict | None = None  # with the list: {affected_derived, affected_downstream, orphaned, ...}

    @property
    def models_frame(self):
        """With the list: one row per (id, role); roles as the keys of ``models``."""
        return roles_frame(self.models)


@dataclass
class Dataset(Result):
    """``dataset``: one dataset, the models trained on it and their reach (docs/datasets.md)."""

    id: str
    license: str | None
    properties: dict
    trained: list[dict]  # {id, license, downloads}, most downloaded first
    downstream: int
    downloads: int
    downloads_all_time: int
    families: int

    def to_pandas(self):
        """The models trained on the dataset, one row each."""
        return frame(self.trained, ["id", "license", "downloads"])


@dataclass
class DatasetImpact(Result):
    """``impact --dataset``: what withdrawing a set of datasets reaches (docs/datasets.md)."""

    datasets: list[str]
    unknown: list[str]
    trained: int
    downstream: int
    downloads: int
    downloads_all_time: int
    families_touched: int
    models: dict | None = None  # with the list: {trained, downstream}

    @property
    def models_frame(self):
        """With the list: one row per (id, role), roles ``trained`` and ``downstream``."""
        return roles_frame(self.models)


@dataclass
class Stats(Result):
    """``stats``: the supply-chain study's tables over the whole graph."""

    relation_mix: dict
    models: int
    isolated_models: int
    families: int
    chains: int
    depth_histogram: dict  # {depth: models}
    depth_histogram_by_pipeline_tag: dict  # {pipeline_tag: {depth: models}}, largest tag first
    chain_length: dict
    top_chains: list[dict]
    top_in_degree: list[dict]
    top_out_degree: list[dict]
    top_families: list[dict]
    # {finetune, adapter, quantized, merge, none, all}: {models, with_datasets, share}
    datasets_by_relation: dict = field(default_factory=dict)
    top_datasets: list[dict] = field(default_factory=list)  # {id, license, trained}
    top_dataset_reach: list[dict] = field(default_factory=list)  # {id, license, trained, downstream, reach, downloads}

    @property
    def depth_frame(self):
        """Models by depth: index depth, column ``all`` then one column per pipeline tag."""
        import pandas as pd

        columns = {"all": self.depth_histogram, **self.depth_histogram_by_pipeline_tag}
        out = pd.DataFrame(columns).fillna(0).astype("int64").sort_index()
        out.index.name = "depth"
        return out

    @property
    def relation_mix_frame(self):
        return frame([{"relation": k, **v} for k, v in self.relation_mix.items()])

    @property
    def chain_length_frame(self):
        return frame([{"length": k, **v} for k, v in self.chain_length.items()])

    @property
    def top_families_frame(self):
        return frame(self.top_families)

    @property
    def top_chains_frame(self):
        return frame(self.top_chains)

    @property
    def datasets_by_relation_frame(self):
        return frame([{"relation": k, **v} for k, v in self.datasets_by_relation.items()],
                     ["relation", "models", "with_datasets", "share"])

    @property
    def top_datasets_frame(self):
        return frame(self.top_datasets, ["id", "license", "trained"])

    @property
    def top_dataset_reach_frame(self):
        return frame(self.top_dataset_reach, ["id", "license", "trained", "downstream", "reach", "downloads"])

    def to_pandas(self):
        """The depth histogram (see ``depth_frame``)."""
        return self.depth_frame


# --- licenses ----------------------------------------------------------------------------------

@dataclass
class Licensed(Result):
    """A model's declared license as the policy resolves it (the first keys of ``license`` and
    ``license downstream``)."""

    id: str
    license: str | None
    license_name: str | None
    terms: str | None
    license_class: str | None = keyword("class")
    spdx: str | None = None
    obligations: list[str] = field(default_factory=list)


@dataclass
class License(Licensed):
    """``license MODEL``: declared and inherited licenses, effective obligations, conflicts, and
    the training data of the model and its ancestors with its findings."""

    missing: bool = False
    inherited: list[dict] = field(default_factory=list)
    effective: dict = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    training_data: list[dict] = field(default_factory=list)  # {dataset, license, class, distance, via}
    # {kind, dataset, dataset_license, dataset_license_name, dataset_terms, via, distance, severity,
    # dropped, reason, path}, worst first
    training_findings: list[dict] = field(default_factory=list)
    policy: str = ""

    def to_pandas(self):
        """The inherited licenses, one ancestor a row (path left out; see ``inherited``)."""
        return frame([{k: v for k, v in r.items() if k != "path"} for r in self.inherited])

    @property
    def conflicts_frame(self):
        return frame(self.conflicts)

    @property
    def training_frame(self):
        """The training data, one dataset a row (nearest first)."""
        return frame(self.training_data, ["dataset", "license", "class", "distance", "via"])


@dataclass
class LicenseAudit(Result):
    """``license audit``: one row per finding over a list of models (or all of them): a lineage
    conflict (``kind`` lineage: ancestor, ancestor_license, ...), a training-data finding (``kind``
    training-data: dataset, dataset_license, via, ...) or, with ``with_suspected``, an
    undeclared-lineage finding (ancestor, ..., suspected_base, score, evidence)."""

    checked: int
    unknown: list[str]
    fail_on: str
    counts: dict  # {high, medium, low, warning}
    failing: int  # rows at or above fail_on
    conflicts: list[dict]
    policy: str

    def to_pandas(self):
        """The findings, one row each, worst first (suspected_base, score and evidence too when an
        undeclared-lineage finding is among them)."""
        columns = ["model", "license", "kind", "ancestor", "ancestor_license", "ancestor_terms",
                   "dataset", "dataset_license", "dataset_terms", "via", "distance", "severity", "dropped", "reason"]
        if any("suspected_base" in r for r in self.conflicts):
            columns += ["suspected_base", "score", "evidence"]
        return frame(self.conflicts, columns)


@dataclass
class LicenseDrift(Result):
    """``license drift``: license change over every lineage edge, by kind of change, by class pair
    and the ``top`` license pairs, each with its share of the edges and its conflict share."""

    edges: int
    missing_base_edges: int
    conflicts: int
    by_change: list[dict]
    by_class: list[dict]
    by_license: list[dict]
    top: int
    policy: str
    policy_sha256: str | None = None

    def to_pandas(self):
        """The top license pairs (base -> derived), most edges first."""
        return frame(self.by_license)

    @property
    def class_frame(self):
        return frame(self.by_class)

    @property
    def change_frame(self):
        return frame(self.by_change)


@dataclass
class LicenseDownstream(Licensed):
    """``license downstream MODEL``: descendants bound by the model's license, and conflicts."""

    binds: list[str] = field(default_factory=list)
    descendants: int = 0
    bound: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    policy: str = ""

    def to_pandas(self):
        """The bound descendants, one row each."""
        return frame(self.bound)


# --- imputation --------------------------------------------------------------------------------

@dataclass
class Imputed(Result):
    """``impute MODEL``: the prediction for one model, its votes and the neighbours used."""

    id: str
    attribute: str
    property: str
    method: str
    k: int | None
    prediction: Any
    confidence: float | None
    votes: list[dict] | None
    neighbours: list[dict]
    neighbours_total: int
    declared: Any
    imputed: Any

    def to_pandas(self):
        """The neighbours used, nearest first."""
        return frame(self.neighbours, ["id", "distance", "value"])


@dataclass
class ImputeAll(Result):
    """``impute --all``: what a batch imputation wrote."""

    attribute: str
    property: str
    method: str
    k: int | None


@dataclass
class Evaluation(Result):
    """``impute evaluate``: hidden declared values predicted by each method, scored."""

    attribute: str
    property: str
    metric: str
    holdout: float
    seed: int
    declared: int
    hidden: int
    scores: dict
    coverage: dict
    hub_population: dict | None = None  # categorical: {definition, hidden, share, scores, coverage}
    regression: dict | None = None  # numeric: {scale, definition, hidden, share, methods}

    def to_pandas(self):
        """One row per method: its score and coverage (the all-declared view)."""
        return frame([{"method": m, "score": self.scores[m], "coverage": self.coverage.get(m)} for m in self.scores])

    @property
    def regression_frame(self):
        """Table 1a's rows: one per method with mse, mae and correlation (empty for a category)."""
        methods = (self.regression or {}).get("methods", {})
        return frame([{"method": m, **v} for m, v in methods.items()], ["method", "mse", "mae", "correlation"])


@dataclass
class Table1(Result):
    """``impute evaluate --table1``: seed 002's Table 1b and 1a, the paper's figures beside ours."""

    holdout: float
    seed: int
    table1b: list[dict]  # a row per attribute
    table1a: list[dict]  # a row per (attribute, method)
    absent: list[str]  # attributes no model declares
    paper_1a_metric: str
    evaluations: dict  # attribute -> its evaluation document

    def to_pandas(self):
        return self.table1b_frame

    @property
    def table1b_frame(self):
        return frame(self.table1b)

    @property
    def table1a_frame(self):
        return frame(self.table1a)
