// name: chart_edges
// description: Every base edge (declared or inferred) as child id, base id and relation: the known lineage charting learns from.
// mode: read
MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN c.id AS child, b.id AS base,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation
