"""The notebooks run top to bottom in a fresh kernel, and the outputs saved in them are a full run's."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def _outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def _text(notebook: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in _outputs(notebook))


def test_the_saved_outputs_of_vanishing_gradients_are_from_a_full_run():
    notebook = nbformat.read(NOTEBOOKS[0].parent / "vanishing_gradients.ipynb", as_version=4)
    assert not any(output.output_type == "error" for output in _outputs(notebook))
    assert sum(output.output_type == "display_data" for output in _outputs(notebook)) == 2  # both figures
    text = _text(notebook)
    for lag in (20, 50, 100, 150):  # the full run's lags, not the quick run's
        assert f"lag {lag:4d}" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    monkeypatch.setenv("TEXTRNN_NOTEBOOK_QUICK", "1")  # the notebook's own shrunken settings
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if any cell fails
    assert sum(output.output_type == "display_data" for output in _outputs(notebook)) == 2
    assert "lag   30" in _text(notebook) and "best val accuracy" in _text(notebook)
