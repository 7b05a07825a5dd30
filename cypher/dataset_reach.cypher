// name: dataset_reach
// description: The reach of a set of datasets: the models trained on any of them (TRAINED_ON), their downstream (descendants through base edges that are not trained models themselves), downloads summed over both (each model once; 30-day and all-time), and the families holding a trained model. Ids that are no Dataset are left out of `found`.
// param ids: list of dataset ids, e.g. ["teknium/OpenHermes-2.5"]
// mode: read
OPTIONAL MATCH (d:Dataset) WHERE d.id IN $ids
WITH collect(d) AS found
CALL (found) {
  UNWIND found AS d
  MATCH (m:Model)-[:TRAINED_ON]->(d)
  WHERE NOT m:Missing
  RETURN collect(DISTINCT m) AS trained
}
// descendants of each trained model by a pruning BFS (DISTINCT per start), then merged; most
// models are leaves, and every load stores each model's descendant count: only the others walk
CALL (trained) {
  UNWIND trained AS t
  WITH t WHERE t.descendants > 0
  OPTIONAL CALL (t) {
    MATCH (t)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(x:Model)
    RETURN DISTINCT x
  }
  WITH DISTINCT x
  WHERE x IS NOT NULL AND NOT EXISTS { (x)-[:TRAINED_ON]->(y:Dataset) WHERE y.id IN $ids }
  RETURN collect(x.id) AS downstream,
         sum(coalesce(x.downloads, 0)) AS down_downloads,
         sum(coalesce(x.downloadsAllTime, 0)) AS down_downloads_all_time
}
CALL (trained) {
  UNWIND trained AS m
  RETURN count(DISTINCT coalesce(m.family, m.id)) AS families
}
RETURN [d IN found | d.id] AS found,
       [m IN trained | {id: m.id, license: m.license, downloads: m.downloads}] AS trained,
       downstream,
       reduce(s = 0, m IN trained | s + coalesce(m.downloads, 0)) + down_downloads AS downloads,
       reduce(s = 0, m IN trained | s + coalesce(m.downloadsAllTime, 0)) + down_downloads_all_time AS downloads_all_time,
       families
