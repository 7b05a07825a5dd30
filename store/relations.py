"""The four relations a model can have to its base, and the edge type each is stored as.

This is the one table in Python. Cypher files spell the types out (``FINETUNE_OF|ADAPTER_OF|…``)
so they stay readable when pasted into Neo4j Browser; ``tests/test_registry.py`` checks every such
list in ``cypher/`` against this table.
"""

from __future__ import annotations

# The Hub's model-tree order (adapters, finetunes, quantizations, merges); outputs keep it.
EDGE_TYPE = {
    "adapter": "ADAPTER_OF",
    "finetune": "FINETUNE_OF",
    "quantized": "QUANTIZATION_OF",
    "merge": "MERGE_OF",
}
RELATIONS = tuple(EDGE_TYPE)
EDGE_TYPES = tuple(EDGE_TYPE.values())
RELATION_OF = {edge_type: relation for relation, edge_type in EDGE_TYPE.items()}
