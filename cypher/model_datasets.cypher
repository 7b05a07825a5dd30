// name: model_datasets
// description: The training datasets of a model and of its ancestors (TRAINED_ON), each once: its license as loaded (null, with described false, when no datasets file described it), the distance of the nearest lineage member naming it (0: the model's own) and every member naming it, nearest first (ties: by id).
// param model_id: the model's id, e.g. "mlabonne/NeuralDaredevil-8B-abliterated"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // every lineage member once (a pruning expand); one shortest path (a BFS) only to those
  // naming datasets, of length 0 to the model itself
  MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(a:Model)
  WITH DISTINCT m, a
  WHERE EXISTS { (a)-[:TRAINED_ON]->(:Dataset) }
  MATCH p = SHORTEST 1 (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->{0,}(a)
  RETURN a, length(p) AS distance
}
MATCH (a)-[:TRAINED_ON]->(d:Dataset)
WITH d, a, distance ORDER BY distance, a.id
WITH d, collect(a.id) AS trained_by, min(distance) AS distance
RETURN d.id AS dataset,
       d.license AS license,
       d.licenseName AS license_name,
       coalesce(d.described, false) AS described,
       distance,
       trained_by
ORDER BY distance, dataset
