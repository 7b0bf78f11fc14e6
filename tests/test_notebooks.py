"""The notebooks run top to bottom in a fresh kernel, and the outputs saved in them are a full run's."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

from tests.conftest import tiny_config

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def _outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def _text(notebook: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in _outputs(notebook))


def _figures(notebook: nbformat.NotebookNode) -> int:
    assert not any(output.output_type == "error" for output in _outputs(notebook))
    return sum(output.output_type == "display_data" for output in _outputs(notebook))


def _execute(name: str) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel in notebooks/; raises CellExecutionError, with the cell, on failure."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return notebook


def test_the_saved_outputs_of_vanishing_gradients_are_from_a_full_run():
    notebook = nbformat.read(NOTEBOOKS / "vanishing_gradients.ipynb", as_version=4)
    assert _figures(notebook) == 2
    text = _text(notebook)
    for lag in (20, 50, 100, 150):  # the full run's lags, not the quick run's
        assert f"lag {lag:4d}" in text


def test_the_saved_outputs_of_compare_runs_are_from_a_sweep():
    notebook = nbformat.read(NOTEBOOKS / "compare_runs.ipynb", as_version=4)
    assert _figures(notebook) == 2
    rows = [line.split() for line in _text(notebook).splitlines()]
    compared = {(row[1], row[2]) for row in rows if len(row) > 3 and row[0].isdigit() and row[2].isdigit()}
    assert compared == {(family, units) for family in ("gru", "lstm", "simple_rnn") for units in ("32", "64")}


@pytest.mark.slow
def test_vanishing_gradients_runs_top_to_bottom(monkeypatch):
    monkeypatch.setenv("TEXTRNN_NOTEBOOK_QUICK", "1")  # the notebook's own shrunken settings
    notebook = _execute("vanishing_gradients.ipynb")
    assert _figures(notebook) == 2
    assert "lag   30" in _text(notebook) and "best val accuracy" in _text(notebook)


@pytest.mark.slow
def test_compare_runs_runs_on_a_store_of_two_runs(tmp_path, monkeypatch):
    from pipelines import evaluate, ingest, tokenize_text, train

    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    ingest.main(cfg)
    tokenize_text.main(cfg)
    for family in ("lstm", "gru"):
        cfg.model.family, cfg.paths.models = family, str(tmp_path / f"models_{family}")
        train.main(cfg)
        evaluate.main(cfg)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", cfg.tracking.tracking_uri)
    notebook = _execute("compare_runs.ipynb")
    assert _figures(notebook) == 2
    text = _text(notebook)
    assert "2 evaluated runs, 2 configurations" in text
    assert {line.split()[1] for line in text.splitlines() if line.split()[:1] in (["0"], ["1"])} == {"gru", "lstm"}
