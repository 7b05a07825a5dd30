// name: links/successors
// description: SUPERSEDED_BY edges follow Model.newVersion: an edge from each current model to the current model its newVersion names (not itself), no other.
// mode: write
CALL () {
  MATCH (m)-[e:SUPERSEDED_BY]->(t)
  WHERE NOT m:Model OR m:Missing OR m.newVersion IS NULL OR t.id <> m.newVersion OR NOT t:Model OR t:Missing
  DELETE e
  RETURN count(e) AS deleted
}
CALL () {
  MATCH (m:Model)
  WHERE m.newVersion IS NOT NULL AND m.newVersion <> m.id AND NOT m:Missing
  MATCH (t:Model {id: m.newVersion})
  WHERE NOT t:Missing
  MERGE (m)-[:SUPERSEDED_BY]->(t)
  RETURN count(t) AS edges
}
RETURN deleted, edges
