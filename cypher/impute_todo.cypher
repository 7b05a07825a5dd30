// name: impute_todo
// description: For `impute --all`: the next $limit models by id after $after that lack the declared attribute, have no imputed value yet, are not Missing placeholders and are linked to at least one other model.
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// param after: the last id of the previous batch ("" to start)
// param limit: the batch size, e.g. 500
// mode: read
MATCH (m:Model)
WHERE m.id > $after AND NOT m:Missing AND m[$prop] IS NULL AND m[$prop + '_imputed_method'] IS NULL
  AND EXISTS { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() }
RETURN m.id AS id
ORDER BY id
LIMIT $limit
