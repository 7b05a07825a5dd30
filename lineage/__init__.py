"""Read-side questions over the stored graph: show, chain, impact, stats, history and changes,
and the typed results they return. Nothing here writes the graph.
"""

ID_BATCH = 10_000  # ids per lookup: a list of a million ids is never one server query
LIST_KINDS = ("added", "deleted", "updated", "rebased", "new_version")  # the model lists `changes --list` prints


def flatten(doc: dict, prefix: str = "") -> dict:
    """Nested dicts as ``outer_inner`` keys (one CSV row per interval); lists stay as they are."""
    out = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}_"))
        else:
            out[f"{prefix}{key}"] = value
    return out
