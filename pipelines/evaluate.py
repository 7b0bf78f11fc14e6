"""Stage `evaluate`: the trained model on the test split — where it is wrong, how calibrated it is,
how it fares on long inputs, how far back through time its gradient reaches (over at most 2,000
test texts: a seeded sample of a larger test split). A language model is
scored the same way on every next token of the test text (its classes are the vocabulary; its
input length is how many tokens of its window it has read), plus bits per token and perplexity.

    python -m pipelines.evaluate

Reads params `task`, `trainer.batch_size`; reads `paths.ingested` (the test texts), `paths.tokenized`,
`paths.models`, `paths.baseline`. Writes `paths.metrics`/evaluate.json (accuracy, macro-F1, loss,
expected calibration error; for a classifier, its paired comparison with stage `baseline`'s bag of
words: `vs_bow_wins`, the test texts it gets right and the bag of words wrong, `vs_bow_losses`, the
reverse, `vs_bow_p_value`, McNemar's exact test of the two, and `vs_bow_log10_p_value`, its logarithm,
readable where the p-value prints as 0.0); DVC plots in `paths.plots`:
confusion.csv, per_class.csv (precision, recall, F1), reliability.csv (the reliability diagram),
accuracy_by_length.csv, gradient_by_lag.csv; in `paths.reports`, confident_mistakes.csv (text,
actual, predicted, probability) and gates/ (the gate view of the first test texts, as `textrnn
gates` draws it; a DVC image plot). Logs all of it into the training run in MLflow (the gradient by
lag also as metric `test_gradient_by_lag` with step = lag, which MLflow's UI charts).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.common import log, run
from pipelines.task import task_of

import keras
import mlflow
from mlflow.entities import Metric
from omegaconf import DictConfig

from textrnn import evaluation, gates, models, tokenized, tracking
from textrnn.atomic import replace_directory, write_json, write_text

LENGTH_RANGES = 5  # accuracy by input length: quantile ranges of the test split's lengths
MISTAKES = 20  # the most confident mistakes listed


def write_csv(path: Path, rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """``rows`` as CSV; the header is ``columns`` (for a table that may be empty) or the first row's keys."""
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, table.getvalue())


def main(cfg: DictConfig) -> None:
    task = task_of(cfg)
    model = models.load(Path(cfg.paths.models) / "model.keras")
    scored = task.score(
        model,
        cfg.paths.tokenized,
        ingested=cfg.paths.ingested,
        baseline=cfg.paths.baseline,
        batch_size=cfg.trainer.batch_size,
    )
    labels, probabilities, plots = scored.labels, scored.probabilities, Path(cfg.paths.plots)
    ece, reliability = evaluation.calibration(labels, probabilities)
    metrics = {**evaluation.classification_metrics(labels, probabilities), "ece": ece, **scored.metrics}
    write_json(Path(cfg.paths.metrics) / "evaluate.json", metrics)

    report = {
        plots / "confusion.csv": evaluation.confusion_rows(labels, probabilities, scored.label_names),
        plots / "per_class.csv": evaluation.per_class_metrics(labels, probabilities, scored.label_names),
        plots / "reliability.csv": reliability,
        plots / "accuracy_by_length.csv": evaluation.accuracy_by_length(
            labels, probabilities, scored.lengths, tokenized.length_boundaries(scored.lengths, LENGTH_RANGES)
        ),
    }
    mistakes_csv = Path(cfg.paths.reports) / "confident_mistakes.csv"  # empty for a model without mistakes
    mistakes = evaluation.confident_mistakes(scored.texts, labels, probabilities, scored.label_names, MISTAKES)
    write_csv(mistakes_csv, mistakes, columns=evaluation.MISTAKE_COLUMNS)
    gate_views = Path(cfg.paths.reports) / "gates"
    draw_gate_views(model, tokenized.vocabulary(cfg.paths.tokenized), gate_views, scored.gate_views)
    report[plots / "gradient_by_lag.csv"] = gradient = evaluation.gradient_by_lag(model, scored.token_batches)
    for path, rows in report.items():
        write_csv(path, rows)
    log_to_run(Path(cfg.paths.models) / tracking.RUN_REFERENCE, metrics, gradient, [*report, mistakes_csv, gate_views])
    log.info("test: %s", metrics)


def draw_gate_views(
    model: keras.Model, vocabulary: list[str], output: Path, views: list[tuple[list[int], str]]
) -> None:
    """``output``/test_<i>.png: the gates over each view's tokens, its title above."""
    with replace_directory(output) as directory:
        for index, (ids, title) in enumerate(views):
            if not ids:  # an empty text has no steps to draw
                continue
            gates.plot(gates.trace(model, ids), [vocabulary[i] for i in ids], directory / f"test_{index}.png", title)


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
                tracking.log_directory(path, path.name)
            else:
                mlflow.log_artifact(str(path))


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested", "tokenized", "models", "baseline"), writes=("reports/gates",))
