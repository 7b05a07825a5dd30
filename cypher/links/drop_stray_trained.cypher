// name: links/drop_stray_trained
// description: Delete TRAINED_ON edges of nodes that no longer name datasets (placeholders, deleted models, models whose datasets were cleared).
// mode: write
MATCH (m)-[e:TRAINED_ON]->()
WHERE NOT m:Model OR m:Missing OR m.datasets IS NULL
DELETE e
RETURN count(e) AS deleted
