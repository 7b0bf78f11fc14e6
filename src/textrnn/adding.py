"""The adding problem (Hochreiter & Schmidhuber 1997): the classic test of memory over long lags.

Each sequence has ``length`` steps of two inputs: a value drawn uniformly from [0, 1) and a marker
that is 1 at exactly two steps — one in the first half of the sequence, one in the second — and 0
elsewhere. The target is the sum of the two marked values. A model that remembers nothing
predicts the mean, 1.0, with a mean squared error of 1/6; a model *solves* the problem when its
absolute error is below ``TOLERANCE`` (0.04) on at least ``SOLVED_FRACTION`` (99 %) of the test
sequences. The first marker lies at least ``length / 2`` steps before the answer is read, so the
gradient that teaches the model to keep it has to travel that far back.

The training stream is endless and seeded (fresh sequences every batch, as the original
experiments drew them), so "how many sequences until solved" is well defined; :func:`train`
reads it with ``fit`` and stops once the test sequences are solved or a budget is spent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from textrnn.models import FAMILIES

TOLERANCE = 0.04
SOLVED_FRACTION = 0.99


def batch(length: int, size: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``size`` sequences ``[size, length, 2]`` (value, marker) and their targets ``[size]``, a pure
    function of the stateless ``seed`` (two int64s)."""
    if length < 2:
        raise ValueError(f"length must be at least 2 (a marker in each half), got {length!r}")
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    values = tf.random.stateless_uniform([size, length], seeds[0])
    half = length // 2
    first = tf.random.stateless_uniform([size], seeds[1], maxval=half, dtype=tf.int32)
    second = tf.random.stateless_uniform([size], seeds[2], minval=half, maxval=length, dtype=tf.int32)
    markers = tf.one_hot(first, length) + tf.one_hot(second, length)
    return tf.stack([values, markers], axis=-1), tf.reduce_sum(values * markers, axis=1)


def stream(length: int, batch_size: int, seed: int) -> tf.data.Dataset:
    """Endless batches of fresh sequences; batch ``i`` depends on ``seed`` and ``i`` only."""
    return tf.data.Dataset.counter().map(
        lambda i: batch(length, batch_size, tf.stack([tf.constant(seed, tf.int64), i])),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def within_tolerance(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """1.0 where the absolute error is below :data:`TOLERANCE`, else 0.0 (per sequence)."""
    error = tf.abs(tf.reshape(predictions, [-1]) - tf.reshape(tf.cast(targets, predictions.dtype), [-1]))
    return tf.cast(error < TOLERANCE, predictions.dtype)


def build_model(*, family: str, units: int, seed: int | None = None) -> keras.Model:
    """Sequences ``[batch, time, 2]`` → one of our recurrent layers (its last state) → a linear head ``[batch]``."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, got {family!r}")
    sequences = keras.Input(shape=(None, 2), name="sequences")
    state = FAMILIES[family](units, seed=seed, name=family)(sequences)
    total = keras.layers.Dense(1, name="head")(state)
    return keras.Model(sequences, keras.layers.Reshape(())(total), name=f"{family}_adding")


class StopWhenSolved(keras.callbacks.Callback):
    """Stop ``fit`` at the end of the first epoch whose ``val_within_tolerance`` reaches ``fraction``,
    or of the first to end ``max_seconds`` or more after training began."""

    def __init__(self, fraction: float = SOLVED_FRACTION, max_seconds: float = float("inf")) -> None:
        super().__init__()
        self.fraction = fraction
        self.max_seconds = max_seconds

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        solved = (logs or {}).get("val_within_tolerance", 0.0) >= self.fraction
        if solved or time.perf_counter() - self.started >= self.max_seconds:
            self.model.stop_training = True


@dataclass(frozen=True)
class Result:
    family: str
    length: int
    units: int
    solved: bool
    sequences: int  # training sequences read: until solved, or the whole budget
    within_tolerance: float  # share of the test sequences within TOLERANCE, at the end
    test_mse: float
    seconds: float


def train(
    *,
    family: str,
    length: int,
    units: int = 128,
    batch_size: int = 50,
    learning_rate: float = 1e-3,
    check_every: int = 10_000,
    max_sequences: int = 200_000,
    max_seconds: float = float("inf"),
    test_sequences: int = 1_000,
    seed: int = 0,
) -> Result:
    """Train a fresh model on the stream until the test sequences are solved or a budget is spent.

    Adam with gradients clipped to norm 1, mean squared error; the test sequences (another seed)
    are scored every ``check_every`` training sequences. The budgets are ``max_sequences`` training
    sequences and ``max_seconds`` of wall time, checked at the same points.
    """
    for name, value in (("units", units), ("batch_size", batch_size), ("check_every", check_every)):
        if value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if check_every % batch_size:
        raise ValueError(f"check_every must be a multiple of batch_size={batch_size}, got {check_every!r}")
    keras.utils.set_random_seed(seed)
    model = build_model(family=family, units=units, seed=seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="mse",
        metrics=[keras.metrics.MeanMetricWrapper(within_tolerance, name="within_tolerance")],
    )
    test = batch(length, test_sequences, tf.constant([seed + 1, -1], tf.int64))
    stopper = StopWhenSolved(max_seconds=max_seconds)
    history = model.fit(
        stream(length, batch_size, seed),
        steps_per_epoch=check_every // batch_size,
        epochs=max(1, max_sequences // check_every),
        validation_data=test,
        validation_batch_size=500,
        callbacks=[stopper],
        shuffle=False,
        verbose=0,
    )
    epochs = len(history.history["loss"])
    within = history.history["val_within_tolerance"][-1]
    return Result(
        family=family,
        length=length,
        units=units,
        solved=within >= SOLVED_FRACTION,
        sequences=epochs * check_every,
        within_tolerance=round(float(within), 4),
        test_mse=round(float(history.history["val_loss"][-1]), 5),
        seconds=round(time.perf_counter() - stopper.started, 1),
    )
