// name: graph_edges
// description: Every base edge between two models of a list (the edges of a lineage drawing, merges' second parents included when both ends are drawn).
// param ids: a list of model ids, e.g. ["meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"]
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
WHERE b.id IN $ids
RETURN m.id AS child,
       b.id AS base,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation
ORDER BY child, base
