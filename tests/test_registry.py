"""The stored-query registry: header parsing and parameter checks (no database needed)."""

from __future__ import annotations

import pytest

from hflineage.cypher import parse, registry
from hflineage.store.errors import QueryError

GOOD = """// name: q
// description: finds a model
// param model_id: the id
// mode: read
MATCH (m:Model {id: $model_id}) RETURN m.id AS id
"""


def test_parse_reads_header_and_body():
    q = parse("cypher/q.cypher", "q", GOOD)
    assert q.name == "q" and q.mode == "read" and q.read_only
    assert dict(q.params) == {"model_id": "the id"}
    assert q.text == "MATCH (m:Model {id: $model_id}) RETURN m.id AS id"


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("// param model_id: the id\n", ""), r"cypher/q.cypher:4: \$model_id is used but not declared"),
    (GOOD.replace("$model_id", "'x'"), "parameter 'model_id' is declared but never used"),
    (GOOD.replace("// name: q", "// name: other"), "header name 'other' differs from the file name 'q'"),
    (GOOD.replace("// mode: read", "// mode: sometimes"), "mode must be 'read' or 'write'"),
    (GOOD.replace("// description: finds a model\n", ""), "header lacks '// description: ...'"),
    (GOOD.replace("// param model_id: the id", "// param model_id: a\n// param model_id: b"), "declared twice"),
])
def test_parse_rejects_defects_naming_file_and_line(text, message):
    with pytest.raises(QueryError, match=message):
        parse("cypher/q.cypher", "q", text)


def test_parameters_inside_strings_and_comments_do_not_count():
    text = GOOD.replace("RETURN m.id AS id", "// not a $param\nRETURN m.id AS id, '$notparam' AS s")
    assert list(parse("cypher/q.cypher", "q", text).params) == ["model_id"]


def test_labels_are_not_parameters():
    q = parse("cypher/q.cypher", "q", GOOD.replace("(m:Model", "(m:Model:Missing"))
    assert list(q.params) == ["model_id"]


def test_every_shipped_query_loads_and_reads_are_marked_read():
    names = {q.name for q in registry()}
    assert {"show", "load/upsert_models", "schema/model_id_unique"} <= names
    for q in registry():
        if not q.name.startswith(("load/", "schema/", "snapshot/", "links/")):  # the loaders' own statements
            # the few that write (impute --write) say so in their name
            assert q.read_only == (not q.name.endswith("_write")), f"{q.name}: mode and name disagree"


def test_check_params_names_what_is_missing_or_extra():
    show = registry().get("show")
    with pytest.raises(QueryError, match="needs parameter"):
        registry().check_params(show, {})
    with pytest.raises(QueryError, match="takes no parameter"):
        registry().check_params(show, {"model_id": "x", "other": 1})
    with pytest.raises(QueryError, match="no stored query named 'nope'"):
        registry().get("nope")


def test_every_relationship_type_list_in_cypher_names_the_four_edge_types():
    """Cypher spells the edge types out for Browser readers; a union must name exactly the four
    types of ``store/relations.py`` (a single type must be one of them)."""
    import re

    from hflineage.store.relations import EDGE_TYPES

    seen = 0
    for q in registry():
        for union in re.findall(r"\[\w*:([A-Z_|]+_OF[A-Z_|]*)", q.text):
            types = union.split("|")
            assert set(types) <= set(EDGE_TYPES), f"{q.name}: unknown edge type in {union}"
            if len(types) > 1:
                assert sorted(types) == sorted(EDGE_TYPES), f"{q.name}: {union} is not the four edge types"
                seen += 1
    assert seen >= 20  # the check reads the unions it is meant to read
