// name: snapshot/set_counters
// description: Store the moved counters (downloads, downloadsAllTime, likes, trendingScore) of current models whose other properties did not change: a snapshot load's lightest write, the bulk of a week. The rows come as columns (one list per property, aligned): a third less to send and unpack than a map per row.
// param ids: list of model ids
// param downloads: list, one value per id (null clears)
// param downloadsAllTime: list, one value per id (null clears)
// param likes: list, one value per id (null clears)
// param trendingScore: list, one value per id (null clears)
// mode: write
UNWIND range(0, size($ids) - 1) AS i
MATCH (m:Model {id: $ids[i]})
SET m.downloads = $downloads[i], m.downloadsAllTime = $downloadsAllTime[i], m.likes = $likes[i],
    m.trendingScore = $trendingScore[i]
RETURN count(m) AS written
