// name: schema/model_libraryName_index
// description: Range index on Model.libraryName for filters and group-bys.
// mode: write
CREATE INDEX model_libraryName IF NOT EXISTS FOR (m:Model) ON (m.libraryName)
