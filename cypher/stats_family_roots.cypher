// name: stats_family_roots
// description: For each family (component key), the root with most descendants (ties: smallest id), which names the family, with its pipeline_tag.
// param families: list of family keys (the `family` property)
// mode: read
UNWIND $families AS f
MATCH (r:Model {family: f})
WHERE NOT (r)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
WITH f, r, coalesce(r.descendants, 0) AS descendants  // stored by every load (loader/derive.py)
ORDER BY descendants DESC, r.id
WITH f, collect({id: r.id, descendants: descendants, task: r.pipelineTag})[0] AS top
RETURN f AS family, top.id AS root, top.descendants AS descendants, top.task AS pipeline_tag
