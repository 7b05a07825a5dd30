// name: stats_family_sizes
// description: The family-size distribution: how many families (weakly connected components with at least one edge, the stored `family` key) have each size.
// mode: read
MATCH (m:Model)
WHERE m.family IS NOT NULL
WITH m.family AS family, count(*) AS size
RETURN size, count(*) AS families
ORDER BY size
