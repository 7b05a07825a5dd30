// name: stats_edges
// description: Every base edge with its type and family (child id, base id, type, the child's stored `family` key, which is the base's: loader/derive.py), for the chain and family statistics computed in the library.
// mode: read
MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base, type(r) AS type, coalesce(c.family, c.id) AS family
