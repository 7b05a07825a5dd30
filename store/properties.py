"""The properties a model node carries: one table, from which the reader's columns, the
``--bulk`` import header and the snapshot load's copy and comparisons are all derived.

A new property is one row here (and, when it is not a hub-stats column taken as it is, the
line of loader/read.py that computes it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Property:
    name: str  # the Neo4j property
    column: str | None  # the hub-stats column it is read from as it is (None: loader/read.py computes it)
    kind: str  # "string", "strings" (a list), "int", "float" or "time" (a timestamp; travels as epoch milliseconds)
    counter: bool = False  # moves on most models every week: a snapshot load writes these apart


MODEL_PROPERTIES = (
    Property("author", "author", "string"),
    Property("createdAt", "createdAt", "time"),
    Property("lastModified", "lastModified", "time"),
    Property("downloads", "downloads", "int", counter=True),  # the last 30 days
    Property("downloadsAllTime", "downloadsAllTime", "int", counter=True),
    Property("likes", "likes", "int", counter=True),
    Property("trendingScore", "trendingScore", "float", counter=True),
    Property("pipelineTag", "pipeline_tag", "string"),
    Property("libraryName", "library_name", "string"),
    Property("license", None, "string"),  # the license: tag, else cardData.license
    Property("licenseName", None, "string"),  # cardData.license_name (with license "other")
    Property("parameters", None, "int"),  # safetensors.total
    Property("modelType", None, "string"),  # config's model_type
    Property("relationType", None, "string"),  # the relation of the declared base edges
    Property("datasets", None, "strings"),  # cardData.datasets and dataset: tags (loader/cards.py)
    Property("newVersion", None, "string"),  # cardData.new_version
)

ARROW = {"string": pa.string(), "strings": pa.list_(pa.string()), "int": pa.int64(), "float": pa.float64(),
         "time": pa.timestamp("us", tz="UTC")}
NODE_PROPERTIES = ("id", *(p.name for p in MODEL_PROPERTIES))
TIMES = tuple(p.name for p in MODEL_PROPERTIES if p.kind == "time")
VALUES = tuple(p.name for p in MODEL_PROPERTIES if p.kind != "time")  # travel in a row's ``props``
COUNTERS = tuple(p.name for p in MODEL_PROPERTIES if p.counter)
# Neo4j refuses index keys over ~8 KB: these are indexed, so a row with a longer value is skipped
INDEXED_PROPERTIES = ("author", "license", "pipelineTag", "libraryName")


def arrow_type(name: str) -> pa.DataType:
    return ARROW[_BY_NAME[name].kind]


_BY_NAME = {p.name: p for p in MODEL_PROPERTIES}

# The derived properties a load computes and stores (loader/derive.py), by the column name the
# write queries take: depth and its via, family, descendants and their downloads, orphans if
# deleted, path counts (a count beyond int64 is stored as TOO_MANY).
DERIVED_PROPERTIES = {"depth": "depth", "via": "depthVia", "family": "family", "descendants": "descendants",
                      "below": "descendantDownloads", "below_all_time": "descendantDownloadsAllTime",
                      "orphaned": "orphanedIfDeleted", "paths_up": "pathsFromRoots", "paths_down": "pathsToLeaves"}
TOO_MANY = -1
