// name: snapshot/state
// description: The current graph as a snapshot load compares it with the new file: one row per :Model, [id, missing, has history, author, downloads, downloadsAllTime, likes, trendingScore, pipelineTag, libraryName, license, licenseName, parameters, createdAt and lastModified (epoch ms), base edges ([base id, type, declared, rule]), the nine derived properties, modelType, relationType], in records of $chunk rows, the models first and the placeholders after them (the nodes are collected, their values read one record at a time, so the server holds one record of values).
// param chunk: rows per record, e.g. 20000
// mode: read
MATCH (m:Model)
WITH collect(CASE WHEN NOT m:Missing THEN m END) + collect(CASE WHEN m:Missing THEN m END) AS models
UNWIND range(0, size(models) - 1, $chunk) AS start
RETURN [m IN models[start..start + $chunk] |
        [m.id, m:Missing, m.deletedAt IS NOT NULL, m.author, m.downloads, m.downloadsAllTime, m.likes,
         m.trendingScore, m.pipelineTag, m.libraryName, m.license, m.licenseName, m.parameters,
         m.createdAt.epochMillis, m.lastModified.epochMillis,
         [(m)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b) | [b.id, type(r), r.declared, r.rule]],
         m.depth, m.depthVia, m.family, m.descendants, m.descendantDownloads, m.descendantDownloadsAllTime,
         m.orphanedIfDeleted, m.pathsFromRoots, m.pathsToLeaves, m.modelType, m.relationType]] AS rows
