"""Batching, optimizers and ``fit`` for the classifiers: Keras optimizers, schedules, callbacks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from textrnn.errors import TextrnnError

SCHEDULES = ("constant", "warmup_cosine", "reduce_on_plateau")


def batches(dataset: tf.data.Dataset, batch_size: int, *, shuffle_seed: int | None = None) -> tf.data.Dataset:
    """``{"tokens", "label"}`` rows to right-padded ``(tokens, label)`` batches (padding id 0).

    With ``shuffle_seed`` the rows are reshuffled every epoch in a seeded order. Under a
    multi-worker strategy each worker reads every ``num_workers``-th batch.
    """
    pairs = dataset.map(lambda row: (row["tokens"], row["label"]))
    if shuffle_seed is not None:
        pairs = pairs.shuffle(20_000, seed=shuffle_seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return pairs.padded_batch(batch_size, padded_shapes=([None], [])).prefetch(tf.data.AUTOTUNE).with_options(options)


def make_optimizer(
    *,
    name: str = "adam",
    learning_rate: float,
    schedule: str = "constant",
    warmup_steps: int = 0,
    decay_steps: int = 1,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
) -> keras.optimizers.Optimizer:
    """A Keras optimizer by name, with gradient clipping and a learning-rate schedule.

    ``warmup_cosine`` rises linearly from 0 to ``learning_rate`` over ``warmup_steps``, then
    follows a cosine to 0 over ``decay_steps``. ``reduce_on_plateau`` keeps ``learning_rate``
    here; :func:`fit` adds Keras's ``ReduceLROnPlateau`` for it.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)}, got {schedule!r}")
    rate: Any = learning_rate
    if schedule == "warmup_cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(1, decay_steps), warmup_target=learning_rate, warmup_steps=warmup_steps
        )
    config = {"learning_rate": rate, "clipnorm": clipnorm, "global_clipnorm": global_clipnorm}
    return keras.optimizers.get({"class_name": name, "config": config})


def compile_classifier(model: keras.Model, optimizer: keras.optimizers.Optimizer, *, jit_compile: bool = False) -> None:
    """Cross-entropy and accuracy; under ``mixed_float16`` Keras wraps ``optimizer`` in loss scaling."""
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
    )


class CSVLogger(keras.callbacks.CSVLogger):
    """Keras's ``CSVLogger`` with epochs counted from 1, as Keras prints them (``Epoch 1/8``)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)


class FailOnDivergence(keras.callbacks.Callback):
    """Stop training with a readable error once the loss is NaN or infinite, or has exploded.

    Exploded means the running training loss exceeds ``factor`` times the loss of the first
    batch: a probability output caps cross-entropy, so a far too large learning rate saturates the
    loss (about 8 for two classes against 0.69 at the start) rather than making it NaN.
    """

    def __init__(self, factor: float = 5.0) -> None:
        super().__init__()
        self.factor = factor
        self.first_loss: float | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if (logs or {}).get("loss") is None:
            return
        loss = float(logs["loss"])  # type: ignore[index]
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        exploded = self.first_loss is not None and loss > self.factor * self.first_loss
        if math.isfinite(loss) and not exploded:
            return
        start = "" if self.first_loss is None else f" (it started at {self.first_loss:.4g})"
        raise TextrnnError(
            f"training diverged: the loss is {loss:.4g}{start} at epoch {self.epoch + 1}, batch {batch + 1}; "
            f"lower trainer.learning_rate or set trainer.clipnorm"
        )


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    *,
    epochs: int,
    patience: int,
    checkpoint: Path,
    backup_dir: Path,
    history_csv: Path | None,
    save_freq: str | int = "epoch",
    reduce_on_plateau: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Train with early stopping on validation loss and keep the best weights.

    Writes ``checkpoint`` (the best epoch so far, ``.keras``) and appends one row per epoch to
    ``history_csv`` (epochs counted from 1). ``backup_dir`` holds Keras's ``BackupAndRestore`` state, saved every epoch
    or every ``save_freq`` steps: run the same training again after a crash and it resumes from
    there; the backup is deleted when training completes. A diverging loss (see
    :class:`FailOnDivergence`) raises :class:`~textrnn.errors.TextrnnError`.
    """
    standard: list[keras.callbacks.Callback] = [
        # double_checkpoint: a kill while the backup is being written leaves the previous one to resume from
        keras.callbacks.BackupAndRestore(str(backup_dir), save_freq=save_freq, double_checkpoint=True),
        FailOnDivergence(),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(str(checkpoint), monitor="val_loss", save_best_only=True),
    ]
    if history_csv is not None:
        history_csv.parent.mkdir(parents=True, exist_ok=True)
        standard.append(CSVLogger(str(history_csv), append=True))
    if reduce_on_plateau:
        standard.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1))
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[*standard, *callbacks],
        verbose=verbose,
    )
