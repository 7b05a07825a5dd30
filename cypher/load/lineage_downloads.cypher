// name: load/lineage_downloads
// description: The downloads (30-day and all-time) of every model on a base edge, for the derived descendant download sums.
// mode: read
MATCH (m:Model)
WHERE EXISTS { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() }
RETURN m.id AS id, m.downloads AS downloads, m.downloadsAllTime AS downloadsAllTime
