// name: impute_declared
// description: Every model with a declared value of the attribute, by id (the evaluation picks its holdout from these).
// param prop: the property holding the attribute, e.g. "license", "pipelineTag", "parameters"
// mode: read
MATCH (m:Model)
WHERE m[$prop] IS NOT NULL
RETURN m.id AS id, m[$prop] AS value
ORDER BY id
