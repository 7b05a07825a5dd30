// name: impute_knn_level
// description: One level of the breadth-first search behind kNN imputation: the models one hop away (either direction) from $frontier that are in neither $frontier nor $previous, i.e. the next distance. Returns the first $need labelled ones by id (a declared $prop, not in $hidden) and, only when fewer than $need are labelled, every id of the level (the next frontier); otherwise the search stops here. A frontier model with at least $hub_degree edges (a hub: tens of thousands of children) is not expanded: its labelled neighbours are found by walking the id index in order, which reads about $need x (models / degree) ids instead of every neighbour; after $scan ids without $need of them, the hubs are expanded after all.
// param frontier: the ids at the current distance d (to start: the model's id)
// param previous: the ids at distance d-1 (to start: [])
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// param hidden: ids whose declared value must be ignored (the evaluation's holdout); [] otherwise
// param need: how many labelled models are still wanted (at least 1)
// param hub_degree: edges from which a frontier model counts as a hub, e.g. 7000 for 2.5M models (the library uses sqrt(4 x need x models))
// param scan: how many ids the index walk may read, e.g. 35000 for 2.5M models (the library uses 10 x sqrt(need x models))
// mode: read
MATCH (f:Model) WHERE f.id IN $frontier
WITH f, COUNT { (f)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS degree
WITH collect(CASE WHEN degree >= $hub_degree THEN f END) AS hubs,
     collect(CASE WHEN degree < $hub_degree THEN f END) AS small
// (a) hubs: walk the id index in order, keep labelled neighbours of a hub, stop at $need
CALL (hubs) {
  // no hubs: a null bound, so the seek reads nothing (a WHERE size(hubs) > 0 here was planned
  // as a filter after the walk, which then read the whole index; an UNWIND lost the index order)
  WITH hubs, CASE WHEN size(hubs) > 0 THEN '' END AS lowest
  MATCH (n:Model) WHERE n.id > lowest
  WITH n, hubs ORDER BY n.id
  LIMIT $scan
  WHERE n[$prop] IS NOT NULL AND NOT n.id IN $hidden AND NOT n.id IN $frontier AND NOT n.id IN $previous
    AND EXISTS { MATCH (n)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(h) WHERE h IN hubs }
  WITH n LIMIT $need
  RETURN collect({id: n.id, value: n[$prop]}) AS walked
}
// (b) the other frontier models, and the hubs as well when the walk stopped short of $need
CALL (hubs, small, walked) {
  UNWIND small + CASE WHEN size(walked) < $need THEN hubs ELSE [] END AS f
  MATCH (f)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(n:Model)
  WHERE NOT n.id IN $frontier AND NOT n.id IN $previous
  WITH DISTINCT n
  WITH n.id AS id, CASE WHEN n.id IN $hidden THEN null ELSE n[$prop] END AS value
  RETURN collect(id) AS level,
         collect(CASE WHEN value IS NOT NULL THEN {id: id, value: value} END) AS expanded
}
// a complete walk's models may also be neighbours of a non-hub (at most $need to check)
WITH level, expanded + CASE WHEN size(walked) < $need THEN [] ELSE [w IN walked WHERE NOT w IN expanded] END AS labelled
WITH level, COLLECT { UNWIND labelled AS l WITH l ORDER BY l.id LIMIT $need RETURN l } AS labelled
RETURN labelled, CASE WHEN size(labelled) >= $need THEN [] ELSE level END AS next
