// name: impute_edges
// description: Every lineage edge as (child id, base id); the imputation evaluation builds the families (weakly connected components) from them.
// mode: read
MATCH (c:Model)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base
