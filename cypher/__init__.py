"""The stored Cypher queries: one query per ``.cypher`` file, each with a comment header.

Header format (every line starts with ``//``, before the first line of Cypher)::

    // name: show
    // description: A model's properties, parents, Hub-style model tree, descendants and depth.
    // param model_id: the id of the model, e.g. "meta-llama/Llama-2-7b-chat-hf"
    // mode: read

``name`` must equal the file stem (in a subfolder, ``folder/stem``); ``mode`` is ``read`` or
``write``; one ``param`` line per ``$parameter`` the text uses. Declared and used parameters are
checked against each other when the registry loads, and every failure names the file and line.
The text below the header runs unchanged in Neo4j Browser after ``:param`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from ..store.errors import QueryError

_HEADER = re.compile(r"^//\s*(name|description|mode|param)\b\s*([A-Za-z_][A-Za-z0-9_]*)?\s*:\s*(.*)$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# string literals, `quoted names` and comments: parameters inside them are not parameters
_NOT_CODE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)


@dataclass(frozen=True)
class StoredQuery:
    name: str
    text: str  # the Cypher below the header
    description: str
    params: MappingProxyType  # name -> description, in header order
    mode: str  # "read" or "write"
    source: str  # file path inside the package, for messages

    @property
    def read_only(self) -> bool:
        return self.mode == "read"


def parse(source: str, name: str, content: str) -> StoredQuery:
    """Parse one query file; QueryError naming ``source`` and the line on any defect."""
    fields: dict[str, str] = {}
    params: dict[str, str] = {}
    lines = content.splitlines()
    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("//"):
            body_start = number - 1
            break
        match = _HEADER.match(stripped)
        if match is None:
            continue  # a free comment line in the header
        key, pname, value = match.groups()
        if key == "param":
            if not pname:
                raise QueryError(f"{source}:{number}: 'param' needs a name, as in '// param model_id: ...'")
            if pname in params:
                raise QueryError(f"{source}:{number}: parameter '{pname}' declared twice")
            params[pname] = value.strip()
        else:
            if key in fields:
                raise QueryError(f"{source}:{number}: '{key}' given twice")
            fields[key] = value.strip()
    text = "\n".join(lines[body_start:]).strip()
    for key in ("name", "description", "mode"):
        if not fields.get(key):
            raise QueryError(f"{source}:1: header lacks '// {key}: ...'")
    if fields["name"] != name:
        raise QueryError(f"{source}:1: header name '{fields['name']}' differs from the file name '{name}'")
    if fields["mode"] not in ("read", "write"):
        raise QueryError(f"{source}:1: mode must be 'read' or 'write', not '{fields['mode']}'")
    if not text:
        raise QueryError(f"{source}: no Cypher below the header")
    used = _used_params(text)
    for pname in used:
        if pname not in params:
            line = body_start + 1 + next(i for i, l in enumerate(text.splitlines()) if f"${pname}" in l)
            raise QueryError(f"{source}:{line}: ${pname} is used but not declared in the header")
    for pname in params:
        if pname not in used:
            raise QueryError(f"{source}: parameter '{pname}' is declared but never used")
    return StoredQuery(
        name=name,
        text=text,
        description=fields["description"],
        params=MappingProxyType(params),
        mode=fields["mode"],
        source=source,
    )


def _used_params(text: str) -> list[str]:
    seen: list[str] = []
    for pname in _PARAM.findall(_NOT_CODE.sub(" ", text)):
        if pname not in seen:
            seen.append(pname)
    return seen


class Registry:
    """Every stored query of the package, by name."""

    def __init__(self, queries: dict[str, StoredQuery]):
        self._queries = dict(sorted(queries.items()))

    @classmethod
    def load(cls) -> "Registry":
        queries: dict[str, StoredQuery] = {}
        root = resources.files("hflineage.cypher")
        for folder, prefix in ((root, ""), *((d, d.name + "/") for d in sorted(root.iterdir(), key=lambda d: d.name) if d.is_dir() and not d.name.startswith("_"))):
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if not entry.name.endswith(".cypher"):
                    continue
                name = prefix + entry.name[: -len(".cypher")]
                source = f"cypher/{prefix}{entry.name}"
                if name in queries:
                    raise QueryError(f"{source}: a query named '{name}' exists already")
                queries[name] = parse(source, name, entry.read_text(encoding="utf-8"))
        return cls(queries)

    def get(self, name: str) -> StoredQuery:
        try:
            return self._queries[name]
        except KeyError:
            raise QueryError(f"no stored query named '{name}'", hint="'hflineage queries' lists them") from None

    def __iter__(self):
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)

    def check_params(self, query: StoredQuery, given: dict) -> None:
        missing = [p for p in query.params if p not in given]
        extra = [p for p in given if p not in query.params]
        if missing:
            raise QueryError(f"query '{query.name}' needs parameter(s): {', '.join(missing)}")
        if extra:
            raise QueryError(f"query '{query.name}' takes no parameter(s): {', '.join(extra)}")


_registry: Registry | None = None


def registry() -> Registry:
    """The package's registry, loaded once."""
    global _registry
    if _registry is None:
        _registry = Registry.load()
    return _registry
