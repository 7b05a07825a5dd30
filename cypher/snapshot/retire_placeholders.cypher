// name: snapshot/retire_placeholders
// description: Placeholders no current model names as base any more: one that was a model (it has history) leaves the current graph as :ModelHistory, keeping its history; one that never was a model is deleted.
// param ids: list of placeholder ids
// mode: write
UNWIND $ids AS id
MATCH (m:Model:Missing {id: id})
WHERE NOT EXISTS { (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() }
WITH m, m.deletedAt IS NOT NULL AS was_model
FOREACH (_ IN CASE WHEN was_model THEN [1] ELSE [] END |
  SET m = {id: m.id, firstSeen: m.firstSeen, deletedAt: m.deletedAt, lastSeen: m.lastSeen,
           lastProperties: m.lastProperties, lastBases: m.lastBases, lastRelations: m.lastRelations}
  REMOVE m:Model:Missing
  SET m:ModelHistory)
FOREACH (_ IN CASE WHEN was_model THEN [] ELSE [1] END | DETACH DELETE m)
RETURN count(*) AS retired
