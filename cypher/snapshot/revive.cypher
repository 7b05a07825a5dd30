// name: snapshot/revive
// description: Deleted models that a newer snapshot holds again (as a model, or as a base no row describes: missing) come back into the current graph; their history stays until the model's row is written.
// param rows: list of {id, missing}
// mode: write
UNWIND $rows AS row
MATCH (h:ModelHistory {id: row.id})
REMOVE h:ModelHistory
SET h:Model
FOREACH (_ IN CASE WHEN row.missing THEN [1] ELSE [] END | SET h:Missing)
RETURN count(h) AS revived
