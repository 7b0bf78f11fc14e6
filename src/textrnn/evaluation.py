"""Test-set metrics with Keras's metric objects, and the rows of a confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


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


def majority_accuracy(train_labels: np.ndarray, test_labels: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent train label."""
    majority = np.bincount(train_labels).argmax()
    return float((test_labels == majority).mean())


def confusion_rows(labels: np.ndarray, probabilities: np.ndarray, label_names: Sequence[str]) -> list[dict[str, str]]:
    """One ``{"actual", "predicted"}`` row per example, as DVC's ``confusion`` plot template reads."""
    predicted = probabilities.argmax(-1)
    return [{"actual": label_names[a], "predicted": label_names[p]} for a, p in zip(labels, predicted, strict=True)]
