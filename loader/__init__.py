"""hflineage's library: read hub-stats parquet, write the lineage graph, run stored queries.

No click here: the CLI (hflineage.cli) parses, calls these functions and formats.
"""
