"""examples/lineage.ipynb runs top to bottom against the test server (nbclient, a real kernel)."""

from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from conftest import REPO, SAMPLE


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
    assert "4,167 models" in text or "models," in text
    assert "meta-llama/Llama-3.1-8B-Instruct depth 1" in text
    assert "descendants" in text and "conflicts over" in text
    assert not any(o.get("output_type") == "error" for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
