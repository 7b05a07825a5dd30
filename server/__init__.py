"""The local Neo4j Community server that `hflineage db start|stop|status` manages."""
