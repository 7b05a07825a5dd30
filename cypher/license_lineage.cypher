// name: license_lineage
// description: A model's declared license, its direct bases, its datasets, and every ancestor once (license, licenseName, direct bases, datasets): the lineage DAG, from which the caller finds each ancestor's shortest distance and, where a conflict needs one, a shortest path, and the training data of the model and its ancestors (each dataset's license, licenseName and whether a datasets file described it). Its size is the lineage's (models, edges and TRAINED_ON edges), never one path per ancestor.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // DISTINCT ancestors by a pruning BFS: no enumeration of paths
  OPTIONAL MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]->(a:Model)
  WITH DISTINCT a
  CALL (a) {
    OPTIONAL MATCH (a)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(p:Model)
    WITH r, p ORDER BY p.id
    RETURN collect(CASE WHEN p IS NOT NULL THEN {
      id: p.id,
      relation: {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)]
    } END) AS bases
  }
  CALL (a) {
    OPTIONAL MATCH (a)-[:TRAINED_ON]->(d:Dataset)
    WITH d ORDER BY d.id
    RETURN collect(d {.id, .license, .licenseName, described: coalesce(d.described, false)}) AS datasets
  }
  WITH a, bases, datasets ORDER BY a.id
  RETURN collect(CASE WHEN a IS NOT NULL THEN {
    id: a.id, license: a.license, licenseName: a.licenseName, missing: a:Missing, bases: bases, datasets: datasets
  } END) AS ancestors
}
CALL (m) {
  OPTIONAL MATCH (m)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(p:Model)
  WITH r, p ORDER BY p.id
  RETURN collect(CASE WHEN p IS NOT NULL THEN {
    id: p.id,
    relation: {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)]
  } END) AS bases
}
CALL (m) {
  OPTIONAL MATCH (m)-[:TRAINED_ON]->(d:Dataset)
  WITH d ORDER BY d.id
  RETURN collect(d {.id, .license, .licenseName, described: coalesce(d.described, false)}) AS datasets
}
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       m:Missing AS missing,
       bases,
       datasets,
       ancestors
