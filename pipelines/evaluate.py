"""Stage `evaluate`: test-set accuracy, macro-F1 and loss; the confusion matrix and the gradient
by lag (how far back through time the trained model's gradient reaches) as DVC plots.

    python -m pipelines.evaluate

Reads params `trainer.batch_size`; reads `paths.tokenized`, `paths.models`; writes
`paths.metrics`/evaluate.json, `paths.plots`/confusion.csv and `paths.plots`/gradient_by_lag.csv;
logs all of it into the training run in MLflow (the gradient by lag also as metric
`test_gradient_by_lag` with step = lag, which MLflow's UI charts).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from pipelines.common import log, run

import mlflow
from mlflow.entities import Metric
from omegaconf import DictConfig

from textrnn import evaluation, models, tokenized, tracking
from textrnn.atomic import write_json, write_text


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, table.getvalue())


def main(cfg: DictConfig) -> None:
    directory, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    label_names = tokenized.meta(directory).label_names
    model = models.load(models_dir / "model.keras")
    test_batches = tokenized.batches(tokenized.split(directory, "test"), cfg.trainer.batch_size)
    probabilities = model.predict(test_batches, verbose=0)
    labels = tokenized.labels(directory, "test")
    metrics = evaluation.classification_metrics(labels, probabilities)
    write_json(Path(cfg.paths.metrics) / "evaluate.json", metrics)

    confusion_csv = Path(cfg.paths.plots) / "confusion.csv"
    write_csv(confusion_csv, evaluation.confusion_rows(labels, probabilities, label_names))
    gradient_csv = Path(cfg.paths.plots) / "gradient_by_lag.csv"
    token_batches = (tokens for tokens, _ in test_batches.as_numpy_iterator())
    gradient = evaluation.gradient_by_lag(model, token_batches)
    write_csv(gradient_csv, gradient)

    with tracking.resume_run(models_dir / tracking.RUN_REFERENCE) as active:
        mlflow.log_metrics({f"test_{name}": value for name, value in metrics.items()})
        # One point per lag, so that MLflow's metric chart draws the profile (step = lag).
        now = int(time.time() * 1000)
        points = [Metric("test_gradient_by_lag", row["gradient_norm"], now, row["lag"]) for row in gradient]
        client = mlflow.MlflowClient()
        for start in range(0, len(points), 1000):  # MLflow takes at most 1,000 metrics per batch
            client.log_batch(active.info.run_id, metrics=points[start : start + 1000])
        mlflow.log_artifact(str(confusion_csv))
        mlflow.log_artifact(str(gradient_csv))
    log.info("test: %s", metrics)


if __name__ == "__main__":
    run(main, __doc__)
