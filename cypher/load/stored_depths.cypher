// name: load/stored_depths
// description: Models whose stored depth is set, with the depth and the base it was reached through.
// mode: read
MATCH (m:Model) WHERE m.depth IS NOT NULL
RETURN m.id AS id, m.depth AS depth, m.depthVia AS via
