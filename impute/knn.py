"""kNN and hub imputation of a model attribute from the lineage graph (docs/graph.md and docs/imputation.md).

Distance is the hop count in the undirected lineage graph (every FINETUNE_OF, ADAPTER_OF,
QUANTIZATION_OF and MERGE_OF edge, either direction; ``:Missing`` placeholders are walked through
but hold no values). Candidates are models whose attribute is *declared*: the property itself,
never an imputed ``<prop>_imputed`` value. The model itself is never its own candidate.

Methods
-------
* ``knn``: the K nearest candidates (default 5). The search is breadth-first, one stored query
  (``impute_knn_level``) per distance, and stops after the first distance at which K candidates
  have been collected, so a model among 30,000 siblings reads its parent, then the sibling level
  once, and stops. A hub in the frontier is searched through the id index instead of being
  expanded (``walk_limits``). Categorical attributes are decided by majority vote, numeric ones
  by the mean.
* ``hub``: a vote (or mean) among *all* of the model's labelled siblings, the models sharing a
  direct base with it (seed 002, Table 1b). ``k`` is not used. A sibling is at distance 2, or 1
  when it is also linked to the model directly.

Tie-breaking (deterministic; each rule has a known-answer test)
----------------------------------------------------------------
1. Which neighbours: candidates are ordered by (distance, id) and the first K are used, so among
   equally distant candidates beyond K the smallest ids win. K=1 and K=3 use prefixes of the K=5
   list.
2. Which value wins a vote: the most votes; on a tie, the value whose nearest supporter is
   closest; then the smallest value (string order; number order for numbers).
3. Numeric attributes: the prediction is the mean of the neighbours' values; the *confidence* is
   the share of neighbours whose value lies within 10% of that mean (the numeric analogue of a
   vote share). Categorical: confidence is the winner's vote share.
4. No candidate reachable (no labelled model in the model's family, or no labelled sibling for
   ``hub``): the prediction and the confidence are ``None`` and ``neighbours`` is empty. That is an
   answer, not an error; an unknown model is an error (``ModelNotFound``).

Attributes
----------
``license``, ``pipeline_tag`` (property ``pipelineTag``), ``library_name`` (``libraryName``),
``model_type`` (``modelType``, the ``model_type`` of the ``config`` JSON) and ``relation_type``
(``relationType``, the relation of the model's declared base edges, e.g. ``finetune``) are
categorical. ``parameters``, ``downloads``, ``downloadsAllTime``, ``likes`` and
``trendingScore`` are numeric; so is any other model property whose values are numbers (checked
on a sample). Property names only ever reach Cypher as the parameter ``$prop`` of a dynamic
access ``m[$prop]``, after validation.

Stored values (``impute --all --write``)
----------------------------------------
``<prop>_imputed`` (the prediction), ``<prop>_imputed_method`` (``knn`` or ``hub``) and
``<prop>_imputed_confidence`` (0..1), e.g. ``license_imputed``. They are written only on models
(not placeholders) whose declared ``<prop>`` is null, so a declared value is never overwritten,
and never read back as a candidate. A model that already has ``<prop>_imputed_method`` is
skipped, so an interrupted run resumes where it stopped and a re-run writes nothing new. Models
for which no prediction exists get nothing written and are looked at again by a later run.

Evaluation
----------
Hiding declared values and scoring these predictions (seed 002, Table 1) is
``hflineage.impute.evaluate``; this module only predicts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from tqdm import tqdm

from ..store.db import Graph, model_count
from . import BATCH, DEFAULT_K, METHODS  # noqa: F401  (the package's public choices)
from ..store.properties import DERIVED_PROPERTIES
from ..store.errors import AttributeNotImputable, HFLineageError, ModelNotFound

# CLI name -> graph property, decided by majority vote
CATEGORICAL = {"license": "license", "pipeline_tag": "pipelineTag", "library_name": "libraryName",
               "model_type": "modelType", "relation_type": "relationType"}
# properties the loader always writes as numbers (or null), decided by the mean
KNOWN_NUMERIC = ("parameters", "downloads", "downloadsAllTime", "likes", "trendingScore")
# properties that are not attributes of a model's card: identity and values derived from the graph
NOT_ATTRIBUTES = ("id", *DERIVED_PROPERTIES.values())
IMPUTED_SUFFIXES = ("_imputed", "_imputed_method", "_imputed_confidence")

NUMERIC_TOLERANCE = 0.10  # a numeric neighbour "agrees" with the mean when within 10% of it
HUB_LISTED = 100  # labelled siblings listed by a hub imputation (all of them are tallied)
SAMPLE = 100  # values checked to accept an unlisted property as numeric

_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Attribute:
    name: str  # as asked, e.g. "pipeline_tag"
    prop: str  # the graph property, e.g. "pipelineTag"
    numeric: bool

    @property
    def stored(self) -> dict[str, str]:
        """The property names an imputation writes (``impute --all --write``)."""
        return {"value": f"{self.prop}_imputed", "method": f"{self.prop}_imputed_method",
                "confidence": f"{self.prop}_imputed_confidence"}


@dataclass(frozen=True)
class Neighbour:
    id: str
    distance: int
    value: Any

    def as_dict(self) -> dict:
        return {"id": self.id, "distance": self.distance, "value": self.value}


@dataclass(frozen=True)
class Tally:
    """Votes for one value: how many neighbours hold it and the distance of the nearest one."""

    value: Any
    votes: int
    nearest: int

    def as_dict(self) -> dict:
        return {"value": self.value, "votes": self.votes, "nearest": self.nearest}


@dataclass
class Imputation:
    id: str
    attribute: Attribute
    method: str
    k: int | None
    prediction: Any
    confidence: float | None
    neighbours: list[Neighbour]
    neighbours_total: int
    tallies: list[Tally] = field(default_factory=list)  # winner first; empty for numeric
    declared: Any = None
    imputed: Any = None  # the value stored by an earlier --write, if any

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "attribute": self.attribute.name,
            "property": self.attribute.prop,
            "method": self.method,
            "k": self.k,
            "prediction": self.prediction,
            "confidence": self.confidence,
            "votes": None if self.attribute.numeric else [t.as_dict() for t in self.tallies],
            "neighbours": [n.as_dict() for n in self.neighbours],
            "neighbours_total": self.neighbours_total,
            "declared": self.declared,
            "imputed": self.imputed,
        }


# --- attributes ------------------------------------------------------------------------------


def resolve_attribute(graph: Graph, name: str) -> Attribute:
    """The attribute behind a CLI name or property name; AttributeNotImputable when there is none."""
    if name in CATEGORICAL:
        return Attribute(name, CATEGORICAL[name], numeric=False)
    if name in CATEGORICAL.values():
        return Attribute(name, name, numeric=False)
    if name in KNOWN_NUMERIC:
        return Attribute(name, name, numeric=True)
    usage = ("use license, pipeline_tag, library_name, model_type, relation_type or a numeric model property such as "
             + ", ".join(KNOWN_NUMERIC))
    if not _PROPERTY_NAME.match(name) or name.endswith(IMPUTED_SUFFIXES):
        raise AttributeNotImputable(f"unknown attribute '{name}'", hint=usage)
    if name in NOT_ATTRIBUTES:
        raise AttributeNotImputable(f"'{name}' is derived from the graph, not an attribute to impute", hint=usage)
    keys = {row["key"] for row in graph.read("impute_property_keys")}
    if name not in keys:
        raise AttributeNotImputable(f"unknown attribute '{name}': no model has this property", hint=usage)
    values = [row["value"] for row in graph.read("impute_attribute_sample", prop=name, limit=SAMPLE)]
    if not values:
        raise AttributeNotImputable(f"unknown attribute '{name}': no model has this property", hint=usage)
    if not all(_is_number(v) for v in values):
        raise AttributeNotImputable(f"attribute '{name}' is not numeric", hint=usage)
    return Attribute(name, name, numeric=True)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- deciding a value ------------------------------------------------------------------------


def tally(neighbours: Iterable[Neighbour]) -> list[Tally]:
    """Votes per value with the distance of each value's nearest supporter, unordered."""
    votes: Counter = Counter()
    nearest: dict[Any, int] = {}
    for n in neighbours:
        votes[n.value] += 1
        nearest[n.value] = min(nearest.get(n.value, n.distance), n.distance)
    return [Tally(v, votes[v], nearest[v]) for v in votes]


def rank(tallies: Iterable[Tally]) -> list[Tally]:
    """Winner first: most votes, then the closest nearest supporter, then the smallest value."""
    return sorted(tallies, key=lambda t: (-t.votes, t.nearest, _order_key(t.value)))


def _order_key(value):
    """Numbers before strings, each in its natural order (a vote never mixes them in practice)."""
    return (0, value, "") if _is_number(value) else (1, 0, str(value))


def decide(tallies: list[Tally], numeric: bool) -> tuple[Any, float | None, list[Tally]]:
    """(prediction, confidence, ranked tallies) from the votes; (None, None, []) without votes."""
    total = sum(t.votes for t in tallies)
    if total == 0:
        return None, None, []
    if numeric:
        for t in tallies:
            if not _is_number(t.value):
                raise AttributeNotImputable(f"a neighbour holds the non-numeric value {t.value!r}; "
                                            "this attribute cannot be averaged")
        mean = sum(t.value * t.votes for t in tallies) / total
        close = sum(t.votes for t in tallies if abs(t.value - mean) <= NUMERIC_TOLERANCE * abs(mean))
        return mean, close / total, []
    ranked = rank(tallies)
    return ranked[0].value, ranked[0].votes / total, ranked


# --- the searches ----------------------------------------------------------------------------


@dataclass
class Search:
    """The labelled models a kNN search found, and whether it walked the model's whole family."""

    found: list[Neighbour]
    exhausted: bool
    visited: list[str]  # every id reached (the whole family when exhausted)


def nearest(graph: Graph, model_id: str, prop: str, k: int, hidden: list[str] | None = None,
            models: int | None = None) -> Search:
    """The k nearest labelled models, ordered by (distance, id); breadth-first, one query a level.

    Stops after the first level at which k labelled models have been collected; a level query
    then returns only the labelled ids it needs, never the whole level. ``models`` (the graph's
    model count, read when not given) sets when a frontier model is a hub, see ``walk_limits``.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if models is None:
        models = model_count(graph)
    found: list[Neighbour] = []
    previous: list[str] = []
    frontier = [model_id]
    visited = [model_id]
    distance = 0
    while frontier:
        distance += 1
        need = k - len(found)
        (row,) = graph.read("impute_knn_level", frontier=frontier, previous=previous, prop=prop,
                            hidden=hidden or [], need=need, **walk_limits(need, models))
        found += [Neighbour(item["id"], distance, item["value"]) for item in row["labelled"]]
        if len(found) >= k:
            return Search(found, exhausted=False, visited=visited)
        previous, frontier = frontier, row["next"]
        visited += frontier
    return Search(found, exhausted=True, visited=visited)


def walk_limits(need: int, models: int) -> dict[str, int]:
    """When ``impute_knn_level`` walks the id index instead of expanding a hub, and how far.

    Expanding a model of degree d reads d neighbours. Walking the id index in order and keeping
    the neighbours of the hub reads about need x models / (d x p) ids, p the labelled share,
    each with a look at its own few edges (~2x the cost of a neighbour read). With p ~ 1/2 the
    walk is the cheaper one from d^2 >= 4 x need x models: 7,100 edges for 2.5M models and
    need 5, 1,400 for 100k. The walk gives up after 10 x sqrt(need x models) ids (35,000 at
    2.5M), about the cost of expanding a hub at the threshold five times over, and the hub is
    then expanded after all: the answer is the same either way, only its cost differs.
    """
    return {"hub_degree": max(1, math.ceil(math.sqrt(4 * need * models))),
            "scan": max(1, math.ceil(10 * math.sqrt(need * models)))}


def siblings(graph: Graph, model_id: str, prop: str, hidden: list[str] | None = None,
             listed: int = HUB_LISTED) -> tuple[list[Tally], list[Neighbour], int]:
    """(tallies, the first ``listed`` labelled siblings by (distance, id), labelled count)."""
    (row,) = graph.read("impute_hub", model_id=model_id, prop=prop, hidden=hidden or [], limit=listed)
    tallies = [Tally(t["value"], t["votes"], t["nearest"]) for t in row["tally"]]
    listed_ = [Neighbour(n["id"], n["distance"], n["value"]) for n in row["neighbours"]]
    return tallies, listed_, row["total"]


class Imputer:
    """Predicts one attribute for model after model, with one method.

    Remembers, per run, families that hold fewer than k labelled models (learnt when a search
    walks a whole family): their other members then search for only as many as exist, or not at
    all when there are none, instead of walking the whole family again each time.
    """

    def __init__(self, graph: Graph, attribute: Attribute, method: str = "knn", k: int = DEFAULT_K):
        if method not in METHODS:
            raise HFLineageError(f"unknown method '{method}' (use knn or hub)")
        if k < 1:
            raise HFLineageError("k must be at least 1")
        self.graph = graph
        self.attribute = attribute
        self.method = method
        self.k = k
        self._labelled_in_family: dict[str, int] = {}
        self._models: int | None = None

    def knn(self, model_id: str, hidden: list[str] | None = None) -> list[Neighbour]:
        """The k nearest labelled models of ``model_id`` (fewer when its family has fewer)."""
        k = min(self.k, self._labelled_in_family.get(model_id, self.k))
        if k == 0:
            return []
        if self._models is None:  # one count per run: it only sets how hubs are searched
            self._models = model_count(self.graph)
        search = nearest(self.graph, model_id, self.attribute.prop, k, hidden, models=self._models)
        if search.exhausted:
            for member in search.visited:
                self._labelled_in_family[member] = len(search.found)
        return search.found

    def predict(self, model_id: str, hidden: list[str] | None = None) -> Imputation:
        """The imputation of ``model_id`` (which must exist; ``impute`` checks that)."""
        if self.method == "hub":
            tallies, listed, total = siblings(self.graph, model_id, self.attribute.prop, hidden)
            prediction, confidence, ranked = decide(tallies, self.attribute.numeric)
            return Imputation(model_id, self.attribute, "hub", None, prediction, confidence, listed, total, ranked)
        found = self.knn(model_id, hidden)
        return self.from_neighbours(model_id, found)

    def from_neighbours(self, model_id: str, found: list[Neighbour]) -> Imputation:
        prediction, confidence, ranked = decide(tally(found), self.attribute.numeric)
        return Imputation(model_id, self.attribute, "knn", self.k, prediction, confidence, found, len(found), ranked)


def impute(graph: Graph, model_id: str, attribute: str, k: int = DEFAULT_K, method: str = "knn") -> Imputation:
    """Predict ``attribute`` for one model (``hflineage impute MODEL``)."""
    attr = resolve_attribute(graph, attribute)
    imputer = Imputer(graph, attr, method, k)
    rows = graph.read("impute_model", model_id=model_id, prop=attr.prop)
    if not rows:
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    result = imputer.predict(model_id)
    result.declared, result.imputed = rows[0]["declared"], rows[0]["imputed"]
    return result


# --- impute --all --write --------------------------------------------------------------------


def impute_all(graph: Graph, attribute: str, method: str = "knn", k: int = DEFAULT_K,
               batch_size: int = BATCH, progress: bool = False) -> dict:
    """Impute and store ``attribute`` for every model that lacks it; resumable (see module doc)."""
    attr = resolve_attribute(graph, attribute)
    imputer = Imputer(graph, attr, method, k)
    (counts,) = graph.read("impute_todo_count", prop=attr.prop)
    written = no_prediction = 0
    bar = tqdm(total=counts["todo"], unit="models", desc=f"impute {attr.prop}", disable=not progress,
               dynamic_ncols=True)
    after = ""
    try:
        while True:
            ids = [r["id"] for r in graph.read("impute_todo", prop=attr.prop, after=after, limit=batch_size)]
            if not ids:
                break
            rows = []
            for model_id in ids:
                result = imputer.predict(model_id)
                if result.prediction is None:
                    no_prediction += 1
                else:
                    rows.append({"id": model_id, "value": result.prediction, "method": result.method,
                                 "confidence": result.confidence})
            if rows:
                (done,) = graph.write("impute_write", prop=attr.prop, rows=rows)
                written += done["written"]
            after = ids[-1]
            bar.update(len(ids))
    finally:
        bar.close()
    return {
        "attribute": attr.name,
        "property": attr.prop,
        "method": method,
        "k": k if method == "knn" else None,
        "lacking": counts["lacking"],
        "already_imputed": counts["already_imputed"],
        "isolated": counts["isolated"],
        "considered": counts["todo"],
        "imputed": written,
        "no_prediction": no_prediction,
        "stored_as": attr.stored,
    }
