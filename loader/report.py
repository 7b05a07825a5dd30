"""The load report: what a load read, wrote, skipped and dropped, with every reason counted.

Every way of loading fills one (online, ``--bulk``; a snapshot load extends it), and
``hflineage load --format json`` prints ``as_dict()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LoadReport:
    source: str
    mode: str = "online"  # "online" (batched writes over Bolt) or "bulk" (offline import)
    rows_read: int = 0
    rows_skipped: dict = field(default_factory=dict)  # reason -> rows not loaded at all
    rows_with_unknown_relation: int = 0  # node kept, edges skipped (counted in dropped_edges)
    duplicate_ids: int = 0  # rows superseded by a later row with the same id
    models: int = 0  # distinct models written
    missing_placeholders: int = 0  # distinct bases referenced, absent from the file and not models in the graph
    kept_base_edges: int = 0  # models whose stored base edges were kept: the file has no baseModels column
    edges: dict = field(default_factory=dict)  # TYPE -> {declared, inferred}
    inferred_by_rule: dict = field(default_factory=dict)
    dropped_edges: dict = field(default_factory=dict)  # reason -> edges not written
    links: dict = field(default_factory=dict)  # TRAINED_ON, Dataset and SUPERSEDED_BY counts (loader/links.py)
    dropped_links: dict = field(default_factory=dict)  # reason -> dataset ids / new_version values left out
    depth_updates: int = 0
    max_depth: int = 0
    seconds: float = 0.0

    @property
    def edges_written(self) -> int:
        return sum(v["declared"] + v["inferred"] for v in self.edges.values())

    def to_dict(self) -> dict:
        """The load report as ``hflineage load --format json`` prints it."""
        return self.as_dict()

    def as_dict(self) -> dict:
        out = asdict(self)
        out["edges_written"] = self.edges_written
        out["rows_per_second"] = round(self.rows_read / self.seconds) if self.seconds else None
        out["edges_per_second"] = round(self.edges_written / self.seconds) if self.seconds else None
        return out