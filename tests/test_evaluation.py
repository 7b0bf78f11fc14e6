"""How far back the gradient reaches: gradient_by_lag, and the memory task that probes it."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from textrnn import evaluation, layers
from textrnn.data import memory


def test_gradient_by_lag_follows_the_recurrence_and_counts_lags_from_each_examples_last_token():
    # h_t = e_t + a h_{t-1} (linear Elman RNN), so ∂h_T/∂e_t = a^(T-t) I: the gradient at lag k is a^k
    # times the one at lag 0, in every example whatever its padding.
    decay, width = 0.5, 4
    tokens_in = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(10, width, mask_zero=True)(tokens_in)
    recurrent = layers.SimpleRNN(width, activation="linear")
    head = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(tokens_in, head(recurrent(embedded)))
    recurrent.set_weights([np.eye(width), decay * np.eye(width), np.zeros(width)])

    rng = np.random.default_rng(0)
    batch = rng.integers(1, 10, size=(6, 8))
    batch[3:, 5:] = 0  # three examples of 5 tokens, right-padded to 8
    rows = evaluation.gradient_by_lag(model, [batch, batch[:, :3]])

    assert [row["lag"] for row in rows] == list(range(8))
    assert [row["examples"] for row in rows] == [12, 12, 12, 6, 6, 3, 3, 3]
    norms = np.array([row["gradient_norm"] for row in rows])
    assert norms[0] > 0
    # Lags 0–4 are averaged over the same kind of examples; beyond, only the long ones remain, so
    # compare each example group on its own terms: lag k over lag 0 is decay^k.
    np.testing.assert_allclose(norms[:3] / norms[0], decay ** np.arange(3), rtol=1e-5)
    long_only = evaluation.gradient_by_lag(model, [batch[:3]])
    long_norms = np.array([row["gradient_norm"] for row in long_only])
    np.testing.assert_allclose(long_norms / long_norms[0], decay ** np.arange(8), rtol=1e-5)


def test_gradient_by_lag_of_an_lstm_at_initialisation_decays_with_the_forget_gate():
    # With the forget bias at 1 the cell state keeps about sigmoid(1) ≈ 0.73 per step before
    # training: the gradient must fall with the lag (and stay finite).
    keras.utils.set_random_seed(0)
    tokens_in = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(50, 8, mask_zero=True)(tokens_in)
    model = keras.Model(tokens_in, keras.layers.Dense(2, activation="softmax")(layers.LSTM(16)(embedded)))
    batch = np.random.default_rng(1).integers(1, 50, size=(16, 30))
    norms = np.array([row["gradient_norm"] for row in evaluation.gradient_by_lag(model, [batch])])
    assert np.isfinite(norms).all()
    assert norms[29] < 0.73**10 * norms[0]


def test_first_token_task_labels_depend_on_the_first_token_only():
    tokens, labels = memory.first_token_task(4000, lag=30, vocab_size=20, seed=1)
    assert tokens.shape == (4000, 31) and tokens.dtype == np.int32 and tokens.min() >= 1 and tokens.max() <= 19
    assert 0.4 < labels.mean() < 0.6  # about balanced
    for position in range(1, 31):  # the other positions say nothing about the label
        same = (tokens[:, position] < 11).astype(np.int32) == labels
        assert 0.45 < same.mean() < 0.55
    assert np.array_equal(labels, (tokens[:, 0] < 11).astype(np.int32))
    again, _ = memory.first_token_task(4000, lag=30, vocab_size=20, seed=1)
    assert np.array_equal(tokens, again)


# A fixed example, computed by hand: predictions 0, 1, 1, 0, 1 against labels 0, 0, 1, 1, 1.
LABELS = np.array([0, 0, 1, 1, 1])
PROBABILITIES = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.8, 0.2], [0.45, 0.55]])


def test_per_class_metrics_against_counts_by_hand():
    rows = evaluation.per_class_metrics(LABELS, PROBABILITIES, ["neg", "pos"])
    # neg: TP 1, FP 1 (row 3), FN 1 (row 1); pos: TP 2, FP 1 (row 1), FN 1 (row 3)
    assert [r["class"] for r in rows] == ["neg", "pos"] and [r["support"] for r in rows] == [2, 3]
    for row, expected in zip(rows, (1 / 2, 2 / 3), strict=True):
        assert row["precision"] == pytest.approx(expected) and row["recall"] == pytest.approx(expected)
        assert row["f1"] == pytest.approx(expected)


def test_calibration_error_and_reliability_rows_by_hand():
    error, rows = evaluation.calibration(LABELS, PROBABILITIES, bins=10)
    # each example alone in its bin: |1-0.9| + |0-0.6| + |1-0.7| + |0-0.8| + |1-0.55| = 2.25, over 5
    assert error == pytest.approx(0.45)
    assert [r["examples"] for r in rows] == [1] * 5
    assert [r["confidence"] for r in rows] == pytest.approx([0.55, 0.6, 0.7, 0.8, 0.9])
    assert [r["accuracy"] for r in rows] == [1.0, 0.0, 1.0, 0.0, 1.0]
    two_bins, _ = evaluation.calibration(LABELS, PROBABILITIES, bins=2)  # one bin [0.5, 1] holds all: |0.6 - 0.71|
    assert two_bins == pytest.approx(abs(3 / 5 - (0.9 + 0.6 + 0.7 + 0.8 + 0.55) / 5))


def test_accuracy_by_length_and_confident_mistakes_by_hand():
    rows = evaluation.accuracy_by_length(LABELS, PROBABILITIES, np.array([1, 2, 3, 10, 12]), [3])
    assert rows == [
        {"lengths": "0-2", "accuracy": 0.5, "examples": 2},
        {"lengths": "3-12", "accuracy": pytest.approx(2 / 3), "examples": 3},
    ]
    texts = ["a", "b", "c", "d", "e"]
    mistakes = evaluation.confident_mistakes(texts, LABELS, PROBABILITIES, ["neg", "pos"], count=5)
    assert [(m["text"], m["actual"], m["predicted"]) for m in mistakes] == [("d", "pos", "neg"), ("b", "neg", "pos")]
    assert [m["probability"] for m in mistakes] == pytest.approx([0.8, 0.6])
    assert len(evaluation.confident_mistakes(texts, LABELS, PROBABILITIES, ["neg", "pos"], count=1)) == 1


def test_paired_comparison_counts_disagreements_and_tests_them_exactly():
    always_positive = np.tile([0.2, 0.8], (5, 1))  # right on rows 2, 3, 4
    assert evaluation.paired_comparison(LABELS, PROBABILITIES, always_positive) == {
        "wins": 1,  # row 0: only the first is right
        "losses": 1,  # row 3: only the other
        "p_value": 1.0,
        "log10_p_value": 0.0,
    }
    labels = np.zeros(12, dtype=np.int64)
    right, wrong = [0.9, 0.1], [0.1, 0.9]
    model = np.array([right] * 11 + [wrong])  # right but on the last row
    other = np.array([wrong] * 9 + [right] * 3)  # right on the last three only
    # 9 wins, 1 loss: two-sided, 2 · P(X ≤ 1) for X ~ Binomial(10, 1/2) = 2 · 11 / 1024
    assert evaluation.paired_comparison(labels, model, other) == {
        "wins": 9,
        "losses": 1,
        "p_value": 22 / 1024,
        "log10_p_value": pytest.approx(math.log10(22 / 1024)),
    }
    assert evaluation.paired_comparison(labels, model, model)["p_value"] == 1.0  # they never disagree
    # 912 wins, no loss: p = 2 · 2^-912 ≈ 1.2e-274 still prints as 0.0 at DVC's precision; its log is exact
    many = evaluation.paired_comparison(np.zeros(912, np.int64), np.tile(right, (912, 1)), np.tile(wrong, (912, 1)))
    assert many["log10_p_value"] == pytest.approx(math.log10(2) - 912 * math.log10(2))
    # 1,100 wins: the p-value underflows to 0, its logarithm stays finite
    huge = evaluation.paired_comparison(np.zeros(1100, np.int64), np.tile(right, (1100, 1)), np.tile(wrong, (1100, 1)))
    assert huge["p_value"] == 0.0 and huge["log10_p_value"] == pytest.approx(-1099 * math.log10(2))
    with pytest.raises(ValueError, match="one shape"):
        evaluation.paired_comparison(labels, model, model[:5])
