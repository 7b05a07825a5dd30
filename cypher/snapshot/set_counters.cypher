// name: snapshot/set_counters
// description: Store the moved counters (downloads, downloadsAllTime, likes, trendingScore) of current models whose other properties did not change: a snapshot load's lightest write, the bulk of a week.
// param rows: list of {id, downloads, downloadsAllTime, likes, trendingScore} (null clears)
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
SET m.downloads = row.downloads, m.downloadsAllTime = row.downloadsAllTime, m.likes = row.likes,
    m.trendingScore = row.trendingScore
RETURN count(m) AS written
