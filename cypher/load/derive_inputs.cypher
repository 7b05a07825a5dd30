// name: load/derive_inputs
// description: What the derived properties are computed from, and their stored values: one row per model on a base edge or carrying a derived property, in records of $chunk rows (a list per record: one record per model cost the driver 4x the time). Each record holds `columns` (the names of a row's values) and `rows`.
// param chunk: rows per record, e.g. 20000
// mode: read
MATCH (m:Model)
WHERE EXISTS { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() }
   OR m.family IS NOT NULL OR m.depth IS NOT NULL OR m.descendants IS NOT NULL OR m.pathsFromRoots IS NOT NULL
WITH collect([m.id, [(m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b) | b.id], m.downloads,
              m.downloadsAllTime, m.depth, m.depthVia, m.family, m.descendants, m.descendantDownloads,
              m.descendantDownloadsAllTime, m.orphanedIfDeleted, m.pathsFromRoots, m.pathsToLeaves]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS start
RETURN ["id", "bases", "downloads", "downloadsAllTime", "depth", "via", "family", "descendants", "below",
        "below_all_time", "orphaned", "paths_up", "paths_down"] AS columns,
       rows[start..start + $chunk] AS rows
