// name: snapshot/commit
// description: The last write of a snapshot load: its pending record becomes a completed snapshot, and the graph's version becomes $state (the name of the copy of the graph the load keeps), unless another connection wrote since this one's first write ($mine).
// param date: the snapshot's date, YYYY-MM-DD
// param mine: the version this connection's first write set
// param state: the version naming the load's copy of the graph it leaves
// mode: write
MATCH (s:SnapshotPending {date: $date})
SET s:Snapshot
REMOVE s:SnapshotPending
WITH s
OPTIONAL MATCH (v:GraphVersion)
WITH s, collect(v) AS versions
FOREACH (v IN CASE WHEN size(versions) = 1 AND versions[0].version = $mine THEN versions ELSE [] END |
  SET v.version = $state)
FOREACH (_ IN CASE WHEN size(versions) = 0 THEN [1] ELSE [] END | CREATE (:GraphVersion {version: $state}))
RETURN s.date AS date
