"""`hflineage stats --plots DIR`: the figures' data for a hand-made family (known answers), real
PNG files, and the JSON beside them."""

from __future__ import annotations

import json

from hflineage.loader.load import load

from graphs import FAMILY

TAGS = {"a/ad1": "text-to-image", "a/ad2": "text-to-image", "a/q1": "text-generation"}


def test_stats_plots(graph, make_parquet, cli, tmp_path):
    rows = [{**r, **({"pipeline_tag": TAGS[r["id"]]} if r["id"] in TAGS else {})} for r in FAMILY]
    rows.append({"id": "b/base", "downloads": 3})
    rows.append({"id": "b/ft", "base": ["b/base"], "relation": "finetune"})
    load(graph, make_parquet(rows), progress=False)
    out = tmp_path / "figures"
    r = cli("stats", "--plots", str(out), "--top", "3", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    # one family of 9 (the root's, ghost/base included) and one of 2; x/other is alone
    assert doc["family_sizes"] == {"2": 1, "9": 1}
    assert doc["relation_mix_by_pipeline_tag"] == {
        "(none)": {"adapter": 0, "finetune": 4, "quantized": 0, "merge": 2},
        "text-to-image": {"adapter": 2, "finetune": 0, "quantized": 0, "merge": 0},
        "text-generation": {"adapter": 0, "finetune": 0, "quantized": 1, "merge": 0},
    }
    assert doc["stats"]["families"] == 2 and [f["size"] for f in doc["stats"]["top_families"]] == [9, 2]
    assert json.loads((out / "stats.json").read_text()) == doc
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["chain_length.png", "depth_by_pipeline_tag.png", "family_size.png",
                     "relation_mix_by_pipeline_tag.png", "top_families.png"]
    for name in names:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
    # a file where the folder should be: a usage error (exit 2) naming it, nothing written
    clash = tmp_path / "file"
    clash.write_text("x")
    r = cli("stats", "--plots", str(clash))
    assert r.exit_code == 2 and "is a file" in r.stderr and clash.read_text() == "x"


def test_weekly_plots_with_snapshots(graph, make_parquet, cli, tmp_path):
    """With two snapshots (the hand-worked pair of test_snapshot), the weekly figures are drawn
    from the interval's figures: 4 added, 4 deleted, 1 updated, 2 rebased; 2 deleted bases
    affecting 1 derived model with 7 downloads."""
    from hflineage.loader import snapshot

    from graphs import N_DATE, P_DATE, week_n, week_p

    out = tmp_path / "figures"
    r = cli("stats", "--plots", str(out))  # an empty graph: one line, nothing written
    assert r.exit_code != 0 and r.stderr.strip().splitlines() == [
        "error: the graph holds no models: nothing to plot (load a file first)"] and not out.exists()
    snapshot.snapshot_load(graph, make_parquet(week_p()), P_DATE, progress=False)
    snapshot.snapshot_load(graph, make_parquet(week_n()), N_DATE, progress=False)
    r = cli("stats", "--plots", str(out), "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["intervals"] == [{
        "from": P_DATE, "to": N_DATE, "added": 4, "deleted": 4, "updated": 1, "rebased": 2,
        "deletion_impact": {"deleted_base_models": 2, "affected_derived": 1, "affected_downstream": 1,
                            "orphaned": 0, "merges_losing_parent": 1, "downstream_downloads": 7}}]
    for name in ("weekly_changes.png", "deletion_impact_over_time.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
        assert str(out / name) in doc["files"]


def test_dataset_plots_drawn_when_models_name_datasets(graph, make_parquet, make_datasets, cli, tmp_path):
    """trained_lineage: the two dataset figures join the five (the stats they draw are in the
    JSON, e.g. 7 of the 10 models declare datasets); a graph naming none draws neither (above)."""
    from graphs import load_trained

    load_trained(graph, make_parquet, make_datasets)
    out = tmp_path / "figures"
    r = cli("stats", "--plots", str(out), "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["stats"]["datasets_by_relation"]["all"] == {"models": 10, "with_datasets": 7, "share": 0.7}
    assert [d["id"] for d in doc["stats"]["top_dataset_reach"]][:2] == ["d/one", "d/shared"]
    for name in ("datasets_by_relation.png", "top_datasets.png"):
        assert str(out / name) in doc["files"]
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
