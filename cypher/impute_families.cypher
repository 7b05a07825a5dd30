// name: impute_families
// description: Every model on a base edge with its family key, for the imputation evaluation's family majority and holdout: the `family` every load stores (loader/derive.py), the smallest id of the model's weakly connected component over the base edges, :Missing placeholders included. A model not listed has no edge and is a family of its own (key: its id).
// mode: read
MATCH (m:Model)
WHERE m.family IS NOT NULL
RETURN m.id AS id, m.family AS family
