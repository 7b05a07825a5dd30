// name: license_descendants
// description: A model's declared license and every descendant's (license, licenseName) with its shortest distance in hops, nearest first.
// param model_id: the model's id, e.g. "meta-llama/Meta-Llama-3-8B"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // min(length(p)) per descendant is planned as a pruning BFS: each descendant is reached once
  OPTIONAL MATCH p = (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(d:Model)
  WITH d, min(length(p)) AS distance
  ORDER BY distance, d.id
  RETURN collect(CASE WHEN d IS NOT NULL THEN {
    id: d.id, license: d.license, licenseName: d.licenseName, distance: distance
  } END) AS descendants
}
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       m:Missing AS missing,
       descendants
