// name: deleted_impact
// description: What the deletion of a model (by a snapshot load) broke: when, what it last was, and, while current models still name it as base (it is then a :Missing placeholder), the models built on it directly with their relation, how many models derive from it and their downloads. Paste with `:param model_id => "..."`.
// param model_id: the deleted model's id, e.g. "org/deleted-base"
// mode: read
OPTIONAL MATCH (current:Model {id: $model_id})
OPTIONAL MATCH (history:ModelHistory {id: $model_id})
WITH coalesce(current, history) AS m
WHERE m.deletedAt IS NOT NULL
OPTIONAL MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(m)
WITH m, c, r ORDER BY c.id
RETURN m.id AS id, m.deletedAt AS deleted_at, m.lastSeen AS last_seen, m.lastBases AS last_bases,
       m.lastRelations AS last_relations, m:Model AS still_referenced,
       collect(CASE WHEN c IS NOT NULL THEN {id: c.id,
         relation: {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)]} END)
         AS affected_derived,
       coalesce(m.descendants, 0) AS affected_downstream,
       coalesce(m.descendantDownloads, 0) AS downstream_downloads,
       coalesce(m.descendantDownloadsAllTime, 0) AS downstream_downloads_all_time
