// name: chart_count
// description: How many SUSPECTED_BASE edges the graph holds.
// mode: read
MATCH ()-[s:SUSPECTED_BASE]->()
RETURN count(s) AS edges
