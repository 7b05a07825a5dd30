// name: snapshot/begin
// description: Store the record of a snapshot load before its first write, as pending (a re-run after a failure finds it).
// param record: {date, source, ...} (primitive values and lists only)
// mode: write
MERGE (s:SnapshotPending {date: $record.date})
SET s = $record
