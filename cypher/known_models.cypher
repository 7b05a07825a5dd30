// name: known_models
// description: Which of the given ids are nodes of the current graph (models and :Missing placeholders); callers send long id lists in batches.
// param ids: list of model ids, e.g. ["meta-llama/Llama-3.1-8B"]
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN m.id AS id
