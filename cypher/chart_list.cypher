// name: chart_list
// description: Suspected bases, one row per model (its best suggestion) scored at least $min_score, best first: id, base, score, relation, evidence. Suggestions, never declared lineage.
// param min_score: the lowest score listed, e.g. 0.9
// mode: read
MATCH (m:Model)-[s:SUSPECTED_BASE]->(b:Model)
WHERE s.score >= $min_score
WITH m, s, b ORDER BY s.score DESC, b.id
WITH m, head(collect({base: b.id, score: s.score, relation: s.relation, evidence: s.evidence})) AS best
RETURN m.id AS id, best.base AS base, best.score AS score, best.relation AS relation, best.evidence AS evidence
ORDER BY score DESC, id
