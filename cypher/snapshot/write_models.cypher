// name: snapshot/write_models
// description: Upsert models whose row differs from the stored one (a snapshot load's diff): properties replaced by the row's, the Missing label and the deletion history removed, firstSeen set once; base edges are left to the edge diff.
// param rows: list of {id, props: {property: value, ...} (null clears), createdAt, lastModified (epoch milliseconds or null), first_seen (YYYY-MM-DD, or null: leave as it is)}
// mode: write
UNWIND $rows AS row
MERGE (m:Model {id: row.id})
SET m += row.props,
    m.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    m.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END,
    m.firstSeen = coalesce(m.firstSeen, row.first_seen),
    m.deletedAt = null, m.lastSeen = null, m.lastProperties = null, m.lastBases = null, m.lastRelations = null
REMOVE m:Missing
RETURN count(m) AS written
