"""The public API: what scripts, notebooks and the command line call.

``Lineage`` (api/lineage.py) answers the questions over one connection. The other names are what
a caller needs around it: the choices and defaults it may pass, the errors it may catch, the
local server, and the modules that write what people open (pictures, audit reports, files).
Importing this package loads neither the driver nor Arrow: ``hflineage --help`` stays light, and
each name below is imported when first used.
"""

from importlib import import_module

from ..chart import MIN_SCORE as CHART_MIN_SCORE, TOP as CHART_TOP
from ..impute import BASELINE, BATCH as IMPUTE_BATCH, DEFAULT_K, METHODS, SCALES
from ..licenses import LEVELS, POLICY_ENV, SEVERITIES, path_text
from ..lineage import LIST_KINDS, flatten
from ..outputs.text import visible
from ..store import errors
from ..store.settings import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, environment, resolve_connection

__all__ = ["Lineage", "connect", "open_lineage", "LocalServer", "pictures", "reports", "files", "browser", "registry",
           "errors", "environment", "resolve_connection", "DEFAULT_BATCH_SIZE", "DEFAULT_WORKERS", "DEFAULT_K",
           "METHODS", "IMPUTE_BATCH", "CHART_MIN_SCORE", "CHART_TOP", "chart_evaluate", "SCALES", "BASELINE", "POLICY_ENV", "SEVERITIES", "LEVELS", "LIST_KINDS", "path_text",
           "flatten", "visible"]

# name -> (module, attribute or None for the module itself), relative to the package root
_LAZY = {
    "Lineage": ("api.lineage", "Lineage"),
    "connect": ("api.lineage", "connect"),
    "open_lineage": ("api.lineage", "open_lineage"),
    "LocalServer": ("server.manage", "LocalServer"),
    "registry": ("cypher", "registry"),
    "pictures": ("outputs.graph_render", None),
    "reports": ("outputs.license_report", None),
    "files": ("outputs.files", None),
    "browser": ("server.browser", None),
    "chart_evaluate": ("chart.evaluate", "evaluate_files"),
}


def __getattr__(name: str):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = import_module(f"{__package__.rpartition('.')[0]}.{module}")
        if attribute is not None:
            value = getattr(value, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
