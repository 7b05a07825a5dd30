// name: chart_clear_write
// description: Remove every SUSPECTED_BASE edge (a chart run replaces the previous run's suggestions).
// mode: write
MATCH ()-[s:SUSPECTED_BASE]->()
DELETE s
RETURN count(s) AS removed
