// name: license_training_pairs
// description: Every (model, dataset) pair where the dataset declares one of the given licenses (or, with missing, none) and the model or one of its ancestors is trained on it: the shortest distance in hops from the model up to a model trained on it, and that model (the nearest; on a tie the smallest id); the audit over the whole graph.
// param licenses: the dataset license values (Dataset.license) to report, e.g. ["cc-by-nc-4.0", "cc-by-nc-nd-4.0", "other"]
// param missing: whether datasets with no license are reported too, e.g. true
// mode: read
MATCH (d:Dataset)
WHERE d.license IN $licenses OR ($missing AND d.license IS NULL)
// one dataset at a time: the grouping per model holds one dataset's reach, never the graph's
CALL (d) {
  MATCH (t:Model)-[:TRAINED_ON]->(d)
  CALL (t) {
    // min(length(p)) per descendant is planned as a pruning BFS from each trained model
    MATCH p = (t)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]-(m:Model)
    RETURN m, min(length(p)) AS distance
  }
  WITH m, distance, t ORDER BY distance, t.id
  RETURN m, min(distance) AS distance, head(collect(t.id)) AS via
}
RETURN m.id AS id,
       m.license AS license,
       m.licenseName AS licenseName,
       d.id AS dataset,
       d.license AS datasetLicense,
       d.licenseName AS datasetLicenseName,
       coalesce(d.described, false) AS described,
       distance,
       via
