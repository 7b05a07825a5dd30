// name: load/stored_derived
// description: Models that carry derived properties, with their stored depth, depthVia and family.
// mode: read
MATCH (m:Model) WHERE m.family IS NOT NULL OR m.depth IS NOT NULL
RETURN m.id AS id, m.depth AS depth, m.depthVia AS via, m.family AS family
