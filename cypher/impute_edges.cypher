// name: impute_edges
// description: Every lineage edge as (child id, base id): the whole lineage graph in one read, for tools outside the library (a notebook's networkx graph, an export). The library reads families from the stored `family` (impute_families, stats_edges).
// mode: read
MATCH (c:Model)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base
