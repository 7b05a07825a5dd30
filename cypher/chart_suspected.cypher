// name: chart_suspected
// description: A model's suspected bases (from the last chart run), best first: id, score, relation, evidence.
// param model_id: the model's id, e.g. "some-org/llama-finetune"
// mode: read
MATCH (:Model {id: $model_id})-[s:SUSPECTED_BASE]->(b:Model)
RETURN b.id AS id, s.score AS score, s.relation AS relation, s.evidence AS evidence
ORDER BY score DESC, id
