// name: license_dataset_values
// description: Every distinct (license, licenseName) pair of the datasets that some model is trained on, with the number of such datasets (null license: none known).
// mode: read
MATCH (d:Dataset)
WHERE EXISTS { (:Model)-[:TRAINED_ON]->(d) }
RETURN d.license AS license, d.licenseName AS licenseName, count(*) AS datasets
ORDER BY datasets DESC, license, licenseName
