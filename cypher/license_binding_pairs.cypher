// name: license_binding_pairs
// description: Every (descendant, ancestor) pair whose ancestor declares one of the given licenses, with the shortest distance in hops; the audit over the whole graph.
// param licenses: the declared license values (Model.license) whose terms bind derivatives, e.g. ["llama3", "gemma", "cc-by-nc-4.0", "other"]
// mode: read
MATCH (a:Model)
WHERE a.license IN $licenses
CALL (a) {
  // min(length(p)) per descendant is planned as a pruning BFS from each ancestor
  MATCH p = (a)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF*]-(d:Model)
  RETURN d, min(length(p)) AS distance
}
RETURN d.id AS id,
       d.license AS license,
       d.licenseName AS licenseName,
       a.id AS ancestor,
       a.license AS ancestorLicense,
       a.licenseName AS ancestorLicenseName,
       distance
