"""MLflow runs that several pipeline stages share and that survive a crash.

``train`` opens a run (or reopens the one a crashed attempt left, see :func:`start_run`);
``evaluate`` and ``export`` reopen it through the reference file (:data:`RUN_REFERENCE`) ``train`` writes.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keras
import mlflow
from matplotlib.figure import Figure
from mlflow.entities import RunStatus

from textrnn.atomic import MARKER, write_json

RUN_REFERENCE = "mlflow_run.json"  # the name train gives the reference file beside its model


@contextmanager
def _ending(run: mlflow.ActiveRun) -> Iterator[mlflow.ActiveRun]:
    """MLflow marks a run FAILED on an exception; Ctrl-C marks it KILLED instead."""
    with run:
        try:
            yield run
        except KeyboardInterrupt:
            mlflow.end_run(RunStatus.to_string(RunStatus.KILLED))
            raise


def log_directory(directory: str | os.PathLike[str], artifact_path: str) -> None:
    """The files of a directory textrnn wrote, as the active run's artifacts under ``artifact_path`` (its
    folders kept), less textrnn's ownership marker."""
    directory = Path(directory)
    for file in sorted(directory.rglob("*")):
        if file.is_file() and file.name != MARKER:
            folder = file.parent.relative_to(directory)
            mlflow.log_artifact(str(file), artifact_path=str(Path(artifact_path, folder)))


def run_name(*, family: str, units: int, bidirectional: bool, dataset: str, experiment: str | None) -> str:
    """What ran, for MLflow's run list: ``bilstm-128-sst2``, with the DVC experiment's name after it."""
    name = f"{'bi' if bidirectional else ''}{family}-{units}-{dataset}"
    return f"{name} ({experiment})" if experiment else name


def anchored(tracking_uri: str, root: str | os.PathLike[str]) -> tuple[str, str | None]:
    """A relative SQLite store made absolute under ``root``, and where its artifacts go.

    ``sqlite:///mlflow.db`` (three slashes: a relative path) is a file in the working directory,
    which is not the project for a stage that ``dvc exp run --queue`` or ``--temp`` runs in a
    copy of it. Anchored, it is ``sqlite:////<root>/mlflow.db``, and a new experiment's artifacts go
    to ``<root>/mlruns`` (MLflow's default for a SQL store, resolved against ``root`` rather than
    the working directory). Any other URI — an absolute SQLite path, a server, Databricks — is
    returned as it is, with ``None``: its artifact location is its own.
    """
    path = tracking_uri.removeprefix("sqlite:///")
    if not tracking_uri.startswith("sqlite:///") or path.startswith("/"):
        return tracking_uri, None
    root = Path(root).resolve()
    return f"sqlite:///{root / path}", (root / "mlruns").as_uri()


@contextmanager
def start_run(
    *,
    tracking_uri: str,
    experiment_name: str,
    run_name: str,
    reference: Path,
    run_id: str | None = None,
    artifact_location: str | None = None,
) -> Iterator[mlflow.ActiveRun]:
    """Open a run and write its reference (id and tracking URI) to ``reference``.

    With ``run_id``, the run of a crashed attempt, that run is reopened, so one run holds every
    epoch of a training that was interrupted and resumed. ``artifact_location`` is where a new
    experiment keeps its artifacts (``None``: the store's default); an existing one keeps its own.
    """
    mlflow.set_tracking_uri(tracking_uri)
    if artifact_location and mlflow.get_experiment_by_name(experiment_name) is None:
        mlflow.create_experiment(experiment_name, artifact_location=artifact_location)
    mlflow.set_experiment(experiment_name)
    with _ending(mlflow.start_run(run_id=run_id, run_name=None if run_id else run_name)) as run:
        write_json(reference, {"run_id": run.info.run_id, "tracking_uri": tracking_uri})
        yield run


@contextmanager
def resume_run(reference: Path) -> Iterator[mlflow.ActiveRun]:
    """Reopen the run whose reference :func:`start_run` wrote."""
    ref = json.loads(reference.read_text())
    mlflow.set_tracking_uri(ref["tracking_uri"])
    with _ending(mlflow.start_run(run_id=ref["run_id"])) as run:
        yield run


class EpochLogger(keras.callbacks.Callback):
    """Log each epoch's logs to the active run at step = epoch, counted from 1 as Keras prints it.

    Keras's logs (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``) and what callbacks before
    this one added to them (:class:`textrnn.training.EpochStatistics`: wall time, tokens/s, padded
    fraction); with ``log_learning_rate``, for a schedule that changes it, the learning rate. (A
    constant rate is a param; charted, MLflow draws it as a flat line at 0. MLflow's own
    ``MlflowCallback`` counts epochs from 0 and logs validation twice, as ``val_*`` and ``validation_*``.)
    """

    def __init__(self, *, log_learning_rate: bool) -> None:
        super().__init__()
        self.log_learning_rate = log_learning_rate

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        metrics = dict(logs or {})
        if self.log_learning_rate:
            metrics["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        mlflow.log_metrics(metrics, step=epoch + 1)


class SampleLogger(keras.callbacks.Callback):
    """After each epoch, log the text ``sample()`` returns to the active run as ``samples/epoch_<n>.txt``
    (epochs counted from 1): a language model's generated text, read in MLflow's artifact view."""

    def __init__(self, sample: Callable[[], str]) -> None:
        super().__init__()
        self.sample = sample

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        mlflow.log_text(self.sample(), f"samples/epoch_{epoch + 1:03d}.txt")


def learning_curves(history_csv: Path) -> Figure:
    """Loss and accuracy per epoch, train against validation, from a training's history CSV."""
    with history_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) for row in rows]
    figure = Figure(figsize=(9, 3.5), layout="constrained")  # no pyplot: no display backend needed
    axes = figure.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, [float(r[metric]) for r in rows], marker="o", label="train")
        ax.plot(epochs, [float(r[f"val_{metric}"]) for r in rows], marker="o", label="validation")
        ax.set(xlabel="epoch", title=metric)
        ax.legend()
    return figure
