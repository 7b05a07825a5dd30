// name: links/counts
// description: What the graph holds beside lineage: models naming datasets, TRAINED_ON edges, Dataset nodes, and the models naming a newVersion with the SUPERSEDED_BY pairs.
// mode: read
CALL () { MATCH ()-[e:TRAINED_ON]->() RETURN count(e) AS trained_on }
CALL () { MATCH (d:Dataset) RETURN count(d) AS datasets }
CALL () { MATCH (m:Model)-[:TRAINED_ON]->() RETURN count(DISTINCT m) AS models_with_datasets }
CALL () {
  MATCH (m:Model) WHERE m.newVersion IS NOT NULL AND NOT m:Missing
  RETURN count(m) AS declared, count(CASE WHEN m.newVersion = m.id THEN 1 END) AS self
}
CALL () { MATCH (m:Model)-[:SUPERSEDED_BY]->(t:Model) RETURN collect([m.id, t.id]) AS successors }
RETURN trained_on, datasets, models_with_datasets, declared, self, successors
