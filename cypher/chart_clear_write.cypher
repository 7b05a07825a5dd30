// name: chart_clear_write
// description: Remove up to $limit SUSPECTED_BASE edges (a chart run replaces the previous run's suggestions, a batch per transaction, until none is left).
// param limit: the most edges removed by this call (a transaction's share)
// mode: write
MATCH ()-[s:SUSPECTED_BASE]->()
WITH s LIMIT $limit
DELETE s
RETURN count(s) AS removed
