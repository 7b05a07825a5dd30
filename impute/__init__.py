"""kNN imputation of missing attributes over the lineage graph, and its evaluation (Table 1b
of the Model Atlas paper).
"""
