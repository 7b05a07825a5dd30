// name: bom_lineage
// description: A model and every ancestor, each once, with its Hub facts, its direct bases (relation) and the datasets it was trained on (TRAINED_ON, with their licenses), so the caller rebuilds the exact lineage DAG (merges have several bases) and every training dataset along it for a bill of materials.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // DISTINCT ancestors by a pruning BFS: no enumeration of paths
  OPTIONAL MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]->(a:Model)
  RETURN collect(DISTINCT a) AS ancestors
}
UNWIND [m] + ancestors AS n
CALL (n) {
  // every base of a lineage member is itself a member, so these edges are the whole DAG
  OPTIONAL MATCH (n)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(p:Model)
  WITH r, p ORDER BY p.id
  RETURN collect(CASE WHEN p IS NOT NULL THEN {
    id: p.id,
    relation: {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)]
  } END) AS bases
}
CALL (n) {
  OPTIONAL MATCH (n)-[:TRAINED_ON]->(d:Dataset)
  WITH d ORDER BY d.id
  // a dataset no datasets file described has only its id: its license is not known, not absent
  RETURN collect(d {.id, .license, .licenseName, .downloads, described: coalesce(d.described, false)}) AS datasets
}
RETURN n.id AS id,
       n:Missing AS missing,
       n.pipelineTag AS pipelineTag,
       n.libraryName AS libraryName,
       n.parameters AS parameters,
       n.downloads AS downloads,
       toString(n.createdAt) AS createdAt,
       bases,
       datasets
ORDER BY n.id = $model_id DESC, n.id
