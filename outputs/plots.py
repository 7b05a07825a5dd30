"""``hflineage stats --plots DIR``: the study's figures as PNG files, beside the JSON they are drawn from.

- ``depth_by_pipeline_tag.png``: share of models at each depth, overall and for the largest
  pipeline tags (seed 002, Fig. 3; log scale: the deep tail spans decades);
- ``chain_length.png``: chains by length bucket (seed 003 §1.2; log scale);
- ``family_size.png``: families by size, log-log (seed 003 §1.3);
- ``relation_mix_by_pipeline_tag.png``: each domain's edges by relation, as shares;
- ``top_families.png``: the largest families, with the relation that dominates each.

With training datasets in the graph (some model declares one), two more:

- ``datasets_by_relation.png``: the share of models declaring training datasets, per relation
  class (finetune, adapter, quantized, merge, none), the share over all models marked;
- ``top_datasets.png``: the datasets most models were trained on, and those with the widest
  downstream reach (trained models and their descendants, each once), each with its license.

With snapshots loaded (``load --snapshot``; at least one interval between two of them), two more
(seed 003 §2.1):

- ``weekly_changes.png``: added, deleted, updated and rebased models per interval;
- ``deletion_impact_over_time.png``: each interval's observed deletion impact (deleted base
  models, affected derived and downstream models, orphans, merges losing a parent) and the
  downstream downloads it put at risk.

The JSON gains ``intervals``: the figures drawn, one entry per interval.
matplotlib is imported here only, with the file-only Agg backend (no display needed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..store.db import Graph
from ..store.errors import RenderError
from .files import check_target, umask
from ..store.relations import RELATIONS
from ..lineage.results import Result, Stats, frame
from .text import visible

COLOURS = {"adapter": "#E69F00", "finetune": "#0072B2", "quantized": "#009E73", "merge": "#CC79A7"}
TAGS = 6  # pipeline tags drawn in the depth figure
DOMAINS = 12  # pipeline tags drawn in the relation-mix figure
DATASETS = 15  # datasets drawn in each panel of the top-datasets figure
NO_RELATION = "#999999"  # models with no base, beside the relation colours
TRAINED, DOWNSTREAM = "#0072B2", "#56B4E9"  # a dataset's trained models, their descendants


@dataclasses.dataclass
class Plots(Result):
    """What ``stats --plots`` wrote: ``files`` (PNG paths), ``json`` (the data file), the
    ``stats`` document, ``family_sizes`` ({size: families}) and ``relation_mix_by_pipeline_tag``
    ({tag: {relation: edges}}, largest first)."""

    out: str
    files: list[str]
    json: str
    stats: dict
    family_sizes: dict
    relation_mix_by_pipeline_tag: dict
    intervals: list = dataclasses.field(default_factory=list)  # {to, added, deleted, ..., deletion_impact}

    def to_pandas(self):
        """One row per figure written."""
        return frame([{"file": f} for f in self.files])


def family_sizes(graph: Graph) -> dict[int, int]:
    return {r["size"]: r["families"] for r in graph.read("stats_family_sizes")}


def relation_mix_by_pipeline_tag(graph: Graph) -> dict[str, dict[str, int]]:
    mix: dict[str, dict[str, int]] = {}
    for r in graph.read("stats_relation_mix_by_pipeline_tag"):
        mix.setdefault(r["pipeline_tag"], {rel: 0 for rel in RELATIONS})[r["relation"]] = r["edges"]
    return dict(sorted(mix.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


# Labels are data (ids, pipeline tags are anybody's): text, never math (a "$x$" or a backslash
# would be parsed as mathtext and can fail the whole drawing), and never TeX.
STYLE = {"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
         "grid.alpha": 0.3, "font.size": 10, "text.usetex": False, "text.parse_math": False}


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:  # a dependency of the package; absent only in a broken install
        raise RenderError("matplotlib is not installed", hint="pip install matplotlib") from e
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(text) -> str:
    """A label from the data: control characters as visible escapes (no font has glyphs for them)."""
    return visible(str(text))


IMPACT_SERIES = ("deleted_base_models", "affected_derived", "affected_downstream", "orphaned", "merges_losing_parent")
CHANGE_KINDS = {"added": "#009E73", "deleted": "#D55E00", "updated": "#0072B2", "rebased": "#CC79A7"}


def weekly(intervals: list[dict]) -> list[dict]:
    """The figures the weekly plots draw, one entry per interval between two snapshots."""
    return [{"from": i["from"], "to": i["to"], **{k: i[k]["total"] for k in CHANGE_KINDS},
             "deletion_impact": {k: i["deletion_impact"][k] for k in (*IMPACT_SERIES, "downstream_downloads")}}
            for i in intervals]


def write(graph: Graph, stats: Stats, out_dir: str | os.PathLike, intervals: list[dict] | None = None) -> Plots:
    """Draw every figure into ``out_dir`` (created if needed) and write ``stats.json`` beside them.

    Whole or not at all: the files are drawn into a new folder beside ``out_dir`` and moved in
    only when every one is written, so a failure leaves ``out_dir`` as it was (absent, or with
    its old files); a file name in it that is not a regular file is refused first."""
    out = Path(out_dir)
    if stats.models == 0:
        raise RenderError("the graph holds no models: nothing to plot", hint="load a file first")
    if out.exists() and not out.is_dir():
        raise RenderError(f"--plots {out}: exists and is not a folder")
    sizes = family_sizes(graph)
    mix = relation_mix_by_pipeline_tag(graph)
    plt = _pyplot()
    figures = [
        ("depth_by_pipeline_tag.png", _depth, stats),
        ("chain_length.png", _chain_length, stats),
        ("family_size.png", _family_size, sizes),
        ("relation_mix_by_pipeline_tag.png", _relation_mix, mix),
        ("top_families.png", _top_families, stats),
    ]
    if stats.datasets_by_relation.get("all", {}).get("with_datasets"):
        figures += [("datasets_by_relation.png", _datasets_by_relation, stats),
                    ("top_datasets.png", _top_datasets, stats)]
    weeks = weekly(intervals or [])
    if weeks:
        figures += [("weekly_changes.png", _weekly_changes, weeks),
                    ("deletion_impact_over_time.png", _deletion_impact, weeks)]
    names = [name for name, _, _ in figures] + ["stats.json"]
    for name in names:
        check_target(out / name)
    result = Plots(out=str(out), files=[str(out / name) for name, _, _ in figures], json=str(out / "stats.json"),
                   stats=stats.to_dict(), family_sizes=sizes, relation_mix_by_pipeline_tag=mix, intervals=weeks)
    existing = out.absolute().parent
    while not existing.is_dir():
        existing = existing.parent
    try:
        staging = Path(tempfile.mkdtemp(dir=existing, prefix=f".{out.name}.", suffix=".tmp"))
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it private; it may become the folder
    except OSError as e:
        raise RenderError(f"--plots {out}: cannot write: {e.strerror or e}") from e
    try:
        with plt.rc_context(STYLE):
            for name, draw, data in figures:
                fig = draw(plt, data)
                try:
                    fig.tight_layout()
                    fig.savefig(staging / name)
                finally:
                    plt.close(fig)
        (staging / "stats.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n",
                                            encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.is_dir():
            for name in names:
                check_target(out / name)
                os.replace(staging / name, out / name)
        else:
            os.rename(staging, out)
    except OSError as e:
        raise RenderError(f"--plots {out}: cannot write: {e.strerror or e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _depth(plt, stats: Stats):
    fig, ax = plt.subplots(figsize=(8, 4.8))
    series = {"all models": stats.depth_histogram}
    series.update(list(stats.depth_histogram_by_pipeline_tag.items())[:TAGS])
    for i, (name, hist) in enumerate(series.items()):
        total = sum(hist.values()) or 1
        depths = sorted(int(d) for d in hist)
        ax.plot(depths, [hist.get(d, hist.get(str(d), 0)) / total for d in depths], marker="o", markersize=3,
                linewidth=2.4 if i == 0 else 1.3, color="black" if i == 0 else None, label=_label(name))
    ax.set_yscale("log")
    ax.set_xlabel("depth (longest path up to a root)")
    ax.set_ylabel("share of models (log scale)")
    ax.set_title("Depth distribution per pipeline tag (models with a base or a derived model)")
    ax.legend(fontsize=8, frameon=False)
    return fig


def _chain_length(plt, stats: Stats):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    buckets = list(stats.chain_length)
    counts = [stats.chain_length[b]["chains"] for b in buckets]
    bars = ax.bar(buckets, [max(c, 0.5) for c in counts], color="#0072B2")
    for bar, c, b in zip(bars, counts, buckets):
        ax.annotate(f"{c:,}\n{100 * stats.chain_length[b]['share']:.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("chain length (models on a root-to-leaf path)")
    ax.set_ylabel("chains (log scale)")
    ax.set_title(f"Chain-length distribution ({stats.chains:,} chains)")
    ax.margins(y=0.25)
    return fig


def _family_size(plt, sizes: dict[int, int]):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    xs = sorted(sizes)
    ax.scatter(xs, [sizes[x] for x in xs], s=14, color="#0072B2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("family size (models in a weakly connected component)")
    ax.set_ylabel("families (log scale)")
    ax.set_title(f"Family-size distribution ({sum(sizes.values()):,} families)")
    return fig


def _relation_mix(plt, mix: dict[str, dict[str, int]]):
    domains = list(mix)[:DOMAINS][::-1]  # largest on top
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(domains) + 1.6))
    left = [0.0] * len(domains)
    for rel in RELATIONS:
        shares = [mix[d][rel] / (sum(mix[d].values()) or 1) for d in domains]
        ax.barh(range(len(domains)), shares, left=left, color=COLOURS[rel], label=rel)
        left = [a + b for a, b in zip(left, shares)]
    for y, d in enumerate(domains):
        ax.annotate(f"{sum(mix[d].values()):,} edges", (1.01, y), va="center", fontsize=8, annotation_clip=False)
    ax.set_yticks(range(len(domains)), [_label(d) for d in domains])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the domain's edges")
    ax.set_title("Relation mix per domain (pipeline tag of the derived model)")
    ax.legend(ncol=4, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 1.2 / (len(domains) + 3)))
    ax.grid(axis="y", visible=False)
    return fig


def _top_families(plt, stats: Stats):
    families = stats.top_families[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(families) + 1.4))
    names = [_label(f["root"]) for f in families]
    sizes = [f["size"] for f in families]
    colours = [COLOURS[max(f["shares"], key=f["shares"].get)] if any(f["shares"].values()) else "#888888"
               for f in families]
    ax.barh(range(len(names)), sizes, color=colours)
    ax.set_yticks(range(len(names)), names)
    if sizes and max(sizes) >= 100 * max(1, min(sizes)):
        ax.set_xscale("log")
    for y, f in enumerate(families):
        ax.annotate(f" {f['size']:,}", (f["size"], y), va="center", fontsize=8)
    ax.set_xlabel("models in the family" + (" (log scale)" if ax.get_xscale() == "log" else ""))
    ax.set_title("Largest families (bar colour: their most common relation)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    ax.legend(handles, list(COLOURS), ncol=4, fontsize=8, frameon=False, loc="lower right")
    ax.grid(axis="y", visible=False)
    return fig


def _datasets_by_relation(plt, stats: Stats):
    classes = [*RELATIONS, "none"][::-1]  # in the tables' order, top down
    rows = stats.datasets_by_relation
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.barh(range(len(classes)), [rows[c]["share"] for c in classes],
            color=[COLOURS.get(c, NO_RELATION) for c in classes])
    overall = rows["all"]
    ax.axvline(overall["share"], color="black", linestyle="--", linewidth=1, zorder=1)
    for y, c in enumerate(classes):  # on white, so the dashed line never runs through a label
        text = (f"{100 * rows[c]['share']:.1f}%  ({rows[c]['with_datasets']:,} of {rows[c]['models']:,})"
                if rows[c]["models"] else "no models")
        ax.annotate(text,
                    (rows[c]["share"], y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1}, zorder=3)
    ax.set_yticks(range(len(classes)), ["none (no base)" if c == "none" else c for c in classes])
    ax.set_xlim(0, 1.3)  # room for the labels right of a full bar
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("share of the models that declare training datasets")
    ax.set_title("Models declaring training datasets, by relation to their base\n"
                 f"(dashed: all models, {100 * overall['share']:.1f}%, "
                 f"{overall['with_datasets']:,} of {overall['models']:,})", fontsize=10)
    ax.grid(axis="y", visible=False)
    return fig


def _dataset_label(row: dict) -> str:
    return _label(f"{row['id']} ({row['license'] or 'license not known'})")


def _top_datasets(plt, stats: Stats):
    from matplotlib.ticker import MaxNLocator

    trained = stats.top_datasets[:DATASETS][::-1]  # largest on top
    reach = stats.top_dataset_reach[:DATASETS][::-1]
    fig, (top, down) = plt.subplots(2, 1, figsize=(9, 0.34 * (len(trained) + len(reach)) + 2.6),
                                    gridspec_kw={"height_ratios": [max(len(trained), 1), max(len(reach), 1)]})
    top.barh(range(len(trained)), [r["trained"] for r in trained], color=TRAINED)
    for y, r in enumerate(trained):
        top.annotate(f" {r['trained']:,}", (r["trained"], y), va="center", fontsize=8)
    top.set_yticks(range(len(trained)), [_dataset_label(r) for r in trained], fontsize=8)
    top.set_xlabel("models trained on the dataset")
    top.set_title("Datasets most models were trained on")
    ys = range(len(reach))
    top.margins(x=0.12)
    down.barh(ys, [r["trained"] for r in reach], color=TRAINED)
    down.barh(ys, [r["downstream"] for r in reach], left=[r["trained"] for r in reach], color=DOWNSTREAM)
    for y, r in enumerate(reach):
        down.annotate(f" {r['reach']:,}", (r["reach"], y), va="center", fontsize=8)
    down.set_yticks(list(ys), [_dataset_label(r) for r in reach], fontsize=8)
    down.set_xlabel("models reached (each once)")
    # the key in the title: a legend inside the axes covers a bar whatever the corner
    down.set_title("Datasets with the widest downstream reach\n(dark: models trained on it; light: their descendants)")
    down.margins(x=0.12)
    for ax in (top, down):
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _log_if_wide(ax, values) -> None:
    """A log y axis where the counts span two decades or more; whole numbers on a linear one."""
    from matplotlib.ticker import MaxNLocator

    positive = [v for v in values if v > 0]
    if positive and max(positive) >= 100 * min(positive):
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _grouped_bars(ax, weeks: list[dict], series: dict[str, list], colours: dict[str, str] | None = None) -> None:
    """One group of bars per interval, one bar per series, labelled with its count."""
    width = 0.8 / len(series)
    values = []
    for k, (name, counts) in enumerate(series.items()):
        values += counts
        xs = [x + (k - (len(series) - 1) / 2) * width for x in range(len(weeks))]
        bars = ax.bar(xs, [max(c, 0) for c in counts], width, label=name.replace("_", " "),
                      color=(colours or {}).get(name))
        for bar, c in zip(bars, counts):
            ax.annotate(f"{c:,}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
    ax.set_xticks(list(range(len(weeks))), [w["to"] for w in weeks], rotation=30 if len(weeks) > 5 else 0)
    _log_if_wide(ax, values)
    ax.margins(y=0.15)
    ax.set_xlabel("snapshot (end of the interval)")
    ax.set_ylabel("models" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="x", visible=False)


def _weekly_changes(plt, weeks: list[dict]):
    fig, ax = plt.subplots(figsize=(max(7.5, 1.2 * len(weeks) + 4), 4.2))
    _grouped_bars(ax, weeks, {k: [w[k] for w in weeks] for k in CHANGE_KINDS}, CHANGE_KINDS)
    ax.set_title("Models added, deleted, updated and rebased per interval")
    return fig


def _deletion_impact(plt, weeks: list[dict]):
    fig, (ax, dl) = plt.subplots(2, 1, figsize=(max(8, 1.4 * len(weeks) + 5), 7.5),
                                 gridspec_kw={"height_ratios": [3, 2]})
    _grouped_bars(ax, weeks, {k: [w["deletion_impact"][k] for w in weeks] for k in IMPACT_SERIES})
    ax.set_title("Observed deletion impact per interval (what each interval's deletions broke)")
    downloads = [w["deletion_impact"]["downstream_downloads"] for w in weeks]
    _grouped_bars(dl, weeks, {"downstream_downloads": downloads}, {"downstream_downloads": "#D55E00"})
    dl.set_ylabel("downloads, last 30 days" + (" (log scale)" if dl.get_yscale() == "log" else ""))
    dl.set_title("Downloads of the affected downstream models")
    return fig
