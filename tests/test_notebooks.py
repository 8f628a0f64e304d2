"""The notebooks run from top to bottom without error."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    sources = "".join(cell.source for cell in notebook.cells)
    if ("pid.factorcl" in sources or "pid.models" in sources) and not _has("torch"):
        pytest.skip("the notebook trains models, which needs torch")
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    errors = [
        o
        for cell in notebook.cells
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
