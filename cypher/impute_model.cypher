// name: impute_model
// description: The model asked about for imputation: its id, its declared value of the attribute (null when it has none), its imputed value if one is stored, and whether it is a Missing placeholder.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B-Instruct"
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// mode: read
MATCH (m:Model {id: $model_id})
RETURN m.id AS id, m[$prop] AS declared, m[$prop + '_imputed'] AS imputed, m:Missing AS missing
