// name: load/set_depths
// description: Store depth (longest path up to a root) and depthVia (the base on that path) on a batch of models; null clears them.
// param rows: list of {id, depth, via}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m.depth = row.depth, m.depthVia = row.via
