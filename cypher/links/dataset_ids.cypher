// name: links/dataset_ids
// description: The id of every Dataset node (a first load creates the others without a lookup each).
// mode: read
MATCH (d:Dataset)
RETURN d.id AS id
