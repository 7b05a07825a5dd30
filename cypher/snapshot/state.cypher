// name: snapshot/state
// description: The current graph as a snapshot load compares it with the new file: every :Model (the models first, the placeholders after them), in records of $chunk rows. Each record holds `columns` (the names of the values of a row) and `rows`: id, missing, history, the properties named in $props, createdAt and lastModified (epoch ms), bases ([base id, type, declared, rule] per base edge) and the nine derived properties. The nodes are collected and their values read one record at a time, so the server holds one record of values.
// param chunk: rows per record, e.g. 20000
// param props: the model properties to return, e.g. ["author", "downloads"]
// mode: read
MATCH (m:Model)
WITH collect(CASE WHEN NOT m:Missing THEN m END) + collect(CASE WHEN m:Missing THEN m END) AS models
UNWIND range(0, size(models) - 1, $chunk) AS start
RETURN ["id", "missing", "history"] + $props +
       ["createdAt", "lastModified", "bases", "depth", "via", "family", "descendants", "below", "below_all_time",
        "orphaned", "paths_up", "paths_down"] AS columns,
       [m IN models[start..start + $chunk] |
        [m.id, m:Missing, m.deletedAt IS NOT NULL] + [p IN $props | m[p]] +
        [m.createdAt.epochMillis, m.lastModified.epochMillis,
         [(m)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b) | [b.id, type(r), r.declared, r.rule]],
         m.depth, m.depthVia, m.family, m.descendants, m.descendantDownloads, m.descendantDownloadsAllTime,
         m.orphanedIfDeleted, m.pathsFromRoots, m.pathsToLeaves]] AS rows
