// name: load/set_derived
// description: Store depth (longest path up to a root), depthVia (the base on that path) and family (component key) on a batch of models; null clears them.
// param rows: list of {id, depth, via, family}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m.depth = row.depth, m.depthVia = row.via, m.family = row.family
