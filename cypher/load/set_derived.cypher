// name: load/set_derived
// description: Store the derived properties (loader/derive.py) on a batch of models; null clears one.
// param rows: list of {id, depth, via, family, descendants, below, below_all_time, orphaned, paths_up, paths_down}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m.depth = row.depth, m.depthVia = row.via, m.family = row.family, m.descendants = row.descendants,
    m.descendantDownloads = row.below, m.descendantDownloadsAllTime = row.below_all_time,
    m.orphanedIfDeleted = row.orphaned, m.pathsFromRoots = row.paths_up, m.pathsToLeaves = row.paths_down
