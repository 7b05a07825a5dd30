// name: license_drift_edges
// description: Every lineage edge counted by (base license, derived license) and relation, aggregated in the server (no path enumeration); edges to a :Missing base are counted apart (its license is not known).
// mode: read
MATCH (c:Model)-[r:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->(b:Model)
RETURN b.license AS baseLicense,
       b.licenseName AS baseLicenseName,
       c.license AS license,
       c.licenseName AS licenseName,
       b:Missing AS missingBase,
       {FINETUNE_OF: 'finetune', ADAPTER_OF: 'adapter', QUANTIZATION_OF: 'quantized', MERGE_OF: 'merge'}[type(r)] AS relation,
       count(*) AS edges
