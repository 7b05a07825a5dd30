// name: snapshot/history
// description: A model's history as the snapshots saw it: firstSeen, lastSeen, deletedAt and, for a deleted model, what it last was (properties as JSON text, bases with relation); current is false when it left the current graph, missing when it stays as a placeholder; first and latest are the first and latest snapshot dates.
// param model_id: the model's id
// mode: read
OPTIONAL MATCH (s:Snapshot)
WITH min(s.date) AS first, max(s.date) AS latest
OPTIONAL MATCH (m:Model {id: $model_id})
OPTIONAL MATCH (h:ModelHistory {id: $model_id})
WITH first, latest, coalesce(m, h) AS m
RETURN m IS NOT NULL AS known, m:Model AS current, m:Missing AS missing, m.firstSeen AS first_seen,
       m.lastSeen AS last_seen, m.deletedAt AS deleted_at, m.lastProperties AS last_properties,
       m.lastBases AS last_bases, m.lastRelations AS last_relations, first, latest
