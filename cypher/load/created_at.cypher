// name: load/created_at
// description: The createdAt of stored models, in epoch milliseconds (null when unknown), for breaking cycles that run through stored edges.
// param ids: list of model ids
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN m.id AS id, m.createdAt.epochMillis AS created
