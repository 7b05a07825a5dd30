// name: load/create_models
// description: Create a batch of models in an empty graph with their derived properties and their TRAINED_ON edges (the loader's fast path; each id comes once, the Dataset nodes exist).
// param rows: list of {id, props: {property: value, ...}, createdAt, lastModified (epoch milliseconds or null), depth, via, family, descendants, below, below_all_time, orphaned, paths_up, paths_down (null or absent: no such property)}
// param trained: list of {i (the model's position in rows), dataset}, in dataset order: two writers then take the Dataset nodes' locks in the same order and never deadlock on them
// mode: write
UNWIND $rows AS row
CREATE (m:Model {id: row.id})
SET m += row.props,
    m.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    m.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END,
    m.depth = row.depth, m.depthVia = row.via, m.family = row.family, m.descendants = row.descendants,
    m.descendantDownloads = row.below, m.descendantDownloadsAllTime = row.below_all_time,
    m.orphanedIfDeleted = row.orphaned, m.pathsFromRoots = row.paths_up, m.pathsToLeaves = row.paths_down
WITH collect(m) AS models
UNWIND $trained AS edge
MATCH (d:Dataset {id: edge.dataset})
WITH models[edge.i] AS m, d
CREATE (m)-[:TRAINED_ON]->(d)
