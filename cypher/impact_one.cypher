// name: impact_one
// description: What deleting one model breaks, read from its derived properties (loader/derive.py: descendant counts and downloads, orphanedIfDeleted, path counts) and its relationship counts, without reading its subgraph; no row when the model is not in the graph.
// param model_id: the model's id, e.g. "meta-llama/Llama-3.1-8B"
// mode: read
MATCH (x:Model {id: $model_id})
// one edge per (child, base) pair, so incoming edges count the children (all nodes are :Model)
RETURN x.id AS id,
       COUNT { (x)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS affected_derived,
       COUNT { (x)<-[:MERGE_OF]-() } AS merges_losing_parent,
       coalesce(x.descendants, 0) AS affected_downstream,
       coalesce(x.orphanedIfDeleted, 0) AS orphaned,
       coalesce(x.descendantDownloads, 0) AS downstream_downloads,
       coalesce(x.descendantDownloadsAllTime, 0) AS downstream_downloads_all_time,
       coalesce(x.pathsFromRoots, 1) AS paths_from_roots,
       coalesce(x.pathsToLeaves, 1) AS paths_to_leaves
