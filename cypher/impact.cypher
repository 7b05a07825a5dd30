// name: impact
// description: What deleting a set of models breaks: affected derived models, affected downstream, merges losing a parent, downstream downloads (30-day and all-time), families touched; plus the subgraphs below and above the set (parallel lists) from which the library counts orphans and disrupted chains. Ids not in the graph are reported and ignored.
// param ids: list of model ids to delete, e.g. ["meta-llama/Llama-3.1-8B"]
// mode: read
WITH $ids AS ids
OPTIONAL MATCH (d:Model) WHERE d.id IN ids
WITH ids, collect(DISTINCT d) AS found
WITH ids, found, [f IN found | f.id] AS deleted
// descendants of each member by a pruning BFS (DISTINCT per start node), then merged: a
// DISTINCT straight after a multi-start var-length MATCH was planned per start node
CALL (found) {
  UNWIND found AS d
  OPTIONAL CALL (d) {
    MATCH (d)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(x:Model)
    RETURN DISTINCT x
  }
  RETURN collect(DISTINCT x) AS below
}
// the downstream models (descendants not in the set), each with its depth and bases
CALL (below, deleted) {
  UNWIND below AS x
  WITH x WHERE NOT x.id IN deleted
  MATCH (x)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
  WITH x, collect(b.id) AS bases, collect(CASE WHEN r:MERGE_OF THEN b.id END) AS merge_bases
  RETURN count(x) AS affected_downstream,
         sum(CASE WHEN any(b IN bases WHERE b IN deleted) THEN 1 ELSE 0 END) AS affected_derived,
         sum(CASE WHEN any(b IN merge_bases WHERE b IN deleted) THEN 1 ELSE 0 END) AS merges_losing_parent,
         sum(coalesce(x.downloads, 0)) AS downstream_downloads,
         sum(coalesce(x.downloadsAllTime, 0)) AS downstream_downloads_all_time,
         collect(x.id) AS down_ids,
         collect(coalesce(x.depth, 0)) AS down_depths,
         collect(bases) AS down_bases,
         collect(merge_bases) AS down_merge_bases
}
// the set's members and all their ancestors, each with its depth and bases
CALL (found) {
  UNWIND found AS d
  OPTIONAL CALL (d) {
    MATCH (d)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]->(a:Model)
    RETURN DISTINCT a
  }
  WITH collect(DISTINCT a) AS above
  UNWIND above AS a
  OPTIONAL MATCH (a)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
  WITH a, collect(b.id) AS bases
  RETURN collect(a.id) AS up_ids, collect(coalesce(a.depth, 0)) AS up_depths, collect(bases) AS up_bases
}
CALL (found) {
  UNWIND found AS d
  RETURN count(DISTINCT coalesce(d.family, d.id)) AS families_touched
}
RETURN deleted,
       [i IN ids WHERE NOT i IN deleted] AS unknown,
       affected_derived,
       affected_downstream,
       merges_losing_parent,
       downstream_downloads,
       downstream_downloads_all_time,
       families_touched,
       down_ids, down_depths, down_bases, down_merge_bases,
       up_ids, up_depths, up_bases
