"""examples/lineage.ipynb runs top to bottom against the test server (nbclient, a real kernel)."""

from __future__ import annotations

import os

import nbformat
import pyarrow.compute as pc
import pyarrow.parquet as pq
from nbclient import NotebookClient

from conftest import REPO, SAMPLE

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def test_the_example_notebook_runs_top_to_bottom(graph):
    path = REPO / "examples" / "lineage.ipynb"
    nb = nbformat.read(path, as_version=4)
    # the kernel inherits this environment: the test server's home and ports (conftest), the sample
    os.environ["HFLINEAGE_SAMPLE"] = str(SAMPLE)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = {i: "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
               for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    text = "\n".join(outputs.values())
    # the values the notebook printed are the graph's: the sample's distinct ids, and the same
    # answers asked again through the API here
    models = len(pc.unique(pq.read_table(SAMPLE, columns=["id"])["id"]))
    assert models == 4167
    import hflineage

    with hflineage.connect() as lin:
        tree = lin.show(MODEL)
        root = lin.chain(MODEL).roots[0]
        family = lin.descendants(root).to_pandas()
        audit = lin.license_audit()
    assert tree.depth == 1 and root == "meta-llama/Llama-3.1-8B"
    assert f"{models:,} models, " in text
    assert f"{MODEL} depth 1 | descendants {tree.descendants} | model tree {tree.children}" in text
    assert f"{root}: {len(family):,} descendants" in text and len(family) > tree.descendants
    assert f"{audit.counts} conflicts over {audit.checked} models" in text and audit.checked > 0
    assert not any(o.get("output_type") == "error" for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
