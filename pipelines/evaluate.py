"""Stage `evaluate`: test-set accuracy, macro-F1 and loss; the confusion matrix and the gradient
by lag (how far back through time the trained model's gradient reaches) as DVC plots.

    python -m pipelines.evaluate

Reads `paths.tokenized`, `paths.models`, `paths.metrics`/baseline.json; writes
`paths.metrics`/evaluate.json, `paths.plots`/confusion.csv and `paths.plots`/gradient_by_lag.csv;
logs all of it into the training run in MLflow (the gradient by lag also as metric
`test_gradient_by_lag` with step = lag, which MLflow's UI charts).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from pipelines import data
from pipelines.common import log, run

import mlflow
from mlflow.entities import Metric
from omegaconf import DictConfig

from textrnn import evaluation, models, tracking, training
from textrnn.io import write_json, write_text


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, table.getvalue())


def main(cfg: DictConfig) -> None:
    tokenized, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    label_names = data.meta(tokenized)["label_names"]
    model = models.load(models_dir / "model.keras")
    test = data.split(tokenized, "test")
    test_batches = training.batches(test, cfg.trainer.batch_size)
    probabilities = model.predict(test_batches, verbose=0)
    labels = data.labels(test)
    metrics = evaluation.classification_metrics(labels, probabilities)
    write_json(Path(cfg.paths.metrics) / "evaluate.json", metrics)

    confusion_csv = Path(cfg.paths.plots) / "confusion.csv"
    write_csv(confusion_csv, evaluation.confusion_rows(labels, probabilities, label_names))
    gradient_csv = Path(cfg.paths.plots) / "gradient_by_lag.csv"
    token_batches = (tokens for tokens, _ in test_batches.as_numpy_iterator())
    gradient = evaluation.gradient_by_lag(model, token_batches)
    write_csv(gradient_csv, gradient)

    baselines = json.loads((Path(cfg.paths.metrics) / "baseline.json").read_text())
    with tracking.resume_run(models_dir / "run.json") as active:
        mlflow.log_metrics({f"test_{name}": value for name, value in {**metrics, **baselines}.items()})
        # One point per lag, so that MLflow's metric chart draws the profile (step = lag).
        now = int(time.time() * 1000)
        points = [Metric("test_gradient_by_lag", row["gradient_norm"], now, row["lag"]) for row in gradient]
        client = mlflow.MlflowClient()
        for start in range(0, len(points), 1000):  # MLflow takes at most 1,000 metrics per batch
            client.log_batch(active.info.run_id, metrics=points[start : start + 1000])
        mlflow.log_artifact(str(confusion_csv))
        mlflow.log_artifact(str(gradient_csv))
    log.info("test: %s; baselines: %s", metrics, baselines)


if __name__ == "__main__":
    run(main, __doc__)
