// name: snapshot/delete_to_missing
// description: Models deleted by a snapshot that current models still name as base: each becomes a :Missing placeholder (no properties but its id, history and derived values), keeping what it last was as history; its own base edges are deleted.
// param rows: list of {id, properties (JSON text of its last properties), bases (ids), relations (one per base)}
// param date: the snapshot's date (deletedAt), YYYY-MM-DD
// param last_seen: the previous snapshot's date, or null
// param first_seen: the first snapshot's date (firstSeen of a model that has none), or null
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m = {id: m.id, depth: m.depth, depthVia: m.depthVia, family: m.family, descendants: m.descendants,
         descendantDownloads: m.descendantDownloads, descendantDownloadsAllTime: m.descendantDownloadsAllTime,
         orphanedIfDeleted: m.orphanedIfDeleted, pathsFromRoots: m.pathsFromRoots, pathsToLeaves: m.pathsToLeaves,
         firstSeen: coalesce(m.firstSeen, $first_seen), deletedAt: $date, lastSeen: $last_seen,
         lastProperties: row.properties, lastBases: row.bases, lastRelations: row.relations}
SET m:Missing
WITH m
OPTIONAL MATCH (m)-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
DELETE e
RETURN count(DISTINCT m) AS deleted
