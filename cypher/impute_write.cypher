// name: impute_write
// description: Store a batch of imputed values beside (never over) the declared attribute: <prop>_imputed, <prop>_imputed_method and <prop>_imputed_confidence, only on models that still lack a declared value and have no imputed one.
// param prop: the property holding the attribute, e.g. "license"; the values go to "<prop>_imputed" etc.
// param rows: list of {id, value, method ("knn" or "hub"), confidence (0..1)}
// mode: write
UNWIND $rows AS row
MATCH (m:Model {id: row.id})
WHERE m[$prop] IS NULL AND m[$prop + '_imputed_method'] IS NULL
SET m[$prop + '_imputed'] = row.value,
    m[$prop + '_imputed_method'] = row.method,
    m[$prop + '_imputed_confidence'] = row.confidence
RETURN count(m) AS written
