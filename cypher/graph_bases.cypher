// name: graph_bases
// description: The direct bases of each of a list of models, with the relation of each edge (one level up a lineage drawing).
// param ids: a list of model ids, e.g. ["meta-llama/Llama-3.1-8B-Instruct"]
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN m.id AS child,
       b.id AS base,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation,
       coalesce(b.downloads, 0) + coalesce(b.descendantDownloads, 0) AS weight
ORDER BY child, weight DESC, base
