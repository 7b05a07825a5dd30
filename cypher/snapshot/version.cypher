// name: snapshot/version
// description: The graph's version and its counts (models with placeholders, placeholders, base edges by type), each from the count store: a snapshot load trusts its copy of the graph when the version names it and the counts agree.
// mode: read
OPTIONAL MATCH (v:GraphVersion)
WITH collect(v.version) AS versions
CALL { MATCH (m:Model) RETURN count(m) AS models }
CALL { MATCH (m:Missing) RETURN count(m) AS missing }
CALL { MATCH ()-[r:FINETUNE_OF]->() RETURN count(r) AS finetune }
CALL { MATCH ()-[r:ADAPTER_OF]->() RETURN count(r) AS adapter }
CALL { MATCH ()-[r:QUANTIZATION_OF]->() RETURN count(r) AS quantization }
CALL { MATCH ()-[r:MERGE_OF]->() RETURN count(r) AS merge }
RETURN CASE WHEN size(versions) = 1 THEN versions[0] END AS version, models, missing,
       finetune + adapter + quantization + merge AS edges
