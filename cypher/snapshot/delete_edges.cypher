// name: snapshot/delete_edges
// description: Delete base edges the new snapshot no longer has (or has with another declared/rule), each named by child, base and edge type. The match starts at the child (a few bases each), never at a popular base (thousands of children).
// param rows: list of {child, base, type}
// mode: write
UNWIND $rows AS row
MATCH (c:Model {id: row.child})
MATCH (c)-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b)
WHERE b.id = row.base AND type(e) = row.type
DELETE e
RETURN count(e) AS deleted
