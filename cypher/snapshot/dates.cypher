// name: snapshot/dates
// description: The first and the latest completed snapshot dates (null when there is none).
// mode: read
OPTIONAL MATCH (s:Snapshot)
RETURN min(s.date) AS first, max(s.date) AS latest, count(s) AS snapshots
