// name: load/stored_derived
// description: Models that carry derived properties, with their stored values (derive.VALUES order).
// mode: read
MATCH (m:Model) WHERE m.family IS NOT NULL OR m.depth IS NOT NULL OR m.descendants IS NOT NULL
RETURN m.id AS id, m.depth AS depth, m.depthVia AS via, m.family AS family, m.descendants AS descendants,
       m.descendantDownloads AS below, m.descendantDownloadsAllTime AS below_all_time
