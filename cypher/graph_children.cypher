// name: graph_children
// description: The most downloaded direct derived models of a model (their downloads plus their descendants' downloads, so whole branches are ranked), with the relation of each edge; at most $limit of them.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B"
// param limit: how many derived models at most, e.g. 200
// mode: read
MATCH (m:Model {id: $model_id})<-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(c:Model)
WITH c, r, coalesce(c.downloads, 0) + coalesce(c.descendantDownloads, 0) AS weight
ORDER BY weight DESC, c.id
LIMIT $limit
RETURN c.id AS child,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation,
       weight
