// name: snapshot/records
// description: Every completed snapshot record (date, source, counts, the change figures as JSON text), oldest first.
// mode: read
MATCH (s:Snapshot)
RETURN s {.*} AS record
ORDER BY s.date
