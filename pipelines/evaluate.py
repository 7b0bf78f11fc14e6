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
reverse, and `vs_bow_p_value`, McNemar's exact test of the two); DVC plots in `paths.plots`:
confusion.csv, per_class.csv (precision, recall, F1), reliability.csv (the reliability diagram),
accuracy_by_length.csv, gradient_by_lag.csv; in `paths.reports`, confident_mistakes.csv (text,
actual, predicted, probability) and gates/ (the gate view of the first test texts, as `textrnn
gates` draws it; a DVC image plot). Logs all of it into the training run in MLflow (the gradient by
lag also as metric `test_gradient_by_lag` with step = lag, which MLflow's UI charts).
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.common import log, run

import keras
import mlflow
import numpy as np
import tensorflow as tf
from mlflow.entities import Metric
from omegaconf import DictConfig

from textrnn import evaluation, gates, language_model, models, tokenized, tracking
from textrnn.atomic import replace_directory, write_json, write_text
from textrnn.data import store

LENGTH_RANGES = 5  # accuracy by input length: quantile ranges of the test split's lengths
MISTAKES = 20  # the most confident mistakes listed
GATE_VIEWS = 3  # the first test texts (a language model's: windows) whose gates are drawn
GATE_TOKENS = 64  # of a language model's window
ANALYSIS_TEXTS = 2000  # the gradient by lag reads every test text (or window) up to this many, else a seeded sample


def analysis_batches(examples: tf.data.Dataset, count: int, batch_size: int) -> Iterator[np.ndarray]:
    """The token batches the gradient by lag reads: all ``count`` examples, or where there are more than
    :data:`ANALYSIS_TEXTS`, a seeded sample of that many (IMDB's test split is 25,000 reviews, sorted by label)."""
    if count > ANALYSIS_TEXTS:
        examples = examples.shuffle(count, seed=0).take(ANALYSIS_TEXTS)
    return (tokens for tokens, _ in tokenized.batches(examples, batch_size).as_numpy_iterator())


def write_csv(path: Path, rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """``rows`` as CSV; the header is ``columns`` (for a table that may be empty) or the first row's keys."""
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, table.getvalue())


@dataclass
class Scored:
    """The model's predictions on the test split, as the report reads them: one row per prediction
    (a text, or one step of a language model's windows)."""

    labels: np.ndarray
    probabilities: np.ndarray
    lengths: np.ndarray  # tokens the prediction read
    texts: Sequence[str]  # what it read, for the confident mistakes
    label_names: list[str]
    token_batches: Iterable[np.ndarray]  # for the gradient by lag
    gate_views: list[tuple[list[int], str]]  # token ids and title of each gate view


def main(cfg: DictConfig) -> None:
    model = models.load(Path(cfg.paths.models) / "model.keras")
    scored = score_language_model(cfg, model) if cfg.task.name == "language_model" else score_classifier(cfg, model)
    labels, probabilities, plots = scored.labels, scored.probabilities, Path(cfg.paths.plots)
    ece, reliability = evaluation.calibration(labels, probabilities)
    metrics = {**evaluation.classification_metrics(labels, probabilities), "ece": ece}
    if cfg.task.name == "language_model":
        metrics |= {"bits_per_token": metrics["loss"] / math.log(2.0), "perplexity": math.exp(metrics["loss"])}
    else:
        metrics |= compare_with_bag_of_words(cfg, labels, probabilities)
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


def score_classifier(cfg: DictConfig, model: keras.Model) -> Scored:
    """One prediction per test text."""
    directory = cfg.paths.tokenized
    label_names = tokenized.meta(directory).label_names
    test_batches = tokenized.batches(tokenized.split(directory, "test"), cfg.trainer.batch_size)
    probabilities = model.predict(test_batches, verbose=0)
    labels = tokenized.labels(directory, "test")
    texts = [row["text"].decode() for row in store.load_split(cfg.paths.ingested, "test").as_numpy_iterator()]
    views = []
    for index, row in enumerate(tokenized.split(directory, "test").take(GATE_VIEWS).as_numpy_iterator()):
        predicted = int(probabilities[index].argmax())
        title = (
            f"test text {index}: actual {label_names[labels[index]]}, predicted {label_names[predicted]} "
            f"(p = {probabilities[index, predicted]:.3f})"
        )
        views.append((row["tokens"].tolist(), title))
    return Scored(
        labels=labels,
        probabilities=probabilities,
        lengths=tokenized.lengths(directory, "test"),
        texts=texts,
        label_names=label_names,
        token_batches=analysis_batches(tokenized.split(directory, "test"), len(labels), cfg.trainer.batch_size),
        gate_views=views,
    )


def compare_with_bag_of_words(cfg: DictConfig, labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """The classifier's test predictions against the bag-of-words model's, text by text."""
    bag_of_words = models.load(Path(cfg.paths.baseline) / "model.keras")
    test_batches = tokenized.batches(tokenized.split(cfg.paths.tokenized, "test"), cfg.trainer.batch_size)
    comparison = evaluation.paired_comparison(labels, probabilities, bag_of_words.predict(test_batches, verbose=0))
    return {f"vs_bow_{name}": value for name, value in comparison.items()}


def score_language_model(cfg: DictConfig, model: keras.Model) -> Scored:
    """One prediction per token of the test text, read in windows of ``task.window`` tokens as in
    training (each from a zero state): the next token's distribution, given the window up to it."""
    directory = cfg.paths.tokenized
    vocabulary = tokenized.vocabulary(directory)
    windows = language_model.windows(tokenized.token_ids(directory, "test"), cfg.task.window)
    test_batches = tokenized.batches(windows, cfg.trainer.batch_size)
    probabilities = model.predict(test_batches, verbose=0)
    inputs = np.stack([row["tokens"] for row in windows.as_numpy_iterator()])
    labels = np.concatenate([labels for _, labels in test_batches.as_numpy_iterator()])
    split = tokenized.tokenizer_settings(directory)["split"]
    return Scored(
        labels=labels.reshape(-1),
        probabilities=probabilities.reshape(-1, probabilities.shape[-1]),
        lengths=np.tile(np.arange(1, inputs.shape[1] + 1), len(inputs)),
        texts=language_model.Contexts(inputs, vocabulary, split=split),
        label_names=[
            repr(token)[1:-1] if token.strip() else repr(token) for token in vocabulary
        ],  # visible: '\\n', ' '
        token_batches=analysis_batches(windows, len(inputs), cfg.trainer.batch_size),
        gate_views=[(inputs[index, :GATE_TOKENS].tolist(), f"test window {index}") for index in range(GATE_VIEWS)],
    )


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
