// name: lineage_paths
// description: A model's lineage as paths, for Neo4j Browser's graph view: every base edge above the model up to its roots, and its 25 most downloaded derived models (ranked with their own descendants' downloads).
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // every ancestor once (a pruning expand, no path enumeration), then each of its base edges
  MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(a:Model)
  WITH DISTINCT a
  MATCH p = (a)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(:Model)
  RETURN p
  UNION
  MATCH p = (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(c:Model)
  WITH p, c ORDER BY coalesce(c.downloads, 0) + coalesce(c.descendantDownloads, 0) DESC, c.id LIMIT 25
  RETURN p
  UNION
  MATCH p = (m)
  RETURN p
}
RETURN p
