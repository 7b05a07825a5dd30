"""Charting: suspected bases for the models that declare none, from metadata alone (SPEC
"Suspected lineage"; seed 002 section 4). ``models`` reads rows, ``candidates`` blocks and
describes pairs, ``score`` fits and calibrates, ``chart`` suggests, ``evaluate`` measures."""
