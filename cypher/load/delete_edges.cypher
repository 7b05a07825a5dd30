// name: load/delete_edges
// description: Delete stored base edges (child)->(base) of any relation: edges of models a load does not replace that close a cycle with the load's edges.
// param rows: list of {child, base}
// mode: write
UNWIND $rows AS row
MATCH (c:Model {id: row.child})-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model {id: row.base})
DELETE e
