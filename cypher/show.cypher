// name: show
// description: A model's properties, its bases with relation, the Hub-style model tree (direct children by relation), total descendants, subtree downloads (the model and its descendants, each once; 30-day and all-time) and depth.
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
CALL (m) {
  OPTIONAL MATCH (m)<-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(:Model)
  RETURN {
    adapter: count(CASE type(r) WHEN 'ADAPTER_OF' THEN 1 END),
    finetune: count(CASE type(r) WHEN 'FINETUNE_OF' THEN 1 END),
    quantized: count(CASE type(r) WHEN 'QUANTIZATION_OF' THEN 1 END),
    merge: count(CASE type(r) WHEN 'MERGE_OF' THEN 1 END)
  } AS children
}
CALL (m) {
  OPTIONAL MATCH (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(d:Model)
  WITH DISTINCT d
  RETURN count(d) AS descendants,
         sum(coalesce(d.downloads, 0)) AS below_downloads,
         sum(coalesce(d.downloadsAllTime, 0)) AS below_downloads_all_time
}
RETURN m.id AS id,
       m.license AS license,
       m:Missing AS missing,
       properties(m) AS properties,
       parents,
       children,
       descendants,
       coalesce(m.downloads, 0) + below_downloads AS subtree_downloads,
       coalesce(m.downloadsAllTime, 0) + below_downloads_all_time AS subtree_downloads_all_time,
       coalesce(m.depth, 0) AS depth
