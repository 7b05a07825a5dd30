// name: load/node_count
// description: How many nodes the graph holds besides the load lock (models and placeholders).
// mode: read
MATCH (n) WHERE NOT n:LoadLock RETURN count(n) AS nodes
