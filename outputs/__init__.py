"""What people open: CycloneDX BOMs, license audit reports, lineage pictures, stats figures,
and the atomic file writes they share.
"""
