"""The graph store: the Neo4j connection and its settings, the errors, the schema, the load lock,
the relation vocabulary and the node property table. Read and write sides both build on it.
"""
