// name: load/create_missing
// description: Placeholders for bases that children reference but no row describes; an existing node is left as it is.
// param ids: list of model ids
// mode: write
UNWIND $ids AS id
MERGE (m:Model {id: id})
ON CREATE SET m:Missing
RETURN count(m) AS touched
