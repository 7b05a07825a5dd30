// name: graph_nodes
// description: What `hflineage graph` draws for each of a list of models: license, downloads, pipeline tag, whether it is a placeholder, and how many direct bases and derived models it has (to say "+k more" where the drawing is cut).
// param ids: a list of model ids, e.g. ["meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"]
// mode: read
UNWIND $ids AS id
MATCH (m:Model {id: id})
RETURN m.id AS id,
       m:Missing AS missing,
       m.license AS license,
       coalesce(m.downloads, 0) AS downloads,
       m.pipelineTag AS pipeline_tag,
       coalesce(m.descendants, 0) AS descendants,
       COUNT { (m)-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]->() } AS bases,
       COUNT { (m)<-[:FINETUNE_OF|ADAPTER_OF|QUANTIZATION_OF|MERGE_OF]-() } AS children
