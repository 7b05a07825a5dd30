// name: schema/model_license_index
// description: Range index on Model.license for filters and group-bys.
// mode: write
CREATE INDEX model_license IF NOT EXISTS FOR (m:Model) ON (m.license)
