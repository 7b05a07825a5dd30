// name: impact
// description: What deleting a set of models breaks: affected derived models, affected downstream, merges losing a parent, downstream downloads (30-day and all-time), families touched; ids not in the graph are reported and ignored.
// param ids: list of model ids to delete, e.g. ["meta-llama/Llama-3.1-8B"]
// mode: read
WITH $ids AS ids
OPTIONAL MATCH (d:Model) WHERE d.id IN ids
WITH ids, collect(DISTINCT d) AS found
WITH ids, found, [f IN found | f.id] AS deleted
CALL (found, deleted) {
  UNWIND found AS d
  OPTIONAL MATCH (d)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-(c:Model)
  WHERE NOT c.id IN deleted
  RETURN count(DISTINCT c) AS affected_derived
}
CALL (found, deleted) {
  UNWIND found AS d
  OPTIONAL MATCH (d)<-[:MERGE_OF]-(c:Model)
  WHERE NOT c.id IN deleted
  RETURN count(DISTINCT c) AS merges_losing_parent
}
CALL (found, deleted) {
  // descendants of each member by a pruning BFS (DISTINCT per start node), then merged
  UNWIND found AS d
  OPTIONAL CALL (d) {
    MATCH (d)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(x:Model)
    RETURN DISTINCT x
  }
  WITH collect(DISTINCT x) AS below
  UNWIND below AS x
  WITH x WHERE NOT x.id IN deleted
  RETURN count(x) AS affected_downstream,
         sum(coalesce(x.downloads, 0)) AS downstream_downloads,
         sum(coalesce(x.downloadsAllTime, 0)) AS downstream_downloads_all_time
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
       families_touched
