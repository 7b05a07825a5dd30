"""License propagation through the lineage, the license policy (a YAML file users can edit) and
license drift between snapshots.
"""
