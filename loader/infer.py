"""Typing an undeclared base-model relation (``cardData.base_model`` without ``baseModels``).

The rules follow the field study in seed 000 ("Exploration of Classification Rules for Hugging
Face Model Tree", sections 3.2 and VII): a relation exists only where a base model is named;
``merge`` means several bases and is displayed first, then ``adapter``, then ``finetune``;
adapters show in tags (lora / adapter / peft), ``library_name`` or adapter files; quantized
models show in tags (quantized, gguf, int8, int4, 4bit, 8bit) or ``*.gguf`` files. The first rule
that matches wins; its name is stored on the edge (``rule``) with ``declared: false``.
"""

from __future__ import annotations

from ..store.relations import RELATIONS

ADAPTER_TAGS = frozenset({"lora", "adapter", "peft"})
QUANTIZED_TAGS = frozenset({"quantized", "gguf", "int8", "int4", "4bit", "8bit"})

# (rule name, what it means) in the order they are tried; README and tests use these names.
RULES = (
    ("card_relation", "cardData.base_model_relation names one of the four relations"),
    ("multiple_bases", "two or more bases in cardData.base_model: merge"),
    ("adapter_signals", "lora/adapter/peft tag, library_name peft, or adapter_model.* / adapter_config.json files: adapter"),
    ("quantized_signals", "quantized/gguf/int8/int4/4bit/8bit tag, a gguf header, or *.gguf files: quantized"),
    ("full_weights", "a single base and none of the above: finetune"),
)


def card_bases(card: dict) -> list[str]:
    """The base ids a model card names, in order, without blanks or repeats."""
    value = card.get("base_model")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    out: list[str] = []
    for item in value:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out


def infer_relation(
    card: dict,
    bases: list[str],
    tags: list[str] | None,
    library_name: str | None,
    filenames: list[str] | None,
    has_gguf: bool,
) -> tuple[str, str]:
    """Return (relation, rule) for a model whose card names ``bases`` but declares no relation."""
    declared = card.get("base_model_relation")
    if isinstance(declared, str) and declared in RELATIONS:
        return declared, "card_relation"
    if len(bases) >= 2:
        return "merge", "multiple_bases"
    tagset = {t.lower() for t in tags or () if isinstance(t, str)}
    names = [f.lower().rsplit("/", 1)[-1] for f in filenames or () if isinstance(f, str)]
    if (
        tagset & ADAPTER_TAGS
        or (library_name or "").lower() == "peft"
        or any(n.startswith("adapter_model") or n == "adapter_config.json" for n in names)
    ):
        return "adapter", "adapter_signals"
    if tagset & QUANTIZED_TAGS or has_gguf or any(n.endswith(".gguf") for n in names):
        return "quantized", "quantized_signals"
    return "finetune", "full_weights"
