"""The notebooks run top to bottom in a fresh kernel, and the outputs saved in them are a full run's."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbclient
import nbformat
import pytest
from omegaconf import OmegaConf

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
def test_compare_runs_runs_on_a_store_of_two_runs(pipeline_run, tmp_path, monkeypatch):
    """The tiny pipeline's store (an LSTM run), copied, and a GRU trained and evaluated into the copy."""
    from pipelines import evaluate, train

    cfg, workdir = pipeline_run
    shutil.copy(workdir / "mlflow.db", tmp_path / "mlflow.db")
    gru = OmegaConf.merge(
        cfg,
        {
            "model": {"family": "gru"},
            "tracking": {"tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}"},
            "paths": {name: str(tmp_path / name) for name in ("models", "checkpoints", "plots", "metrics", "reports")},
        },
    )
    monkeypatch.chdir(tmp_path)
    train.main(gru)
    evaluate.main(gru)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", gru.tracking.tracking_uri)
    notebook = _execute("compare_runs.ipynb")
    assert _figures(notebook) == 2
    text = _text(notebook)
    assert "2 evaluated runs, 2 configurations" in text
    assert {line.split()[1] for line in text.splitlines() if line.split()[:1] in (["0"], ["1"])} == {"gru", "lstm"}
