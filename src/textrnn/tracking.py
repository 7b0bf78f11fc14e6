"""MLflow runs that several pipeline stages share: train opens one, evaluate and export resume it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from textrnn.io import write_json


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``, the way MLflow shows nested params."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@contextmanager
def start_run(
    *, tracking_uri: str, experiment_name: str, run_name: str | None, reference: Path
) -> Iterator[mlflow.ActiveRun]:
    """Open a new run and write its id to ``reference`` for the stages after this one."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment_name)
    with mlflow.start_run(run_name=run_name) as run:
        write_json(reference, {"run_id": run.info.run_id, "tracking_uri": tracking_uri})
        yield run


@contextmanager
def resume_run(reference: Path) -> Iterator[mlflow.ActiveRun]:
    """Reopen the run whose id ``start_run`` wrote to ``reference``."""
    ref = json.loads(reference.read_text())
    mlflow.set_tracking_uri(ref["tracking_uri"])
    with mlflow.start_run(run_id=ref["run_id"]) as run:
        yield run
