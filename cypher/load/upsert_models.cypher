// name: load/upsert_models
// description: Upsert a batch of models with their derived properties (a deleted model kept as history becomes current again): properties replaced by the row's, the Missing label removed, and, where row.replace is true, the old base edges deleted (load/merge_edges writes the new ones in the same transaction).
// param rows: list of {id, props: {property: value, ...} (null clears), createdAt, lastModified (epoch milliseconds or null), replace (bool), depth, via, family, descendants, below, below_all_time, orphaned, paths_up, paths_down (null clears)}
// mode: write
UNWIND $rows AS row
// a model deleted by an earlier snapshot (kept as :ModelHistory) is current again: one node per id
CALL (row) {
  MATCH (h:ModelHistory {id: row.id})
  REMOVE h:ModelHistory, h.deletedAt
  SET h:Model
}
MERGE (m:Model {id: row.id})
SET m += row.props,
    m.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    m.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END,
    m.depth = row.depth, m.depthVia = row.via, m.family = row.family, m.descendants = row.descendants,
    m.descendantDownloads = row.below, m.descendantDownloadsAllTime = row.below_all_time,
    m.orphanedIfDeleted = row.orphaned, m.pathsFromRoots = row.paths_up, m.pathsToLeaves = row.paths_down
REMOVE m:Missing
WITH m, row
WHERE row.replace
OPTIONAL MATCH (m)-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
DELETE e
