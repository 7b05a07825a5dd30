// name: chain
// description: A model's depth, the longest path from it up to a root hop by hop (with the relation of each hop), and every root it reaches.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
// the longest path follows depthVia, the base one level up, from the model to a root
MATCH p = (m)((a)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b) WHERE a.depthVia = b.id)*(top)
WHERE top.depthVia IS NULL
WITH m, p LIMIT 1
CALL (m) {
  MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(r:Model)
  WHERE NOT (r)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
  WITH DISTINCT r ORDER BY r.id
  RETURN collect(r.id) AS roots
}
WITH m, nodes(p) AS hops, relationships(p) AS edges, roots
RETURN m.id AS id,
       coalesce(m.depth, 0) AS depth,
       [i IN range(0, size(hops) - 1) | {
         id: hops[i].id,
         relation: CASE WHEN i < size(edges) THEN
           {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(edges[i])]
         END
       }] AS path,
       roots
