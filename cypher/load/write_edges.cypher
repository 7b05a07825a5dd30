// name: load/write_edges
// description: Create a batch of base edges (child)-[:TYPE {declared, rule}]->(base); the edge type comes from a fixed list, never from text.
// param rows: list of {child, base, type, declared, rule}; type is one of FINETUNE_OF, ADAPTER_OF, QUANTIZATION_OF, MERGE_OF
// mode: write
UNWIND $rows AS row
MATCH (c:Model {id: row.child})
MATCH (b:Model {id: row.base})
FOREACH (_ IN CASE WHEN row.type = 'FINETUNE_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:FINETUNE_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'ADAPTER_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:ADAPTER_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'QUANTIZATION_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:QUANTIZATION_OF {declared: row.declared, rule: row.rule}]->(b))
FOREACH (_ IN CASE WHEN row.type = 'MERGE_OF' THEN [1] ELSE [] END |
  CREATE (c)-[:MERGE_OF {declared: row.declared, rule: row.rule}]->(b))
