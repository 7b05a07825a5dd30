// name: load/create_placeholders
// description: Create :Missing placeholders in an empty graph with their derived properties (the loader's fast path: each id comes once and is no model of the file).
// param rows: list of {id, depth, via, family, descendants, below, below_all_time, orphaned, paths_up, paths_down} (null: no such property)
// mode: write
UNWIND $rows AS row
CREATE (m:Model:Missing {id: row.id})
SET m.depth = row.depth, m.depthVia = row.via, m.family = row.family, m.descendants = row.descendants,
    m.descendantDownloads = row.below, m.descendantDownloadsAllTime = row.below_all_time,
    m.orphanedIfDeleted = row.orphaned, m.pathsFromRoots = row.paths_up, m.pathsToLeaves = row.paths_down
