// name: links/merge_trained
// description: Create a batch of TRAINED_ON edges (the Model and Dataset nodes exist); the loader orders each batch so that two writers lock shared nodes in the same order.
// param rows: list of {model, dataset}
// mode: write
UNWIND $rows AS row
MATCH (d:Dataset {id: row.dataset})
MATCH (m:Model {id: row.model})
MERGE (m)-[:TRAINED_ON]->(d)
