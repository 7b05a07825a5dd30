// name: chart_models
// description: The current models (no placeholders) with the properties charting reads: author, creation time (epoch ms), parameter total, model type, library, pipeline tag, downloads, likes.
// mode: read
MATCH (m:Model)
WHERE NOT m:Missing
RETURN m.id AS id, m.author AS author, m.createdAt.epochMillis AS created, m.parameters AS parameters,
       m.modelType AS model_type, m.libraryName AS library_name, m.pipelineTag AS pipeline_tag,
       m.downloads AS downloads, m.likes AS likes
