// name: snapshot/history_ids
// description: Which of the given ids are deleted models kept as history (:ModelHistory).
// param ids: list of model ids
// mode: read
UNWIND $ids AS id
MATCH (h:ModelHistory {id: id})
RETURN h.id AS id
