// name: license_lineage
// description: A model's declared license, its direct bases, and every ancestor once (license, licenseName, direct bases): the lineage DAG, from which the caller finds each ancestor's shortest distance and, where a conflict needs one, a shortest path. Its size is the lineage's (models plus edges), never one path per ancestor.
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
  WITH a, bases ORDER BY a.id
  RETURN collect(CASE WHEN a IS NOT NULL THEN {
    id: a.id, license: a.license, licenseName: a.licenseName, missing: a:Missing, bases: bases
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
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       m:Missing AS missing,
       bases,
       ancestors
