// name: load/model_count
// description: How many models the graph holds (from the count store, O(1)).
// mode: read
MATCH (m:Model) RETURN count(m) AS models
