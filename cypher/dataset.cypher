// name: dataset
// description: One dataset's node: its license and properties (a dataset never described by a datasets file has only its id).
// param dataset_id: the dataset's id, e.g. "teknium/OpenHermes-2.5"
// mode: read
MATCH (d:Dataset {id: $dataset_id})
RETURN d.id AS id, d.license AS license, properties(d) AS properties
