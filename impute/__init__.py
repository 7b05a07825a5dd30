"""kNN imputation of missing attributes over the lineage graph, and its evaluation (Table 1b
of the Model Atlas paper).

The names below are the choices a caller (the CLI's options) needs before any graph work, so
they live here, where importing them loads neither the driver nor Arrow.
"""

METHODS = ("knn", "hub")
DEFAULT_K = 5
BATCH = 500  # models per write transaction in impute --all
BASELINE = "family_majority"
SCALES = ("raw", "log10")
