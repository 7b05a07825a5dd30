// name: impact_upstream
// description: The set's members and all their ancestors, each with its depth and bases (for counting the chains that reach each member).
// param ids: list of model ids
// mode: read
MATCH (d:Model) WHERE d.id IN $ids
// ancestors of each member by a pruning BFS (DISTINCT per start node), then merged: a
// DISTINCT straight after a multi-start var-length MATCH was planned per start node
CALL (d) {
  MATCH (d)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(a:Model)
  RETURN DISTINCT a
}
WITH collect(DISTINCT a) AS above
UNWIND above AS a
WITH a
OPTIONAL MATCH (a)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN a.id AS id, coalesce(a.depth, 0) AS depth, collect(b.id) AS bases
