"""BOM and license-report timings on a loaded graph (a running server; connection from the usual
environment: NEO4J_URI or HFLINEAGE_HOME / HFLINEAGE_BOLT_PORT).

    python bench/bench_bom.py jaspionjader/bh-64 [MODEL ...] [--runs 3]

Prints, per model, the lineage size and the median seconds of each step of `hflineage bom`:
reading the lineage (two stored queries), building the cyclonedx-python-lib model, serialising
it, and the strict schema validation; then the validation cost of one URL (the strict validator's
IRI format check), which is why only the requested models carry URLs.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hflineage.outputs import bom
from hflineage.licenses import propagation as licenses
from hflineage.store.db import Graph
from hflineage.store.settings import resolve_connection


def timed(fn, runs: int):
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    graph = Graph(resolve_connection())
    policy = licenses.load_policy()
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    print(f"{'model':<40} {'ancestors':>9} {'read s':>7} {'build s':>7} {'json s':>7} {'validate s':>10} {'KB':>6}")
    for model_id in args.models:
        t_read, lineage = timed(lambda: bom.read_lineage(graph, model_id, policy), args.runs)
        t_build, doc = timed(lambda: bom.compose([lineage], policy), args.runs)
        t_json, text = timed(lambda: make_outputter(doc, OutputFormat.JSON, SchemaVersion.V1_6)
                             .output_as_string(indent=2), args.runs)
        t_val, _ = timed(lambda: validator.validate_str(text), args.runs)
        print(f"{model_id:<40} {len(lineage.report['inherited']):>9} {t_read:>7.2f} {t_build:>7.2f} "
              f"{t_json:>7.2f} {t_val:>10.2f} {len(text) // 1024:>6}")
    lineage = bom.read_lineage(graph, args.models[0], policy)
    one = make_outputter(bom.compose([lineage], policy), OutputFormat.JSON, SchemaVersion.V1_6).output_as_string()
    base, _ = timed(lambda: validator.validate_str(one), args.runs)
    # the same document plus 20 external references on the model: the difference is the URLs' cost
    doc = bom.compose([lineage], policy)
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    model = next(iter(doc.components))
    for i in range(20):
        model.external_references.add(ExternalReference(type=ExternalReferenceType.OTHER,
                                                        url=XsUri(f"https://huggingface.co/x/m{i}")))
    more = make_outputter(doc, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string()
    with_urls, _ = timed(lambda: validator.validate_str(more), args.runs)
    print(f"strict validation cost of one URL: {(with_urls - base) / 20:.3f} s")
    graph.close()


if __name__ == "__main__":
    main()
