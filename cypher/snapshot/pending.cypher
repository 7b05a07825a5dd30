// name: snapshot/pending
// description: The record of a snapshot load that started and has not finished (at most one): its figures were computed before anything was written, so a re-run reuses them.
// mode: read
MATCH (s:SnapshotPending)
RETURN s {.*} AS record
