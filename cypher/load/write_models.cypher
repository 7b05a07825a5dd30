// name: load/write_models
// description: Upsert a batch of models: properties replaced by the row's, the Missing label removed, old base edges deleted (the loader writes the new ones after).
// param rows: list of maps, one per model, with every property the loader sets (null clears it)
// mode: write
UNWIND $rows AS row
MERGE (m:Model {id: row.id})
SET m += row
REMOVE m:Missing
WITH m
OPTIONAL MATCH (m)-[e:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->()
DELETE e
