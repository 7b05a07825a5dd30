// name: schema/model_author_index
// description: Range index on Model.author for filters and group-bys.
// mode: write
CREATE INDEX model_author IF NOT EXISTS FOR (m:Model) ON (m.author)
