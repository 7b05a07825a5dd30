// name: load/models_among
// description: Which of the given ids are models in the graph (not :Missing placeholders).
// param ids: list of model ids
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})
WHERE NOT m:Missing
RETURN m.id AS id
