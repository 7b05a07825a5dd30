// name: known_datasets
// description: The ids among a list that are Dataset nodes of the graph.
// param ids: list of dataset ids
// mode: read
UNWIND $ids AS id
MATCH (d:Dataset {id: id})
RETURN d.id AS id
