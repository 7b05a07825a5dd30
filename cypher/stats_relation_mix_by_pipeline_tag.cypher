// name: stats_relation_mix_by_pipeline_tag
// description: Base edges counted by relation for each pipeline tag of the derived model (the domain; "(none)" when it has none).
// mode: read
MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
RETURN coalesce(c.pipelineTag, '(none)') AS pipeline_tag,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation,
       count(*) AS edges
ORDER BY pipeline_tag, relation
