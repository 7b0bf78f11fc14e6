"""Stage `evaluate`: test-set accuracy, macro-F1 and loss; the confusion matrix as a DVC plot.

    python -m pipelines.evaluate

Reads `paths.tokenized`, `paths.models`, `paths.metrics`/baseline.json; writes
`paths.metrics`/evaluate.json and `paths.plots`/confusion.csv; logs all of it into the training
run in MLflow.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import keras
import mlflow
from omegaconf import DictConfig

from pipelines import data
from pipelines.common import log, run
from textrnn import evaluation, tracking, training
from textrnn.io import write_json, write_text


def main(cfg: DictConfig) -> None:
    tokenized, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    label_names = data.meta(tokenized)["label_names"]
    model = keras.saving.load_model(models_dir / "model.keras")
    test = data.split(tokenized, "test")
    probabilities = model.predict(training.batches(test, cfg.trainer.batch_size), verbose=0)
    labels = data.labels(test)
    metrics = evaluation.classification_metrics(labels, probabilities)
    write_json(Path(cfg.paths.metrics) / "evaluate.json", metrics)

    rows = evaluation.confusion_rows(labels, probabilities, label_names)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=["actual", "predicted"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    confusion_csv = Path(cfg.paths.plots) / "confusion.csv"
    write_text(confusion_csv, table.getvalue())

    baselines = json.loads((Path(cfg.paths.metrics) / "baseline.json").read_text())
    with tracking.resume_run(models_dir / "run.json"):
        mlflow.log_metrics({f"test_{name}": value for name, value in {**metrics, **baselines}.items()})
        mlflow.log_artifact(str(confusion_csv))
    log.info("test: %s; baselines: %s", metrics, baselines)


if __name__ == "__main__":
    run(main, __doc__)
