// name: snapshot/delete_to_history
// description: Models deleted by a snapshot that no current model names as base: each leaves the current graph (label :ModelHistory instead of :Model, no edges, no derived values) and keeps what it last was.
// param rows: list of {id, properties (JSON text of its last properties), bases (ids), relations (one per base)}
// param date: the snapshot's date (deletedAt), YYYY-MM-DD
// param last_seen: the previous snapshot's date, or null
// param first_seen: the first snapshot's date (firstSeen of a model that has none), or null
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m = {id: m.id, firstSeen: coalesce(m.firstSeen, $first_seen), deletedAt: $date, lastSeen: $last_seen,
         lastProperties: row.properties, lastBases: row.bases, lastRelations: row.relations}
REMOVE m:Model:Missing
SET m:ModelHistory
WITH m
OPTIONAL MATCH (m)-[e]-()
DELETE e
RETURN count(DISTINCT m) AS deleted
