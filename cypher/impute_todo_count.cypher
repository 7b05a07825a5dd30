// name: impute_todo_count
// description: For `impute --all`: the models (not Missing placeholders) that lack the declared attribute, split into those already imputed, those linked to no other model (nothing to vote with) and those left to do.
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// mode: read
MATCH (m:Model)
WHERE NOT m:Missing AND m[$prop] IS NULL
WITH m[$prop + '_imputed_method'] IS NOT NULL AS done,
     EXISTS { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS linked
RETURN count(*) AS lacking,
       count(CASE WHEN done THEN 1 END) AS already_imputed,
       count(CASE WHEN NOT done AND NOT linked THEN 1 END) AS isolated,
       count(CASE WHEN NOT done AND linked THEN 1 END) AS todo
