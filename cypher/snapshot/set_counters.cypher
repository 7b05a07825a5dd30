// name: snapshot/set_counters
// description: Store the moved counters (downloads, downloadsAllTime, likes, trendingScore) of current models whose other properties did not change: a snapshot load's lightest write, the bulk of a week. The rows come as columns (one list per property, aligned): a third less to send and unpack than a map per row. Each model is found by its internal node id when the load knows it (snapshot/node_ids: a seek by node id costs the server about half what a seek in the id index does) and the node still has that id; otherwise, and for a null node id, through the id index.
// param ids: list of model ids
// param nodes: list, one internal node id per model id (null: unknown)
// param downloads: list, one value per id (null clears)
// param downloadsAllTime: list, one value per id (null clears)
// param likes: list, one value per id (null clears)
// param trendingScore: list, one value per id (null clears)
// mode: write
UNWIND range(0, size($ids) - 1) AS i
OPTIONAL MATCH (m) WHERE id(m) = $nodes[i] AND m.id = $ids[i]
SET m.downloads = $downloads[i], m.downloadsAllTime = $downloadsAllTime[i], m.likes = $likes[i],
    m.trendingScore = $trendingScore[i]
WITH collect(CASE WHEN m IS NULL THEN i END) AS unfound
UNWIND unfound AS i
MATCH (m:Model {id: $ids[i]})
SET m.downloads = $downloads[i], m.downloadsAllTime = $downloadsAllTime[i], m.likes = $likes[i],
    m.trendingScore = $trendingScore[i]
RETURN count(m) AS written_by_id
