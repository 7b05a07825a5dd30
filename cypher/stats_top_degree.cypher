// name: stats_top_degree
// description: The models with most derived models (in-degree) and with most bases (out-degree), top $limit each.
// param limit: how many models per list, e.g. 10
// mode: read
CALL () {
  MATCH (m:Model)
  WITH m, COUNT { (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS degree
  WHERE degree > 0
  RETURN m ORDER BY degree DESC, m.id LIMIT $limit
  UNION
  MATCH (m:Model)
  WITH m, COUNT { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->() } AS degree
  WHERE degree > 0
  RETURN m ORDER BY degree DESC, m.id LIMIT $limit
}
RETURN m.id AS id,
       m.pipelineTag AS pipeline_tag,
       COUNT { (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS in_degree,
       COUNT { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->() } AS out_degree
