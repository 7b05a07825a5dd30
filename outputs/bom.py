"""A CycloneDX ML-BOM for Hugging Face models, carrying their true lineage and the licenses along it.

Each model asked for is a top-level ``machine-learning-model`` component. Its ancestry is in
``pedigree.ancestors`` (every ancestor once, with its declared license and the relation by which
the lineage reaches it) and the lineage DAG itself (a merge has several bases) is in the BOM's
``dependencies``: ``ref`` depends on each of its direct bases, so a consumer rebuilds the exact
tree. The license verdicts are those of ``hflineage license`` (:mod:`.licenses`): the inherited
obligations, every conflict and every training-data finding become ``hflineage:`` properties of
the model, so the BOM alone tells an auditor what binds it.

Licenses: a valid SPDX id when one exists (the policy's, derived by ``license-expression``, and
only if the CycloneDX schema lists it), otherwise a named license with the Hub id as a property;
never an invented id. Every document is checked by the library's strict JSON schema validator
before it is returned, so an invalid BOM is never written.

bom-refs are scoped by the top-level model (``hf:org/m`` and ``hf:org/m#base/x``): the same
ancestor under two requested models is two pedigree entries, and bom-refs must be unique.

Training data: every dataset a model of a lineage was trained on (``TRAINED_ON``: the requested
models and their ancestors) is one top-level ``data`` component (``hf-dataset:<id>``, once per
BOM however many models name it) with its license, and each model naming datasets carries a
``modelCard`` whose ``modelParameters.datasets`` refers to them (CycloneDX 1.5+ ML-BOM). The
datasets are kept out of ``dependencies``, which stay the lineage DAG.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from functools import cache
from typing import Iterable
from urllib.parse import quote

from jsonschema import ValidationError, validators

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.spdx import is_supported_id
from cyclonedx.validation.json import JsonStrictValidator
from license_expression import get_spdx_licensing
from packageurl import PackageURL

from ..licenses import propagation as lic
from ..store.db import Graph
from ..store.errors import BomError, ModelNotFound
from .text import visible

HUB = "https://huggingface.co"
NS = "hflineage"
DATASET_REF = "hf-dataset:"
SPECS = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}

_licensing = get_spdx_licensing()


@dataclass(frozen=True)
class Lineage:
    """One requested model: the ``license MODEL`` report and the lineage DAG's nodes (Hub facts,
    direct bases), the model first."""

    report: dict
    nodes: list[dict]
    suspected: tuple = ()  # with_suspected: the model's suspected bases ({id, score, relation, evidence})


def read_lineage(graph: Graph, model_id: str, policy: lic.Policy, min_score: float | None = None) -> Lineage:
    """``min_score``: also the model's suspected bases (docs/charting.md) scored at least that."""
    report = lic.model_license(graph, model_id, policy)  # ModelNotFound for an unknown id
    nodes = graph.read("bom_lineage", model_id=model_id)
    if not nodes:
        raise ModelNotFound(f"model '{model_id}' is not in the graph")
    suspected = () if min_score is None else tuple(
        s for s in graph.read("chart_suspected", model_id=model_id) if s["score"] >= min_score)
    return Lineage(report, nodes, suspected)


def build_bom(graph: Graph, model_ids: Iterable[str], policy: lic.Policy, min_score: float | None = None) -> Bom:
    """One BOM with every model of ``model_ids`` (duplicates once) as a top-level component.
    Raises ModelNotFound naming the first id not in the graph, before anything is built.
    ``min_score``: each model's suspected bases scored at least that become properties of its
    component (never pedigree: they are suggestions, not declared lineage)."""
    lineages = [read_lineage(graph, model_id, policy, min_score) for model_id in dict.fromkeys(model_ids)]
    if not lineages:
        raise BomError("no model ids given")
    return compose(lineages, policy)


def compose(lineages: list[Lineage], policy: lic.Policy) -> Bom:
    bom = Bom()
    bom.metadata.properties.add(Property(name=f"{NS}:policy", value=policy.source))
    if policy.sha256:
        bom.metadata.properties.add(Property(name=f"{NS}:policySha256", value=policy.sha256))
    cards: dict[str, list[str]] = {}  # model bom-ref -> its datasets' bom-refs
    datasets: dict[str, dict] = {}  # id -> facts, from whichever lineage names it first
    linked: set[str] = set()  # datasets a requested model itself names: they get their Hub page
    for lineage in lineages:
        _add_model(bom, lineage, policy, cards)
        for node in lineage.nodes:
            datasets.update((d["id"], d) for d in node["datasets"] if d["id"] not in datasets)
        linked.update(d["id"] for d in lineage.nodes[0]["datasets"])
    for dataset_id in sorted(datasets):
        bom.components.add(_dataset_component(datasets[dataset_id], policy, links=dataset_id in linked))
    setattr(bom, _CARDS, cards)
    _count_pedigree_refs(bom)
    return bom


# cyclonedx-python-lib has no model card (its Component leaves ``modelCard`` a TODO:
# CycloneDX/cyclonedx-python-lib#912), so the cards' dataset refs ride on the Bom and to_json
# writes them into the document, which the strict validator then checks whole
_CARDS = "_hflineage_model_cards"


def dataset_ref(dataset_id: str) -> str:
    return f"{DATASET_REF}{dataset_id}"


def _add_model(bom: Bom, lineage: Lineage, policy: lic.Policy, cards: dict[str, list[str]]) -> None:
    report = lineage.report
    top_id = report["id"]
    facts = {n["id"]: n for n in lineage.nodes}
    reached_by: dict[str, set[str]] = {}
    for node in lineage.nodes:
        for base in node["bases"]:
            reached_by.setdefault(base["id"], set()).add(base["relation"])

    ancestors = {}
    for a in report["inherited"]:  # nearest first, then by id
        props = [Property(name=f"{NS}:relation", value=",".join(sorted(reached_by.get(a["id"], ())))),
                 Property(name=f"{NS}:distance", value=str(a["distance"]))]
        if a["path"] is not None:  # an ancestor in conflict: one shortest path to it
            props.append(Property(name=f"{NS}:path", value=lic.path_text(a["path"])))
        ancestors[a["id"]] = _component(f"hf:{top_id}#{a['id']}", facts.get(a["id"], {"id": a["id"]}), a,
                                        policy, props, links=False)

    props = [Property(name=f"{NS}:obligation", value=_obligation_text(policy, name, keys))
             for name, keys in report["effective"].items()]
    props.append(Property(name=f"{NS}:conflicts", value=str(len(report["conflicts"]))))
    props += [Property(name=f"{NS}:conflict", value=_conflict_text(c)) for c in report["conflicts"]]
    findings = report.get("training_findings", [])  # training data whose license the model drops
    props.append(Property(name=f"{NS}:trainingDataFindings", value=str(len(findings))))
    props += [Property(name=f"{NS}:trainingDataFinding", value=_finding_text(f)) for f in findings]
    props += [Property(name=f"{NS}:suspectedBase", value=_suspected_text(s)) for s in lineage.suspected]
    model = _component(f"hf:{top_id}", facts[top_id], report, policy, props, links=True)
    if ancestors:
        model.pedigree = Pedigree(ancestors=ancestors.values())
    bom.components.add(model)

    # every base of a lineage node is a node too, so each node's entry lists its bases whole; built
    # here because the library's register_dependency looks each target up in a list
    by_id = {top_id: model, **ancestors}
    cards.update((by_id[node["id"]].bom_ref.value, [dataset_ref(d["id"]) for d in node["datasets"]])
                 for node in lineage.nodes if node["datasets"])
    bom.dependencies.update(
        Dependency(ref=by_id[node["id"]].bom_ref,
                   dependencies=[Dependency(ref=by_id[b["id"]].bom_ref) for b in node["bases"]])
        for node in lineage.nodes)


def _component(bom_ref: str, facts: dict, licensed: dict, policy: lic.Policy, extra: list[Property],
               links: bool) -> Component:
    """A model as a component: ``facts`` from bom_lineage, ``licensed`` the license report's entry
    (the model's report or one ``inherited`` row: license, license_name, terms, class, ...).

    ``links``: give the Hub page (external reference, named license link). Only the requested
    models get them: an ancestor's page is its purl's, and the strict validator's IRI check is slow
    enough per URL that a lineage of hundreds of ancestors would take minutes."""
    model_id = facts["id"]
    group, _, name = model_id.rpartition("/")
    missing = bool(facts.get("missing"))
    links = links and not missing
    props = [Property(name=f"{NS}:onHub", value="false" if missing else "true")]
    for key, label in (("pipelineTag", "pipelineTag"), ("libraryName", "library"), ("parameters", "parameters"),
                       ("downloads", "downloads"), ("createdAt", "createdAt")):
        if facts.get(key) is not None:
            props.append(Property(name=f"{NS}:{label}", value=str(facts[key])))
    props += _license_properties(licensed)
    license = license_of(policy, licensed["license"], licensed["license_name"], hub_url(model_id) if links else None)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=bom_ref,
        group=group or None,
        name=name,
        purl=PackageURL(type="huggingface", namespace=group or None, name=name),
        description=("referenced as a base model but absent from the Hub dump: not on the Hub" if missing else None),
        licenses=[license] if license is not None else None,
        external_references=None if not links else [
            ExternalReference(type=ExternalReferenceType.WEBSITE, url=hub_url(model_id),
                              comment="Hugging Face Hub model page")],
        properties=props + extra,
    )


def _dataset_component(facts: dict, policy: lic.Policy, links: bool) -> Component:
    """A training dataset as a ``data`` component: its license as a model's is given (the same
    policy), or, when no datasets file described it, a description saying its license is not known.

    ``links``: give the Hub dataset page (a dataset a requested model itself names; see
    :func:`_component` for why not every one)."""
    dataset_id = facts["id"]
    group, _, name = dataset_id.rpartition("/")
    described = bool(facts.get("described"))
    props = [Property(name=f"{NS}:described", value="true" if described else "false")]
    if facts.get("downloads") is not None:
        props.append(Property(name=f"{NS}:downloads", value=str(facts["downloads"])))
    url = hub_url(dataset_id, "datasets") if links else None
    license = None
    if described:
        licensed = {"license": facts.get("license"), "license_name": facts.get("licenseName"),
                    **policy.describe(policy.resolve(facts.get("license"), facts.get("licenseName")))}
        props += _license_properties(licensed)
        license = license_of(policy, licensed["license"], licensed["license_name"], url)
    else:
        props.append(Property(name=f"{NS}:license", value="not known"))
    return Component(
        type=ComponentType.DATA,
        bom_ref=dataset_ref(dataset_id),
        group=group or None,
        name=name,
        description=(f"Hugging Face dataset {dataset_id}" if described else
                     f"Hugging Face dataset {dataset_id}, named by a model card; its license is not known "
                     "(no datasets file described it: hflineage load --datasets)"),
        licenses=[license] if license is not None else None,
        external_references=None if url is None else [
            ExternalReference(type=ExternalReferenceType.WEBSITE, url=url, comment="Hugging Face Hub dataset page")],
        properties=props,
    )


def hub_url(repo_id: str, folder: str = "") -> XsUri:
    """A repository's Hub page (a model's, or under ``datasets/`` a dataset's), its id
    percent-encoded as a URL path (RFC 3986; the slashes between its parts kept): an id may hold
    any character, and the schema takes only a valid IRI."""
    prefix = f"{HUB}/{folder}/" if folder else f"{HUB}/"
    return XsUri(prefix + quote(repo_id, safe="/"))


def license_of(policy: lic.Policy, license: str | None, license_name: str | None,
               url: XsUri | None) -> DisjunctiveLicense | None:
    """The CycloneDX license for a declared (license, license_name): an SPDX id the schema knows,
    else a named license carrying the Hub id (and ``url``, the repository's Hub page, whose card
    links the text)."""
    resolved = policy.resolve(license, license_name)
    if resolved is None:
        return None
    spdx = None
    if resolved.via in ("id", "license_name"):
        spdx = resolved.terms.spdx
    elif resolved.via == "spdx":  # the declared text's own id (GPL-3.0-or-later, not the entry's -only)
        text = license_name if lic._norm(license) == "other" else license
        spdx = lic.spdx_symbol(_licensing, text, spdx_only=True)
    ack = LicenseAcknowledgement.DECLARED
    if spdx and is_supported_id(spdx):
        return DisjunctiveLicense(id=spdx, acknowledgement=ack)
    named = resolved.terms.name if resolved.via != "fallback" and resolved.terms.name else resolved.label
    props = [Property(name=f"{NS}:hubLicenseId", value=str(license))]
    if license_name:
        props.append(Property(name=f"{NS}:licenseName", value=str(license_name)))
    return DisjunctiveLicense(name=named, url=url, acknowledgement=ack, properties=props)


def _license_properties(licensed: dict) -> list[Property]:
    if licensed["license"] is None:
        return [Property(name=f"{NS}:license", value="none declared")]
    label = licensed["license"]
    if licensed.get("license_name") and lic._norm(label) == "other":
        label = f"other ({licensed['license_name']})"
    props = [Property(name=f"{NS}:license", value=label),
             Property(name=f"{NS}:licenseTerms", value=licensed["terms"]),
             Property(name=f"{NS}:licenseClass", value=licensed["class"])]
    if licensed["obligations"]:
        props.append(Property(name=f"{NS}:licenseObligations", value=",".join(licensed["obligations"])))
    return props


def _obligation_text(policy: lic.Policy, name: str, keys: list[str]) -> str:
    obligation = policy.obligations[name]
    what = f": {obligation.description}" if obligation.description else ""
    return f"{name}{what} (imposed by {', '.join(keys)})"


def _conflict_text(conflict: dict) -> str:
    return f"{conflict['severity']}: {conflict['reason']} [ancestor {conflict['ancestor']}]"


def _suspected_text(suspected: dict) -> str:
    evidence = suspected.get("evidence") or []
    evidence = "; ".join(evidence) if isinstance(evidence, list) else str(evidence)
    return (f"{suspected['id']} ({suspected['relation']}, score {suspected['score']:.2f}; suspected, not declared)"
            + (f": {evidence}" if evidence else ""))


def _finding_text(finding: dict) -> str:
    return f"{finding['severity']}: {finding['reason']} [dataset {finding['dataset']} via {finding['via']}]"


def _count_pedigree_refs(bom: Bom) -> None:
    """Let the library's reference check see pedigree ancestors.

    CycloneDX allows a dependency to name any bom-ref in the document, pedigree ancestors
    included, but cyclonedx-python-lib's pre-output check only collects components under
    ``components``; the strict schema validation in :func:`to_json` still checks the result.
    """
    collect = Bom._get_all_components

    def all_components(self):
        for component in collect(self):
            yield component
            if component.pedigree is not None:
                yield from component.pedigree.ancestors

    bom._get_all_components = types.MethodType(all_components, bom)


def _one_line(error) -> str:
    """The validator's finding as one line: where in the document and what, without the schema
    dump that its text carries."""
    detail = getattr(error, "data", None) or error  # the library's wrapper, or jsonschema's own error
    message = getattr(detail, "message", None) or str(error)
    where = "/".join(str(p) for p in getattr(detail, "absolute_path", ()))
    line = " ".join(message.split())
    if len(line) > 300:
        line = line[:300] + "..."
    return visible(f"{line} (at /{where})" if where else line)


def _unique_items(validator, unique, instance, schema):
    """jsonschema's ``uniqueItems`` in linear time: its own compares every pair of objects, and a
    BOM's arrays hold one entry per ancestor. Equal as JSON means equal here (1 == 1.0, true != 1)."""
    if unique and validator.is_type(instance, "array"):
        keys = [_json_key(item) for item in instance]
        if len(set(keys)) != len(keys):
            yield ValidationError(f"an array of {len(instance)} items has non-unique elements")


def _json_key(value):
    """A hashable form of a JSON value that is equal exactly when the values are equal as JSON."""
    if isinstance(value, dict):
        return ("object", frozenset((k, _json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_json_key(v) for v in value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return (type(value).__name__, value)


@cache
def _validator(version: SchemaVersion):
    """The library's strict CycloneDX validator (schema, references, formats) with ``_unique_items``."""
    strict = JsonStrictValidator(version)._validator
    fast = validators.extend(type(strict), {"uniqueItems": _unique_items})
    return fast(strict.schema, registry=strict._registry, format_checker=strict.format_checker)


def to_json(bom: Bom, spec: str = "1.6") -> str:
    """The BOM as CycloneDX JSON of ``spec``, validated by the strict schema; BomError if invalid."""
    if spec not in SPECS:
        raise BomError(f"CycloneDX spec {spec!r} is not supported (one of {', '.join(SPECS)})")
    version = SPECS[spec]
    doc = json.loads(make_outputter(bom, OutputFormat.JSON, version).output_as_string())
    _write_ml_fields(doc, getattr(bom, _CARDS, {}))
    error = next(_validator(version).iter_errors(doc), None)
    if error is not None:
        raise BomError(f"the BOM fails the CycloneDX {spec} schema: {_one_line(error)}")
    return json.dumps(doc, indent=2)


def _write_ml_fields(doc: dict, cards: dict[str, list[str]]) -> None:
    """The ML-BOM fields the library cannot write: each model component (top level or pedigree
    ancestor) that names datasets gets ``modelCard.modelParameters.datasets``, references to the
    ``data`` components, and each of those says what its data is (``data``: a dataset)."""
    def put(component: dict, key: str, value) -> None:  # in the library's order: keys sorted
        items = sorted([*component.items(), (key, value)])
        component.clear()
        component.update(items)

    for component in doc.get("components", []):
        if component.get("type") == "data" and component["bom-ref"].startswith(DATASET_REF):
            put(component, "data", [{"type": "dataset", "name": component["bom-ref"][len(DATASET_REF):]}])
        for c in [component, *component.get("pedigree", {}).get("ancestors", [])]:
            refs = cards.get(c.get("bom-ref"))
            if refs:
                put(c, "modelCard", {"modelParameters": {"datasets": [{"ref": r} for r in refs]}})
