// name: schema/model_pipelineTag_index
// description: Range index on Model.pipelineTag for filters and group-bys.
// mode: write
CREATE INDEX model_pipelineTag IF NOT EXISTS FOR (m:Model) ON (m.pipelineTag)
