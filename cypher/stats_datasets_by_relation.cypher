// name: stats_datasets_by_relation
// description: Models (placeholders left out) counted by relation class and by whether they declare a training dataset (a TRAINED_ON edge, from cardData.datasets or a dataset: tag). The class is the model's relationType (its declared baseModels.relation) when that is one of the four relations, else the type of its base edges (an edge inferred from the card; merge before adapter, quantized and finetune should a model have several), else none (no base).
// mode: read
MATCH (m:Model)
WHERE NOT m:Missing
WITH m, CASE
  WHEN m.relationType IN ['finetune', 'adapter', 'quantized', 'merge'] THEN m.relationType
  WHEN EXISTS { (m)-[:MERGE_OF]->() } THEN 'merge'
  WHEN EXISTS { (m)-[:ADAPTER_OF]->() } THEN 'adapter'
  WHEN EXISTS { (m)-[:QUANTIZATION_OF]->() } THEN 'quantized'
  WHEN EXISTS { (m)-[:FINETUNE_OF]->() } THEN 'finetune'
  ELSE 'none'
END AS relation
RETURN relation, EXISTS { (m)-[:TRAINED_ON]->(:Dataset) } AS with_datasets, count(*) AS models
ORDER BY relation, with_datasets
