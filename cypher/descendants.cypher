// name: descendants
// description: Every model deriving from a model, directly or not, once each: shortest distance in hops, its relation to its own bases, downloads, likes, license, pipeline tag; most downloaded first.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
OPTIONAL MATCH p = (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(d:Model)
// min(length(p)) per descendant is planned as a pruning BFS: each descendant is reached once
WITH m, d, min(length(p)) AS distance
RETURN m.id AS id,
       collect(CASE WHEN d IS NOT NULL THEN {
         id: d.id,
         distance: distance,
         relation: head([(d)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->() |
                         {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)]]),
         downloads: coalesce(d.downloads, 0),
         downloads_all_time: coalesce(d.downloadsAllTime, 0),
         likes: d.likes,
         license: d.license,
         pipeline_tag: d.pipelineTag,
         depth: coalesce(d.depth, 0)
       } END) AS descendants
