// name: chart_write
// description: Store a batch of suspected bases as (:Model)-[:SUSPECTED_BASE {score, relation, evidence, method, rank}]->(:Model); a placeholder is never a suspected base.
// param rows: list of {id, base, score (0..1), relation, evidence (list of strings), method, rank (1 = best)}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
MATCH (b:Model {id: row.base})
WHERE NOT b:Missing AND b <> m
CREATE (m)-[s:SUSPECTED_BASE]->(b)
SET s.score = row.score, s.relation = row.relation, s.evidence = row.evidence, s.method = row.method,
    s.rank = row.rank
RETURN count(s) AS written
