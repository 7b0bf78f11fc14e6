"""Test-set metrics with Keras's metric objects, per class, by input length and as calibration;
the rows of a confusion matrix; the most confident mistakes; a paired comparison with another
model's predictions; and how far back through time a trained classifier's gradient reaches."""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from scipy import special, stats

MISTAKE_COLUMNS = ("text", "actual", "predicted", "probability")  # the rows of confident_mistakes()
PROBABILITY_FLOOR = 1e-30  # probabilities are floored here before the log, so that an underflowed 0 stays finite


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-averaged F1 and cross-entropy loss of ``probabilities`` ``[N, C]``."""
    num_classes = probabilities.shape[-1]
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    accuracy.update_state(labels, probabilities)
    f1 = keras.metrics.F1Score(average="macro")
    predicted = np.eye(num_classes, dtype="float32")[probabilities.argmax(-1)]
    f1.update_state(np.eye(num_classes, dtype="float32")[labels], predicted)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    return {"accuracy": float(accuracy.result()), "macro_f1": float(f1.result()), "loss": float(loss)}


def per_class_metrics(
    labels: np.ndarray, probabilities: np.ndarray, label_names: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per class: ``precision``, ``recall``, ``f1`` of the argmax predictions, and ``support``."""
    num_classes = len(label_names)
    actual = np.eye(num_classes, dtype="float32")[labels]
    predicted = np.eye(num_classes, dtype="float32")[probabilities.argmax(-1)]
    rows = []
    for index, name in enumerate(label_names):
        precision, recall = keras.metrics.Precision(class_id=index), keras.metrics.Recall(class_id=index)
        precision.update_state(actual, predicted)
        recall.update_state(actual, predicted)
        p, r = float(precision.result()), float(recall.result())
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"class": name, "precision": p, "recall": r, "f1": f1, "support": int(actual[:, index].sum())})
    return rows


def calibration(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> tuple[float, list[dict[str, Any]]]:
    """Expected calibration error and the reliability diagram's rows (Guo et al., 2017).

    Predictions are grouped by confidence (the top probability) into ``bins`` equal-width bins of
    [0, 1]; each non-empty bin gives a row ``{"bin", "confidence", "accuracy", "examples"}`` (means
    over its examples). The error is ``Σ_b (n_b / N) · |accuracy_b − confidence_b|``.
    """
    confidence = probabilities.max(-1)
    correct = probabilities.argmax(-1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    rows, error = [], 0.0
    for b in range(bins):
        members = which == b
        if not members.any():
            continue
        accuracy, mean_confidence = float(correct[members].mean()), float(confidence[members].mean())
        error += members.sum() / len(labels) * abs(accuracy - mean_confidence)
        rows.append(
            {"bin": (b + 1) / bins, "confidence": mean_confidence, "accuracy": accuracy, "examples": int(members.sum())}
        )
    return float(error), rows


def accuracy_by_length(
    labels: np.ndarray, probabilities: np.ndarray, lengths: np.ndarray, boundaries: Sequence[int]
) -> list[dict[str, Any]]:
    """Accuracy per range of input length (in tokens): ranges end before each of ``boundaries``.

    One row per non-empty range, ``{"lengths": "4-7", "accuracy", "examples"}``.
    """
    edges = [0, *boundaries, int(lengths.max(initial=0)) + 1]
    correct = probabilities.argmax(-1) == labels
    rows = []
    for low, high in itertools.pairwise(edges):
        members = (lengths >= low) & (lengths < high)
        if members.any():
            rows.append(
                {
                    "lengths": f"{low}-{high - 1}",
                    "accuracy": float(correct[members].mean()),
                    "examples": int(members.sum()),
                }
            )
    return rows


def confident_mistakes(
    texts: Sequence[str], labels: np.ndarray, probabilities: np.ndarray, label_names: Sequence[str], count: int
) -> list[dict[str, Any]]:
    """The ``count`` wrong predictions made with the highest probability, most confident first."""
    predicted = probabilities.argmax(-1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")][:count]
    return [
        dict(
            zip(
                MISTAKE_COLUMNS,
                (texts[i], label_names[labels[i]], label_names[predicted[i]], float(probabilities[i, predicted[i]])),
                strict=True,
            )
        )
        for i in order
    ]


def majority_accuracy(train_labels: np.ndarray, test_labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent train label."""
    majority = np.bincount(train_labels).argmax()
    return float((test_labels == majority).mean())


def paired_comparison(labels: np.ndarray, probabilities: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """A model's argmax predictions against ``other`` model's (probabilities of the same examples):
    ``wins``, the examples it gets right and ``other`` wrong; ``losses``, the reverse; and ``p_value``,
    McNemar's exact test of the two: the two-sided chance that models of equal accuracy split the
    ``wins + losses`` examples they disagree on at least this unevenly (1 where they never disagree);
    ``log10_p_value``, its base-10 logarithm summed from the binomial's log-probabilities, readable where ``p_value`` is
    too small to print (-274.2 rather than 0.0) and finite where it underflows.
    """
    if probabilities.shape != other.shape:
        raise ValueError(f"probabilities {probabilities.shape} and other {other.shape} must have one shape")
    right, other_right = probabilities.argmax(-1) == labels, other.argmax(-1) == labels
    wins, losses = int(np.sum(right & ~other_right)), int(np.sum(other_right & ~right))
    p_value = stats.binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
    # the exact test at one half is symmetric: p = min(1, 2 · P(X ≤ min(wins, losses))), summed in logs
    tail = stats.binom.logpmf(np.arange(min(wins, losses) + 1), wins + losses, 0.5)
    log_p = min(0.0, math.log(2) + float(special.logsumexp(tail))) if wins + losses else 0.0
    return {"wins": wins, "losses": losses, "p_value": float(p_value), "log10_p_value": log_p / math.log(10)}


def ngram_cross_entropy(train: np.ndarray, test: np.ndarray, *, order: int, vocab_size: int) -> float:
    """Test cross-entropy (nats per token) of an add-one smoothed unigram (``order=1``) or bigram
    (``order=2``) model counted on the token stream ``train``: a language model's order-blind baseline.

    ``p(b | a) = (count(a b) + 1) / (count(a) + vocab_size)``; the first test token, which has no
    predecessor in ``test``, is left out for both orders.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    if order == 1:
        counts = np.bincount(train, minlength=vocab_size)
        probabilities = (counts[test[1:]] + 1) / (len(train) + vocab_size)
    else:
        pairs = train[:-1].astype(np.int64) * vocab_size + train[1:]
        seen, pair_counts = np.unique(pairs, return_counts=True)
        wanted = test[:-1].astype(np.int64) * vocab_size + test[1:]
        found = np.minimum(np.searchsorted(seen, wanted), len(seen) - 1)
        counts = np.where(seen[found] == wanted, pair_counts[found], 0)
        contexts = np.bincount(train[:-1], minlength=vocab_size)
        probabilities = (counts + 1) / (contexts[test[:-1]] + vocab_size)
    return float(-np.mean(np.log(probabilities)))


def confusion_rows(labels: np.ndarray, probabilities: np.ndarray, label_names: Sequence[str]) -> list[dict[str, str]]:
    """One ``{"actual", "predicted"}`` row per example, as DVC's ``confusion`` plot template reads."""
    predicted = probabilities.argmax(-1)
    return [{"actual": label_names[a], "predicted": label_names[p]} for a, p in zip(labels, predicted, strict=True)]


def gradient_by_lag(model: keras.Model, token_batches: Iterable[np.ndarray]) -> list[dict[str, float]]:
    """How much gradient backpropagation through time carries back to each earlier word.

    For every example, ``‖∂s / ∂e_t‖`` — the gradient of the predicted class's score
    ``s = log p(ŷ | x) − mean_c log p(c | x)`` (its logit against the others'; unlike ``log p(ŷ)`` it
    does not vanish as the model grows confident) with respect to the embedding ``e_t`` of the token
    at position ``t`` — grouped by the *lag*, the number of steps from ``t`` back to the last
    (non-padding) token. Returns one row per lag, ``{"lag", "gradient_norm", "examples"}``: the mean
    norm over the examples long enough to have that lag. Through an Elman RNN the gradient is a
    product of ``diag(tanh') W_hh`` factors, one per step; through an LSTM's cell state, of forget
    gates.

    ``model`` is a chain ``Input → Embedding(mask_zero=True) → layers…`` such as
    :func:`textrnn.models.build_classifier` builds; ``token_batches`` are right-padded ``[B, T]``
    id arrays (0 = padding). For a model with a prediction at every step — a language model
    (:func:`textrnn.models.build_language_model`, no mask), a tagger — the score is that of the
    last token's prediction: the next token after the window, the last word's tag. Dropout is
    inactive (the layers run in inference mode).
    """
    embedding, *rest = (layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer))
    takes_mask = ["mask" in inspect.signature(layer.call).parameters for layer in rest]
    lags_seen: list[np.ndarray] = []
    norms_seen: list[np.ndarray] = []
    for tokens in token_batches:
        tokens = tf.convert_to_tensor(tokens)
        embedded, mask = embedding(tokens), embedding.compute_mask(tokens)
        with tf.GradientTape() as tape:
            tape.watch(embedded)
            outputs, outputs_mask = embedded, mask
            for layer, with_mask in zip(rest, takes_mask, strict=True):
                inputs, inputs_mask = outputs, outputs_mask
                outputs = layer(inputs, mask=inputs_mask) if with_mask else layer(inputs)
                outputs_mask = layer.compute_mask(inputs, inputs_mask)
            if len(outputs.shape) == 3:  # a prediction at every step: the last token's (a tagger's is masked)
                last = tf.shape(outputs)[1] - 1
                if mask is not None:
                    last = tf.maximum(tf.reduce_sum(tf.cast(mask, tf.int32), axis=1) - 1, 0)
                outputs = tf.gather(outputs, tf.broadcast_to(last, tf.shape(outputs)[:1]), batch_dims=1)
            log_probabilities = tf.math.log(tf.maximum(tf.cast(outputs, tf.float32), PROBABILITY_FLOOR))
            score = tf.reduce_max(log_probabilities, axis=-1) - tf.reduce_mean(log_probabilities, axis=-1)
        # Examples are independent (no batch statistics), so the gradient of the sum is each one's own.
        norms = tf.norm(tf.cast(tape.gradient(score, embedded), tf.float32), axis=-1).numpy()
        steps = (
            np.asarray(mask).sum(axis=1, keepdims=True)
            if mask is not None
            else np.full((len(norms), 1), norms.shape[1])
        )
        lags = steps - 1 - np.arange(tokens.shape[1])
        real = lags >= 0  # right padding: the positions after the last token have negative lags
        lags_seen.append(lags[real])
        norms_seen.append(norms[real])
    if not lags_seen:
        return []
    lags, norms = np.concatenate(lags_seen), np.concatenate(norms_seen)
    sums, counts = np.bincount(lags, weights=norms), np.bincount(lags)
    return [
        {"lag": int(lag), "gradient_norm": float(sums[lag] / counts[lag]), "examples": int(counts[lag])}
        for lag in np.flatnonzero(counts)
    ]
