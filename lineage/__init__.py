"""Read-side questions over the stored graph: show, chain, impact, stats, history and changes,
and the typed results they return. Nothing here writes the graph.
"""
