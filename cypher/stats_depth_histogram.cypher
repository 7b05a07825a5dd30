// name: stats_depth_histogram
// description: Models counted by pipeline_tag, depth, and whether they have any base or derived model (in_lineage).
// mode: read
MATCH (m:Model)
RETURN m.pipelineTag AS pipeline_tag,
       coalesce(m.depth, 0) AS depth,
       m.family IS NOT NULL AS in_lineage,
       count(*) AS models
