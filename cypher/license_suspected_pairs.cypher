// name: license_suspected_pairs
// description: For the given models (null: every model) with a SUSPECTED_BASE edge of score at least min_score: each suspected ancestor, that is the suspected base and every ancestor it declares through base edges, with the distance from the model (1 + the shortest number of hops from the suspected base), the edge's score and evidence; an ancestor the model declares itself (reaches through base edges) is left to the declared lineage. One row per (model, suspected base, ancestor), unordered (the caller keeps one per model and ancestor).
// param model_ids: the ids of the models audited, or null for every model, e.g. ["some-org/llama-finetune"]
// param min_score: the lowest SUSPECTED_BASE score taken, e.g. 0.9
// mode: read
MATCH (m:Model)-[s:SUSPECTED_BASE]->(b:Model)
WHERE ($model_ids IS NULL OR m.id IN $model_ids) AND s.score >= $min_score
CALL (b) {
  // min(length(p)) per ancestor is planned as a pruning BFS from the suspected base
  MATCH p = (b)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(a:Model)
  RETURN a, min(length(p)) AS hops
}
WITH m, s, b, a, hops
WHERE a <> m AND NOT EXISTS { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]->(a) }
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       b.id AS suspectedBase,
       s.score AS score,
       coalesce(s.evidence, []) AS evidence,
       a.id AS ancestor,
       a.license AS ancestorLicense,
       a.licenseName AS ancestorLicenseName,
       1 + hops AS distance
