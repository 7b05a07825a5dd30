// name: stats_dataset_reach
// description: The datasets with the widest downstream reach, top $limit (ties: smallest id first). A dataset's reach is the models trained on it (TRAINED_ON) and their descendants through base edges, each model once: trained + downstream, as `hflineage dataset` counts them; downloads (30 days) are summed over the same models.
// param limit: how many datasets, e.g. 10
// mode: read
MATCH (d:Dataset)
WHERE EXISTS { (d)<-[:TRAINED_ON]-(:Model) }
CALL (d) {
  MATCH (d)<-[:TRAINED_ON]-(t:Model)
  RETURN collect(t) AS trained
}
// descendants of each trained model by a pruning BFS (DISTINCT per start), then merged
CALL (d, trained) {
  UNWIND trained AS t
  OPTIONAL CALL (t) {
    MATCH (t)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(x:Model)
    RETURN DISTINCT x
  }
  WITH DISTINCT x
  WHERE x IS NOT NULL AND NOT EXISTS { (x)-[:TRAINED_ON]->(d) }
  RETURN count(x) AS downstream, sum(coalesce(x.downloads, 0)) AS down_downloads
}
RETURN d.id AS id,
       d.license AS license,
       size(trained) AS trained,
       downstream,
       size(trained) + downstream AS reach,
       reduce(s = 0, t IN trained | s + coalesce(t.downloads, 0)) + down_downloads AS downloads
ORDER BY reach DESC, id
LIMIT $limit
