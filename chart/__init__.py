"""Charting: suspected bases for the models that declare none, from metadata alone
(docs/charting.md; Model Atlas section 4). ``models`` reads rows, ``candidates`` blocks and
describes pairs (``kernel``: the compiled pair features), ``score`` fits and calibrates,
``chart`` suggests, ``evaluate`` measures.

The names below are the choices a caller needs before any work; importing them loads nothing else.
"""

METHOD = "metadata-v1"
TOP = 5  # suggestions kept per model
MIN_SCORE = 0.05  # a suggestion scored lower is noise, not a lead
