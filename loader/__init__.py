"""Loading: read hub-stats parquet, plan the graph, write it (online, ``--bulk`` import files,
weekly ``--snapshot`` loads with their kept copy), derive the stored per-model values.
"""
