// name: links/described_counts
// description: How many Dataset nodes a datasets file described, and how many of those some model names.
// mode: read
MATCH (d:Dataset) WHERE d.described
RETURN count(d) AS described, count(CASE WHEN EXISTS { (d)<-[:TRAINED_ON]-() } THEN 1 END) AS named
