// name: impute_knn_level
// description: One level of the breadth-first search behind kNN imputation: the models one hop away (either direction) from $frontier that are in neither $frontier nor $previous, i.e. the next distance. Returns the first $need labelled ones by id (a declared $prop, not in $hidden) and, only when fewer than $need are labelled, every id of the level (the next frontier); otherwise the search stops here.
// param frontier: the ids at the current distance d (to start: the model's id)
// param previous: the ids at distance d-1 (to start: [])
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// param hidden: ids whose declared value must be ignored (the evaluation's holdout); [] otherwise
// param need: how many labelled models are still wanted (at least 1)
// mode: read
UNWIND $frontier AS fid
MATCH (:Model {id: fid})-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(n:Model)
WHERE NOT n.id IN $frontier AND NOT n.id IN $previous
WITH DISTINCT n
WITH n.id AS id, CASE WHEN n.id IN $hidden THEN null ELSE n[$prop] END AS value
WITH collect(id) AS level,
     collect(CASE WHEN value IS NOT NULL THEN {id: id, value: value} END) AS labelled
RETURN COLLECT { UNWIND labelled AS l WITH l ORDER BY l.id LIMIT $need RETURN l } AS labelled,
       CASE WHEN size(labelled) >= $need THEN [] ELSE level END AS next
