"""hflineage: where a Hugging Face model comes from, what depends on it, what its license really is.

    import hflineage
    with hflineage.connect() as lin:
        lin.show("meta-llama/Llama-3.1-8B-Instruct").to_dict()

The API lives in ``hflineage.loader.api``; this package re-exports it. The library is
``hflineage.loader``, the stored queries ``hflineage.cypher``, the CLI ``hflineage.cli``.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from hflineage.loader.api import Lineage, connect
from hflineage.loader.errors import (AttributeNotImputable, HFLineageError, InputError, ModelNotFound,
                                     PolicyError, QueryError, ServerError, SnapshotRefused)
from hflineage.loader.load_report import LoadReport
from hflineage.loader.results import Result

try:
    __version__ = _version("hflineage")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["connect", "Lineage", "LoadReport", "Result", "HFLineageError", "InputError", "ModelNotFound",
           "PolicyError", "QueryError", "ServerError", "SnapshotRefused", "AttributeNotImputable", "__version__"]
