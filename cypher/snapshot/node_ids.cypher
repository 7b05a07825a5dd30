// name: snapshot/node_ids
// description: Every current model's id with its internal node id, in records of $chunk models (two aligned lists each): a snapshot load finds the models whose counters it writes by node id (snapshot/set_counters). One record per model would cost the driver most of a minute at 2.5M models.
// param chunk: models per record, e.g. 50000
// mode: read
MATCH (m:Model)
WITH collect(m) AS models
UNWIND range(0, size(models) - 1, $chunk) AS start
WITH models[start..start + $chunk] AS part
RETURN [m IN part | m.id] AS ids, [m IN part | id(m)] AS nodes
