// name: snapshot/commit
// description: The last write of a snapshot load: its pending record becomes a completed snapshot, and the graph's version becomes $state (the name of the copy of the graph the load keeps; the copy also names this transaction, see store/commits.py).
// param date: the snapshot's date, YYYY-MM-DD
// param state: the version naming the load's copy of the graph it leaves
// mode: write
MATCH (s:SnapshotPending {date: $date})
SET s:Snapshot
REMOVE s:SnapshotPending
WITH s
MERGE (v:GraphVersion)
SET v.version = $state
RETURN s.date AS date
