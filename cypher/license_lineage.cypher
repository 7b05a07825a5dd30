// name: license_lineage
// description: A model's declared license and every ancestor's (license, licenseName), each with its shortest distance in hops and one shortest path from the model up to it.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  // DISTINCT ancestors by a pruning BFS, then one shortest path each: no enumeration of all paths
  OPTIONAL MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]->(a:Model)
  WITH DISTINCT a
  OPTIONAL MATCH p = shortestPath((m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]->(a))
  WITH a, p ORDER BY length(p), a.id
  RETURN collect(CASE WHEN a IS NOT NULL THEN {
    id: a.id,
    license: a.license,
    licenseName: a.licenseName,
    missing: a:Missing,
    distance: length(p),
    path: [i IN range(0, length(p)) | {
      id: nodes(p)[i].id,
      relation: CASE WHEN i < length(p) THEN
        {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(relationships(p)[i])]
      END
    }]
  } END) AS ancestors
}
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       m:Missing AS missing,
       ancestors
