// name: load/await_indexes
// description: Wait until every index and constraint is online (after the schema is created on an imported graph); fails after $seconds.
// param seconds: the longest wait, in seconds
// mode: read
CALL db.awaitIndexes($seconds)
