// name: links/merge_trained
// description: Create the TRAINED_ON edges of a batch of models to the datasets they name (the Dataset nodes exist).
// param rows: list of {model, datasets (ids)}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.model})
UNWIND row.datasets AS id
MATCH (d:Dataset {id: id})
MERGE (m)-[:TRAINED_ON]->(d)
