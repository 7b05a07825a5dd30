// name: links/drop_unnamed_datasets
// description: Delete Dataset nodes that no model names and no datasets file described (what a fresh load would not hold).
// mode: write
MATCH (d:Dataset)
WHERE d.described IS NULL AND NOT EXISTS { (d)<-[:TRAINED_ON]-() }
DELETE d
RETURN count(d) AS deleted
