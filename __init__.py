"""hflineage: where a Hugging Face model comes from, what depends on it, what its license really is.

    import hflineage
    with hflineage.connect() as lin:
        lin.show("meta-llama/Llama-3.1-8B-Instruct").to_dict()

The API lives in ``hflineage.api.lineage``; this package re-exports it. The library is
``hflineage.loader``, the stored queries ``hflineage.cypher``, the CLI ``hflineage.cli``.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("hflineage")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["connect", "Lineage", "LoadReport", "Result", "HFLineageError", "InputError", "ModelNotFound",
           "PolicyError", "QueryError", "ServerError", "SnapshotRefused", "AttributeNotImputable", "__version__"]

# where each name lives; imported when first asked for, so that ``import hflineage`` (and the
# CLI's --help) loads neither the driver nor Arrow
_HOMES = {"connect": "api.lineage", "Lineage": "api.lineage", "LoadReport": "loader.report", "Result": "lineage.results",
          **{name: "store.errors" for name in ("HFLineageError", "InputError", "ModelNotFound", "PolicyError", "QueryError",
                                         "ServerError", "SnapshotRefused", "AttributeNotImputable")}}


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hflineage' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
