// name: stats_relation_mix
// description: Base edges counted by relation type and by declared / inferred.
// mode: read
MATCH ()-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
RETURN {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation,
       coalesce(r.declared, true) AS declared,
       count(*) AS edges
ORDER BY relation, declared
