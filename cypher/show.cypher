// name: show
// description: A model's properties, its training datasets with their licenses, its successors (SUPERSEDED_BY, one line), its bases with relation, the Hub-style model tree (direct children by relation), total descendants, subtree downloads (the model and its descendants, each once; 30-day and all-time) and depth; the last three are stored by every load (loader/derive.py).
// param model_id: the model's id, e.g. "meta-llama/Llama-2-7b-chat-hf"
// mode: read
MATCH (m:Model {id: $model_id})
CALL (m) {
  OPTIONAL MATCH (m)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(p:Model)
  WITH r, p ORDER BY p.id
  RETURN collect(CASE WHEN p IS NOT NULL THEN {
    id: p.id,
    relation: {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)],
    declared: r.declared,
    missing: p:Missing
  } END) AS parents
}
// direct children by relation from the degree store (every node is a :Model, so no label check)
WITH m, parents, {
  adapter: COUNT { (m)<-[:ADAPTER_OF]-() },
  finetune: COUNT { (m)<-[:FINETUNE_OF]-() },
  quantized: COUNT { (m)<-[:QUANTIZATION_OF]-() },
  merge: COUNT { (m)<-[:MERGE_OF]-() }
} AS children
CALL (m) {
  OPTIONAL MATCH (m)-[:TRAINED_ON]->(d:Dataset)
  WITH d ORDER BY d.id
  RETURN collect(CASE WHEN d IS NOT NULL THEN {id: d.id, license: d.license} END) AS datasets
}
// a model has at most one successor, so its successor paths are one line (on a cycle, each
// edge once): the longest is the whole walk, and the caller stops it at the first repeat
CALL (m) {
  OPTIONAL MATCH p = (m)-[:SUPERSEDED_BY*]->()
  WITH p ORDER BY length(p) DESC LIMIT 1
  RETURN [n IN nodes(p) | n.id] AS successors
}
RETURN m.id AS id,
       m.license AS license,
       m:Missing AS missing,
       properties(m) AS properties,
       parents,
       children,
       coalesce(m.descendants, 0) AS descendants,
       coalesce(m.downloads, 0) + coalesce(m.descendantDownloads, 0) AS subtree_downloads,
       coalesce(m.downloadsAllTime, 0) + coalesce(m.descendantDownloadsAllTime, 0) AS subtree_downloads_all_time,
       coalesce(m.depth, 0) AS depth,
       datasets,
       m.newVersion AS newer_version,
       coalesce(successors, []) AS successors
