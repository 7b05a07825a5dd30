// name: snapshot/commit
// description: The last write of a snapshot load: its pending record becomes a completed snapshot.
// param date: the snapshot's date, YYYY-MM-DD
// mode: write
MATCH (s:SnapshotPending {date: $date})
SET s:Snapshot
REMOVE s:SnapshotPending
RETURN s.date AS date
