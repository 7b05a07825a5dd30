// name: snapshot/commit
// description: The last write of a snapshot load: its pending record becomes a completed snapshot, and the graph's version becomes $state (the name of the copy of the graph the load keeps; the copy also names this transaction, see store/commits.py). It sets the probe property too, so that the next load's probe (snapshot/probe) creates no property key: a new key is a transaction of its own, which would read as somebody else's write.
// param date: the snapshot's date, YYYY-MM-DD
// param state: the version naming the load's copy of the graph it leaves
// mode: write
MATCH (s:SnapshotPending {date: $date})
SET s:Snapshot
REMOVE s:SnapshotPending
WITH s
MERGE (v:GraphVersion)
SET v.version = $state, v.probe = $state
RETURN s.date AS date
