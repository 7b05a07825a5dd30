// name: load/merge_edges
// description: Create a batch of base edges (child)-[:TYPE {declared, rule}]->(base); a base not in the graph yet is created as a :Missing placeholder (its own row, later in the load, completes it). The edge type comes from a fixed list, never from text.
// param rows: list of {child, base, type, declared, rule}; type is one of FINETUNE_OF, ADAPTER_OF, QUANTIZATION_OF, MERGE_OF
// mode: write
UNWIND $rows AS row
MATCH (c:Model {id: row.child})
// a base deleted by an earlier snapshot (kept as :ModelHistory) is a placeholder of the current graph again
CALL (row) {
  MATCH (h:ModelHistory {id: row.base})
  REMOVE h:ModelHistory
  SET h:Model:Missing
}
MERGE (b:Model {id: row.base})
ON CREATE SET b:Missing
FOREACH (_ IN CASE WHEN row.type = 'FINETUNE_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:FINETUNE_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'ADAPTER_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:ADAPTER_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'QUANTIZATION_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:QUANTIZATION_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'MERGE_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:MERGE_OF {declared: row.declared, rule: row.rule}]->(b))
