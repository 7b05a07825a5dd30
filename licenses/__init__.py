"""License propagation through the lineage, the license policy (a YAML file users can edit) and
license drift between snapshots.

The names below are what a caller needs before any graph work; importing them loads nothing else.
"""

POLICY_ENV = "HFLINEAGE_LICENSE_POLICY"
SEVERITIES = ("low", "medium", "high")  # conflict severities, rising
# A training dataset whose license is missing or not classified is a warning: reported below every
# conflict, so a default gate (--fail-on low) does not fail before `load --datasets` has run.
WARNING = "warning"
LEVELS = (WARNING, *SEVERITIES)  # every finding's severity, rising (what --fail-on accepts)


def path_text(path: list[dict] | None) -> str:
    """``a -finetune-> b -merge-> c``: a lineage path as text, the model asked about first ("" for
    none: only an ancestor in conflict carries its path)."""
    parts = []
    for hop in path or ():
        parts.append(hop["id"])
        if hop["relation"]:
            parts.append(f"-{hop['relation']}->")
    return " ".join(parts)
