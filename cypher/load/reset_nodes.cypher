// name: load/reset_nodes
// description: Delete every node and relationship but the load lock, in transactions of 10,000 nodes (run in an implicit transaction: db reset).
// mode: write
MATCH (n) WHERE NOT n:LoadLock
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
