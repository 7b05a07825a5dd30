// name: stats_edges
// description: Every base edge with its type (child id, base id, type), for the chain and family statistics computed in the library.
// mode: read
MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base, type(r) AS type
