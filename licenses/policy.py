"""The license policy: the editable data file, how a declared license is classified, and the
conflict rules. ``hflineage.licenses.propagation`` runs the lookups over the graph with it.

The policy is data (``license_policy.yaml`` beside this module, or the user's own file given by
``--policy`` or ``HFLINEAGE_LICENSE_POLICY``): every license id gets a class and the obligations
it imposes on derivatives; each obligation says which derivative licenses keep it and how severe
dropping it is. The code below only applies those rules:

* A model's declared license is ``license`` (first ``license:`` tag, else ``cardData.license``);
  ``other`` is resolved by ``licenseName`` through the policy's ``license_names``, then as a Hub
  id, then as an SPDX id; anything else is matched as a Hub id, then through SPDX normalisation
  (the ``license-expression`` library), and falls back to the ``unknown`` entry.
* A **conflict** between a model M and one of its ancestors A: A's license imposes an obligation
  (with a severity other than ``none``) that M's declared license does not keep, or M declares no
  license at all. Its severity is that of the worst obligation dropped, capped by the
  ``max_severity`` of either license's entry.
* **Training data** (``training_data``): a dataset license whose class is listed under
  ``binding`` imposes its obligations on every model trained on the dataset, directly or through
  an ancestor, by the same rules; a dataset whose license is missing or not classified gets the
  ``unknown_license`` severity (``warning`` by default). ``hflineage.licenses.training`` applies them.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

import yaml
from license_expression import ExpressionError, LicenseSymbol, get_spdx_licensing

from ..store.errors import PolicyError
from ..store.settings import environment

from . import LEVELS, POLICY_ENV, SEVERITIES, WARNING

_RANK = {"none": 0, WARNING: 1, "low": 2, "medium": 3, "high": 4}
KEPT_BY = ("same-license", "same-obligation", "any-license", "nothing")
_ENTRY_FIELDS = ("name", "class", "obligations", "spdx", "compatible", "max_severity", "note")
_FALLBACKS = ("other", "unknown")
_TRAINING_FIELDS = ("binding", "unknown_license")
# a policy file without a training_data section: these classes bind, where it has them
_TRAINING_BINDING = ("non-commercial", "no-derivatives")


@dataclass(frozen=True)
class Obligation:
    """Something a license imposes on derivatives; ``kept_by`` says which derivative licenses keep it."""

    name: str
    description: str
    kept_by: str
    severity: str  # none | low | medium | high


@dataclass(frozen=True)
class Terms:
    """One classified license (a policy entry)."""

    key: str
    name: str | None
    cls: str
    obligations: tuple[str, ...]
    spdx: str | None
    compatible: frozenset[str]
    max_severity: str | None
    note: str | None


@dataclass(frozen=True)
class TrainingRules:
    """The ``training_data`` section: the dataset license classes that bind a model trained on
    the dataset, and the severity of a dataset whose license is missing or not classified
    (``none``: not reported)."""

    binding: tuple[str, ...]
    unknown_license: str


@dataclass(frozen=True)
class Resolved:
    """A model's declared (license, license_name) matched to the policy.

    ``key`` is what "the same license" compares: the entry's key, or ``other:<name>`` for an
    ``other`` whose name the policy does not know (so two models naming the same unknown license
    still match). ``via`` says how it matched: id, license_name, spdx or fallback.
    """

    license: str
    license_name: str | None
    key: str
    terms: Terms
    via: str

    @property
    def label(self) -> str:
        """How the license is named in messages: ``other (tongyi-qianwen)`` for a named other."""
        if _norm(self.license) == "other" and self.license_name:
            return f"other ({self.license_name})"
        return self.license


@dataclass(frozen=True)
class Conflict:
    """What a model's declared license drops of one ancestor's, how badly, and why (one line)."""

    severity: str
    dropped: tuple[str, ...]
    reason: str


def _norm(value) -> str:
    return str(value).strip().lower() if value is not None else ""


# --- loading and validating the policy ------------------------------------------------------------


def load_policy(path: str | os.PathLike | None = None) -> "Policy":
    """The policy at ``path``, else at ``$HFLINEAGE_LICENSE_POLICY``, else the built-in one."""
    path = path or environment().license_policy
    if path is None:
        source = "license_policy.yaml (built in)"
        text = resources.files(__package__).joinpath("license_policy.yaml").read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError(f"license policy {source}: cannot read it ({getattr(e, 'strerror', None) or e})") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise PolicyError(f"license policy {source}: not valid YAML ({where}{problem})") from e
    policy = _Builder(source).build(data)
    policy.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return policy


class _Builder:
    """Checks a parsed policy document and turns it into a :class:`Policy`; every defect is a
    one-line :class:`PolicyError` naming the file and the entry."""

    def __init__(self, source: str):
        self.source = source
        self.licensing = get_spdx_licensing()

    def fail(self, where: str, message: str):
        raise PolicyError(f"license policy {self.source}: {where}: {message}")

    def mapping(self, value, where: str) -> dict:
        if not isinstance(value, dict) or not value:
            self.fail(where, "must be a non-empty mapping")
        for key in value:
            if not isinstance(key, str):
                self.fail(where, f"key {key!r} must be text (quote it)")
        return value

    def build(self, data) -> "Policy":
        if not isinstance(data, dict):
            self.fail("top level", "must be a mapping with classes, obligations, licenses, license_names")
        if data.get("version") != 1:
            self.fail("version", f"must be 1, not {data.get('version')!r}")
        unknown = set(data) - {"version", "classes", "obligations", "licenses", "license_names", "training_data"}
        if unknown:
            self.fail(sorted(unknown)[0], "unknown section")
        classes = {name: str(text) for name, text in self.mapping(data.get("classes"), "classes").items()}
        obligations = {name: self.obligation(name, spec)
                       for name, spec in self.mapping(data.get("obligations"), "obligations").items()}
        raw_licenses = self.keyed(data.get("licenses"), "licenses")
        raw_names = self.keyed(data["license_names"], "license_names") if data.get("license_names") else {}
        licenses = {key: self.terms(f"licenses.{key}", key, spec, classes, obligations)
                    for key, spec in raw_licenses.items()}
        for key in _FALLBACKS:
            if key not in licenses:
                self.fail(f"licenses.{key}", "is required (the fallback for unclassified licenses)")
        names = self.names(raw_names, licenses, classes, obligations)
        known = set(licenses) | set(names)
        self.check_compatible("licenses", licenses.values(), known)
        self.check_compatible("license_names", (t for k, t in names.items() if t.key == k), known)
        training = self.training(data.get("training_data"), classes)
        return Policy(self.source, classes, obligations, licenses, names, training)

    def keyed(self, value, where: str) -> dict:
        """A mapping whose keys are matched case-insensitively: duplicates after folding are defects."""
        out = {}
        for key, spec in self.mapping(value, where).items():
            folded = _norm(key)
            if folded in out:
                self.fail(f"{where}.{key}", "is listed twice (ids are case-insensitive)")
            out[folded] = spec
        return out

    def obligation(self, name: str, spec) -> Obligation:
        where = f"obligations.{name}"
        if not isinstance(spec, dict):
            self.fail(where, "must be a mapping with description, kept_by, severity")
        extra = set(spec) - {"description", "kept_by", "severity"}
        if extra:
            self.fail(where, f"unknown field '{sorted(extra)[0]}'")
        if spec.get("kept_by") not in KEPT_BY:
            self.fail(where, f"kept_by must be one of {', '.join(KEPT_BY)}, not {spec.get('kept_by')!r}")
        if spec.get("severity") not in ("none", *SEVERITIES):
            self.fail(where, f"severity must be one of none, {', '.join(SEVERITIES)}, not {spec.get('severity')!r}")
        return Obligation(name, str(spec.get("description") or ""), spec["kept_by"], spec["severity"])

    def terms(self, where: str, key: str, spec, classes: dict, obligations: dict) -> Terms:
        if not isinstance(spec, dict):
            self.fail(where, "must be a mapping with class and obligations")
        extra = set(spec) - set(_ENTRY_FIELDS)
        if extra:
            self.fail(where, f"unknown field '{sorted(extra)[0]}' (fields: {', '.join(_ENTRY_FIELDS)})")
        if spec.get("class") not in classes:
            self.fail(where, f"class must be one of {', '.join(classes)}, not {spec.get('class')!r}")
        listed = spec.get("obligations")
        if not isinstance(listed, list):
            self.fail(where, "obligations must be a list (it may be [])")
        for name in listed:
            if name not in obligations:
                self.fail(where, f"unknown obligation {name!r} (one of {', '.join(obligations)})")
        cap = spec.get("max_severity")
        if cap is not None and cap not in SEVERITIES:
            self.fail(where, f"max_severity must be one of {', '.join(SEVERITIES)}, not {cap!r}")
        compatible = spec.get("compatible") or []
        if not isinstance(compatible, list):
            self.fail(where, "compatible must be a list of license keys")
        return Terms(
            key=key,
            name=str(spec["name"]) if spec.get("name") is not None else None,
            cls=spec["class"],
            obligations=tuple(dict.fromkeys(listed)),
            spdx=self.spdx(where, key, spec),
            compatible=frozenset(_norm(c) for c in compatible),
            max_severity=cap,
            note=str(spec["note"]) if spec.get("note") is not None else None,
        )

    def spdx(self, where: str, key: str, spec: dict) -> str | None:
        """The entry's SPDX id: checked and normalised when given, derived from the key when left out."""
        if "spdx" not in spec:
            return spdx_symbol(self.licensing, key, spdx_only=True)
        value = spec["spdx"]
        if value is None:
            return None
        symbol = spdx_symbol(self.licensing, str(value), spdx_only=False)
        if symbol is None:
            self.fail(where, f"spdx {value!r} is not a known SPDX license id")
        return symbol

    def training(self, spec, classes: dict) -> TrainingRules:
        """``training_data``; left out, the default classes that the file has bind and an
        unclassified dataset license is a warning."""
        where = "training_data"
        if spec is None:
            return TrainingRules(tuple(c for c in _TRAINING_BINDING if c in classes), WARNING)
        if not isinstance(spec, dict):
            self.fail(where, f"must be a mapping with {', '.join(_TRAINING_FIELDS)}")
        extra = set(spec) - set(_TRAINING_FIELDS)
        if extra:
            self.fail(where, f"unknown field '{sorted(extra)[0]}' (fields: {', '.join(_TRAINING_FIELDS)})")
        binding = spec.get("binding")
        if not isinstance(binding, list):
            self.fail(f"{where}.binding", "must be a list of license classes (it may be [])")
        for cls in binding:
            if cls not in classes:
                self.fail(f"{where}.binding", f"unknown class {cls!r} (one of {', '.join(classes)})")
        level = spec.get("unknown_license", WARNING)
        if level not in ("none", *LEVELS):
            self.fail(f"{where}.unknown_license", f"must be one of none, {', '.join(LEVELS)}, not {level!r}")
        return TrainingRules(tuple(dict.fromkeys(binding)), level)

    def names(self, raw: dict, licenses: dict, classes: dict, obligations: dict) -> dict[str, Terms]:
        """``license_names``: full entries first, then ``same_as`` aliases pointing at any entry."""
        names: dict[str, Terms] = {}
        aliases = {}
        for name, spec in raw.items():
            where = f"license_names.{name}"
            if isinstance(spec, dict) and "same_as" in spec:
                if len(spec) != 1:
                    self.fail(where, "same_as stands alone (no other fields)")
                aliases[name] = (where, _norm(spec["same_as"]))
            else:
                names[name] = self.terms(where, name, spec, classes, obligations)
        for name, (where, target) in aliases.items():
            found = names.get(target) or licenses.get(target)
            if found is None:
                self.fail(where, f"same_as {target!r} is neither a license nor a license_name entry")
            names[name] = found
        return names

    def check_compatible(self, section: str, entries: Iterable[Terms], known: set[str]) -> None:
        """Every ``compatible`` key must name a license or license_name entry."""
        for terms in entries:
            for other in sorted(terms.compatible - known):
                self.fail(f"{section}.{terms.key}", f"compatible names {other!r}, which the policy does not list")


def spdx_symbol(licensing, text: str, spdx_only: bool) -> str | None:
    """The normalised SPDX key of ``text`` when it is one known license id (not an expression),
    else None. ``spdx_only`` refuses ScanCode ``LicenseRef-`` keys."""
    try:
        parsed = licensing.parse(text, validate=True, strict=True)
    except (ExpressionError, ValueError, TypeError):
        return None
    if not isinstance(parsed, LicenseSymbol):
        return None
    key = parsed.key
    if spdx_only and key.startswith("LicenseRef-"):
        return None
    return key


# --- the policy and its rules -------------------------------------------------------------------


class Policy:
    """A loaded license policy: classify declared licenses and judge ancestor/derivative pairs."""

    def __init__(self, source: str, classes: dict, obligations: dict[str, Obligation],
                 licenses: dict[str, Terms], names: dict[str, Terms], training: TrainingRules):
        self.source = source
        self.training = training
        self.sha256: str | None = None  # of the policy file's text, named in reports (load_policy sets it)
        self.classes = classes
        self.obligations = obligations
        self.licenses = licenses
        self.names = names
        self._licensing = get_spdx_licensing()
        self._by_spdx = {}
        for terms in licenses.values():  # Hub ids first: they win over license_names
            if terms.spdx:
                self._by_spdx.setdefault(terms.spdx.lower(), terms)
        for terms in names.values():
            if terms.spdx:
                self._by_spdx.setdefault(terms.spdx.lower(), terms)
        self._cache: dict[tuple, Resolved | None] = {}

    # classification

    def resolve(self, license: str | None, license_name: str | None = None) -> Resolved | None:
        """Match a declared license to the policy; None when nothing is declared."""
        cache_key = (license, license_name)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(license, license_name)
        return self._cache[cache_key]

    def _resolve(self, license, license_name) -> Resolved | None:
        declared = _norm(license)
        if not declared:
            return None
        name = _norm(license_name) or None
        if declared == "other" and name:
            terms = self.names.get(name) or self.licenses.get(name) or self.by_spdx(name)
            if terms is not None:
                return Resolved(license, license_name, terms.key, terms, "license_name")
            return Resolved(license, license_name, f"other:{name}", self.licenses["other"], "fallback")
        if declared in self.licenses:
            return Resolved(license, license_name, declared, self.licenses[declared], "id")
        terms = self.by_spdx(declared)
        if terms is not None:
            return Resolved(license, license_name, terms.key, terms, "spdx")
        return Resolved(license, license_name, declared, self.licenses["unknown"], "fallback")

    def by_spdx(self, text: str) -> Terms | None:
        """The entry whose SPDX id ``text`` normalises to; ``-only``/``-or-later`` variants of a
        listed id count as that id (GPL-3.0-or-later finds gpl-3.0)."""
        key = spdx_symbol(self._licensing, text, spdx_only=False)
        if key is None:
            return None
        base = re.sub(r"-(only|or-later)$", "", key.lower())
        for candidate in (key.lower(), base + "-only", base + "-or-later", base):
            if candidate in self._by_spdx:
                return self._by_spdx[candidate]
        return None

    def binding(self, terms: Terms) -> list[str]:
        """The obligations of ``terms`` whose loss is a conflict (severity not ``none``)."""
        return [o for o in terms.obligations if self.obligations[o].severity != "none"]

    # conflict rules

    def keeps(self, model: Resolved, ancestor: Resolved, obligation: str) -> bool:
        """Whether the model's declared license keeps one obligation of the ancestor's license."""
        kept_by = self.obligations[obligation].kept_by
        if kept_by == "same-license":
            return model.key == ancestor.key or model.key in ancestor.terms.compatible
        if kept_by == "same-obligation":
            return obligation in model.terms.obligations
        return kept_by == "any-license"

    def conflict(self, model: Resolved | None, ancestor: Resolved | None, distance: int,
                 source: str | None = None) -> Conflict | None:
        """The conflict between a model (None: declares no license) and one ancestor, or None.
        ``source`` names what imposes the license in the reason (default: the license itself)."""
        if ancestor is None:
            return None
        binding = self.binding(ancestor.terms)
        dropped = binding if model is None else [o for o in binding if not self.keeps(model, ancestor, o)]
        if not dropped:
            return None
        worst = max(dropped, key=lambda o: _RANK[self.obligations[o].severity])
        severity = self.obligations[worst].severity
        where = f"{source or ancestor.label} (distance {distance})"
        if model is None:
            reason = f"declares no license, but {where} binds derivatives: {', '.join(dropped)}"
        else:
            reason = f"{model.label} drops {', '.join(dropped)} of {where}"
        for side in (ancestor, model):
            cap = side.terms.max_severity if side is not None else None
            if cap is not None and _RANK[cap] < _RANK[severity]:
                severity = cap
                reason += f"; {side.label} is not classified, so at most {cap}"
        return Conflict(severity, tuple(dropped), reason)

    def describe(self, resolved: Resolved | None) -> dict:
        """The classification fields reported for a declared license."""
        if resolved is None:
            return {"terms": None, "class": None, "spdx": None, "obligations": []}
        return {"terms": resolved.key, "class": resolved.terms.cls, "spdx": resolved.terms.spdx,
                "obligations": list(resolved.terms.obligations)}

    def rank(self, severity: str) -> int:
        return _RANK[severity]


# --- the lookups ---------------------------------------------------------------------------------


def _effective(policy: Policy, ancestors: Iterable[Resolved | None]) -> dict[str, list[str]]:
    """Union of the ancestors' obligations: obligation -> the licenses imposing it (policy order)."""
    found: dict[str, set[str]] = {}
    for resolved in ancestors:
        if resolved is not None:
            for obligation in resolved.terms.obligations:
                found.setdefault(obligation, set()).add(resolved.key)
    return {o: sorted(found[o]) for o in policy.obligations if o in found}
