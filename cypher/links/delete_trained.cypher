// name: links/delete_trained
// description: Delete the TRAINED_ON edges of a batch of models to datasets they no longer name.
// param rows: list of {model, datasets (ids)}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.model})-[e:TRAINED_ON]->(d:Dataset)
WHERE d.id IN row.datasets
DELETE e
