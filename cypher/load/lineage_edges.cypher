// name: load/lineage_edges
// description: Every base edge as (child id, base id), for the derived properties computed after a load.
// mode: read
MATCH (c:Model)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base
