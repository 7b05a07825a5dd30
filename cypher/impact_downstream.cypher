// name: impact_downstream
// description: The downstream subgraph of a set of models: every descendant not in the set, with its depth, its bases and which of them it merges (for orphans and chain counts).
// param ids: list of model ids
// mode: read
MATCH (d:Model) WHERE d.id IN $ids
// descendants of each member by a pruning BFS (DISTINCT per start node), then merged: a
// DISTINCT straight after a multi-start var-length MATCH was planned per start node
CALL (d) {
  MATCH (d)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(x:Model)
  RETURN DISTINCT x
}
WITH collect(DISTINCT x) AS below
UNWIND below AS x
WITH x
WHERE NOT x.id IN $ids
MATCH (x)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN x.id AS id,
       coalesce(x.depth, 0) AS depth,
       collect(b.id) AS bases,
       collect(CASE WHEN r:MERGE_OF THEN b.id END) AS merge_bases
