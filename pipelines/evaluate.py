"""Stage `evaluate`: the trained model on the test split — where it is wrong, how calibrated it is,
how it fares on long inputs, how far back through time its gradient reaches.

    python -m pipelines.evaluate

Reads params `trainer.batch_size`; reads `paths.ingested` (the test texts), `paths.tokenized`,
`paths.models`. Writes `paths.metrics`/evaluate.json (accuracy, macro-F1, loss, expected
calibration error); DVC plots in `paths.plots`: confusion.csv, per_class.csv (precision, recall,
F1), reliability.csv (the reliability diagram), accuracy_by_length.csv, gradient_by_lag.csv; in
`paths.reports`, confident_mistakes.csv (text, actual, predicted, probability) and gates/ (the gate
view of the first test texts, as `textrnn gates` draws it; a DVC image plot). Logs all of it into
the training run in MLflow (the gradient by lag also as metric `test_gradient_by_lag` with
step = lag, which MLflow's UI charts).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.common import log, run

import keras
import mlflow
import numpy as np
from mlflow.entities import Metric
from omegaconf import DictConfig

from textrnn import evaluation, gates, models, tokenized, tracking
from textrnn.atomic import replace_directory, write_json, write_text
from textrnn.data import store

LENGTH_RANGES = 5  # accuracy by input length: quantile ranges of the test split's lengths
MISTAKES = 20  # the most confident mistakes listed
GATE_VIEWS = 3  # the first test texts whose gates are drawn


def write_csv(path: Path, rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """``rows`` as CSV; the header is ``columns`` (for a table that may be empty) or the first row's keys."""
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, table.getvalue())


def main(cfg: DictConfig) -> None:
    directory, models_dir, plots = cfg.paths.tokenized, Path(cfg.paths.models), Path(cfg.paths.plots)
    label_names = tokenized.meta(directory).label_names
    model = models.load(models_dir / "model.keras")
    test_batches = tokenized.batches(tokenized.split(directory, "test"), cfg.trainer.batch_size)
    probabilities = model.predict(test_batches, verbose=0)
    labels = tokenized.labels(directory, "test")
    ece, reliability = evaluation.calibration(labels, probabilities)
    metrics = {**evaluation.classification_metrics(labels, probabilities), "ece": ece}
    write_json(Path(cfg.paths.metrics) / "evaluate.json", metrics)

    lengths = tokenized.lengths(directory, "test")
    report = {
        plots / "confusion.csv": evaluation.confusion_rows(labels, probabilities, label_names),
        plots / "per_class.csv": evaluation.per_class_metrics(labels, probabilities, label_names),
        plots / "reliability.csv": reliability,
        plots / "accuracy_by_length.csv": evaluation.accuracy_by_length(
            labels, probabilities, lengths, tokenized.length_boundaries(lengths, LENGTH_RANGES)
        ),
    }
    mistakes_csv = Path(cfg.paths.reports) / "confident_mistakes.csv"  # empty for a model without mistakes
    texts = [row["text"].decode() for row in store.load_split(cfg.paths.ingested, "test").as_numpy_iterator()]
    mistakes = evaluation.confident_mistakes(texts, labels, probabilities, label_names, MISTAKES)
    write_csv(mistakes_csv, mistakes, columns=evaluation.MISTAKE_COLUMNS)
    gate_views = Path(cfg.paths.reports) / "gates"
    draw_gate_views(model, directory, gate_views, labels, probabilities, label_names)
    token_batches = (tokens for tokens, _ in test_batches.as_numpy_iterator())
    report[plots / "gradient_by_lag.csv"] = gradient = evaluation.gradient_by_lag(model, token_batches)
    for path, rows in report.items():
        write_csv(path, rows)
    log_to_run(models_dir / tracking.RUN_REFERENCE, metrics, gradient, [*report, mistakes_csv, gate_views])
    log.info("test: %s", metrics)


def draw_gate_views(
    model: keras.Model,
    directory: str,
    output: Path,
    labels: np.ndarray,
    probabilities: np.ndarray,
    label_names: list[str],
) -> None:
    """``output``/test_<i>.png: the gates over each of the first test texts, its labels in the title."""
    vocabulary = tokenized.vocabulary(directory)
    with replace_directory(output) as views:
        for index, row in enumerate(tokenized.split(directory, "test").take(GATE_VIEWS).as_numpy_iterator()):
            ids = row["tokens"].tolist()
            if not ids:  # an empty text has no steps to draw
                continue
            predicted = int(probabilities[index].argmax())
            title = (
                f"test text {index}: actual {label_names[labels[index]]}, predicted {label_names[predicted]} "
                f"(p = {probabilities[index, predicted]:.3f})"
            )
            gates.plot(gates.trace(model, ids), [vocabulary[i] for i in ids], views / f"test_{index}.png", title)


def log_to_run(reference: Path, metrics: dict[str, float], gradient: list[dict[str, Any]], files: list[Path]) -> None:
    """Metrics, the gradient by lag (step = lag, which MLflow's chart draws) and the report's files and folders."""
    with tracking.resume_run(reference) as active:
        mlflow.log_metrics({f"test_{name}": value for name, value in metrics.items()})
        now = int(time.time() * 1000)
        points = [Metric("test_gradient_by_lag", row["gradient_norm"], now, row["lag"]) for row in gradient]
        client = mlflow.MlflowClient()
        for start in range(0, len(points), 1000):  # MLflow takes at most 1,000 metrics per batch
            client.log_batch(active.info.run_id, metrics=points[start : start + 1000])
        for path in files:
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=path.name)
            else:
                mlflow.log_artifact(str(path))


if __name__ == "__main__":
    run(main, __doc__)
