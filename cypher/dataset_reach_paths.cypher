// name: dataset_reach_paths
// description: A dataset's reach as paths, for Neo4j Browser's graph view: the dataset, each model trained on it (TRAINED_ON) and every base edge between two models of the reach (the trained models and their descendants), so each descendant hangs from the models it derives from. `dataset_reach` and `hflineage dataset` count the same models.
// param dataset_id: the dataset's id, e.g. "WizardLM/WizardLM_evol_instruct_V2_196k"
// mode: read
MATCH (d:Dataset {id: $dataset_id})
CALL (d) {
  // the reach once, by a pruning expand from each trained model (no path enumeration)
  MATCH (d)<-[:TRAINED_ON]-(t:Model)
  MATCH (t)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*0..]-(x:Model)
  RETURN collect(DISTINCT x) AS reach
}
CALL (d, reach) {
  MATCH p = (d)<-[:TRAINED_ON]-(:Model)
  RETURN p
  UNION
  UNWIND reach AS x
  MATCH p = (x)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
  WHERE b IN reach
  RETURN p
}
RETURN p
