// name: schema/history_id_unique
// description: Deleted models kept as history (:ModelHistory, out of the current graph) are unique by id; a snapshot load finds the ones added again by it.
// mode: write
CREATE CONSTRAINT history_id_unique IF NOT EXISTS FOR (h:ModelHistory) REQUIRE h.id IS UNIQUE
