// name: stats_top_datasets
// description: The datasets most models were trained on (TRAINED_ON edges), top $limit (ties: smallest id first), each with its license (null when no datasets file described it).
// param limit: how many datasets, e.g. 10
// mode: read
MATCH (d:Dataset)
WITH d, COUNT { (d)<-[:TRAINED_ON]-(:Model) } AS trained
WHERE trained > 0
RETURN d.id AS id, d.license AS license, trained
ORDER BY trained DESC, id
LIMIT $limit
