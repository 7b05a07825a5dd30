// name: schema/model_newVersion_index
// description: Range index on Model.newVersion: the few models naming a successor are found without a scan.
// mode: write
CREATE INDEX model_newVersion IF NOT EXISTS FOR (m:Model) ON (m.newVersion)
