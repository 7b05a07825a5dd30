// name: links/datasets_state
// description: Every current model that names training datasets, with the datasets its TRAINED_ON edges reach, in records of $chunk rows ([id, datasets, trained]); the loader writes the difference.
// param chunk: rows per record, e.g. 20000
// mode: read
MATCH (m:Model)
WHERE m.datasets IS NOT NULL AND NOT m:Missing
WITH collect(m) AS models
UNWIND range(0, size(models) - 1, $chunk) AS start
RETURN [m IN models[start..start + $chunk] | [m.id, m.datasets, [(m)-[:TRAINED_ON]->(d) | d.id]]] AS rows
