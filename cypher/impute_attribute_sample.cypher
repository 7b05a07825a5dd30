// name: impute_attribute_sample
// description: Up to $limit declared values of a property, to check that an attribute outside the known list holds numbers.
// param prop: the property to sample, e.g. "likes"
// param limit: how many values to return, e.g. 100
// mode: read
MATCH (m:Model)
WHERE m[$prop] IS NOT NULL
RETURN m[$prop] AS value
LIMIT $limit
