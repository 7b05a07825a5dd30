// name: impute_property_keys
// description: Every property key the database knows, to validate an attribute name before it is used as a dynamic property.
// mode: read
CALL db.propertyKeys() YIELD propertyKey
RETURN propertyKey AS key
ORDER BY key
