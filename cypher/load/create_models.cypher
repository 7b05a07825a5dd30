// name: load/create_models
// description: Create a batch of models in an empty graph with their derived properties (the loader's fast path; each id comes once).
// param rows: list of {id, props: {property: value, ...}, createdAt, lastModified (epoch milliseconds or null), depth, via, family, descendants, below, below_all_time, orphaned, paths_up, paths_down (null or absent: no such property)}
// mode: write
UNWIND $rows AS row
CREATE (m:Model {id: row.id})
SET m += row.props,
    m.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    m.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END,
    m.depth = row.depth, m.depthVia = row.via, m.family = row.family, m.descendants = row.descendants,
    m.descendantDownloads = row.below, m.descendantDownloadsAllTime = row.below_all_time,
    m.orphanedIfDeleted = row.orphaned, m.pathsFromRoots = row.paths_up, m.pathsToLeaves = row.paths_down
