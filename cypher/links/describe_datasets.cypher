// name: links/describe_datasets
// description: Create or update a batch of Dataset nodes from a datasets file (hflineage load --datasets): properties replaced by the row's, marked described.
// param rows: list of {id, props: {author, downloads, downloadsAllTime, likes, trendingScore, license, licenseName}, createdAt, lastModified (epoch milliseconds or null)}
// mode: write
UNWIND $rows AS row
MERGE (d:Dataset {id: row.id})
SET d += row.props,
    d.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    d.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END,
    d.described = true
