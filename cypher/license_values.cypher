// name: license_values
// description: Every distinct declared (license, licenseName) pair in the graph with its number of models (null license: none declared).
// mode: read
MATCH (m:Model)
RETURN m.license AS license, m.licenseName AS licenseName, count(*) AS models
ORDER BY models DESC, license, licenseName
