// name: load/write_models
// description: Upsert a batch of models: properties replaced by the row's, the Missing label removed, old base edges deleted (the loader writes the new ones after).
// param rows: list of {id, props: {property: value, ...} (null clears), createdAt, lastModified (epoch milliseconds or null)}
// mode: write
UNWIND $rows AS row
MERGE (m:Model {id: row.id})
SET m += row.props,
    m.createdAt = CASE WHEN row.createdAt IS NULL THEN null ELSE datetime({epochMillis: row.createdAt}) END,
    m.lastModified = CASE WHEN row.lastModified IS NULL THEN null ELSE datetime({epochMillis: row.lastModified}) END
REMOVE m:Missing
WITH m
OPTIONAL MATCH (m)-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
DELETE e
