"""Time charting (read + candidates + fit + suggestions + their evidence in words) on synthetic
hub-stats files, with peak RSS.

    python bench/bench_chart.py --models 100000 1000000 [--seed 0] [--keep DIR]

Each size is a fresh process (peak RSS is per run): it writes the file with
../shared/tools/synth_hubstats.py (not timed), then reads it and charts it as ``hflineage chart``
does after reading the graph, without the graph: the figures are the library's, the write of the
SUSPECTED_BASE edges comes on top. Speed only: the generator's names are not the Hub's, so the
suggestions themselves mean nothing here (``hflineage chart evaluate`` measures quality on real rows).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYNTH = Path(os.environ.get("HFLINEAGE_SHARED", REPO.parent / "shared")) / "tools" / "synth_hubstats.py"


def run_one(path: str) -> dict:
    """Chart one file in this process; the phases' wall times and the peak RSS."""
    from hflineage.chart.chart import chart_models
    from hflineage.chart.models import read_models

    t0 = time.monotonic()
    models = read_models(path)
    t1 = time.monotonic()
    charted = chart_models(models)
    t2 = time.monotonic()
    worded = sum(len(part) for part in charted.batches(10_000))  # evidence in words, as the write puts it
    t3 = time.monotonic()
    return {"models": len(models), "charted": charted.charted, "suggestions": worded,
            "read_s": round(t1 - t0, 1), "chart_s": round(t2 - t1, 1), "evidence_s": round(t3 - t2, 1),
            "total_s": round(t3 - t0, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="folder for the synthetic files (kept; reused when present)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child process: chart this file
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_chart_"))
    folder.mkdir(parents=True, exist_ok=True)
    for n in args.models:
        path = folder / f"synth_{n}_{args.seed}.parquet"
        if not path.exists():
            subprocess.run([sys.executable, str(SYNTH), str(path), "--models", str(n), "--seed", str(args.seed)],
                           check=True, stderr=subprocess.DEVNULL)
        out = subprocess.run([sys.executable, __file__, "--one", str(path)], check=True, capture_output=True, text=True)
        print(json.dumps({"size": n, **json.loads(out.stdout)}), flush=True)
        if not args.keep:
            path.unlink()


if __name__ == "__main__":
    main()
