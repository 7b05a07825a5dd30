// name: impute_hub
// description: Hub imputation for one model: its siblings (models with an edge to one of its direct bases), of which the labelled ones (a declared $prop, not in $hidden) are tallied per value with the distance of each value's nearest supporter (1 when the sibling is also linked to the model itself, else 2); also the labelled count and the first $limit labelled siblings by distance, then id.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// param hidden: ids whose declared value must be ignored (the evaluation's holdout); [] otherwise
// param limit: how many labelled siblings to list (the tally counts them all)
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  MATCH (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(:Model)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(s:Model)
  WHERE s <> m AND s[$prop] IS NOT NULL AND NOT s.id IN $hidden
  WITH DISTINCT s
  RETURN s.id AS id, s[$prop] AS value,
         CASE WHEN EXISTS { (s)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(m) } THEN 1 ELSE 2 END AS distance
}
WITH id, value, distance
ORDER BY distance, id
WITH collect({id: id, distance: distance, value: value}) AS labelled
CALL (labelled) {
  UNWIND labelled AS l
  WITH l.value AS value, count(*) AS votes, min(l.distance) AS nearest
  RETURN collect({value: value, votes: votes, nearest: nearest}) AS tally
}
RETURN size(labelled) AS total, tally, labelled[..$limit] AS neighbours
