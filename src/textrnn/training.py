"""Batching and ``fit`` for the classifiers: Keras optimizers, callbacks and checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf


def batches(dataset: tf.data.Dataset, batch_size: int, *, shuffle_seed: int | None = None) -> tf.data.Dataset:
    """``{"tokens", "label"}`` rows to right-padded ``(tokens, label)`` batches (padding id 0).

    With ``shuffle_seed`` the rows are reshuffled every epoch in a seeded order.
    """
    pairs = dataset.map(lambda row: (row["tokens"], row["label"]))
    if shuffle_seed is not None:
        pairs = pairs.shuffle(20_000, seed=shuffle_seed, reshuffle_each_iteration=True)
    return pairs.padded_batch(batch_size, padded_shapes=([None], [])).prefetch(tf.data.AUTOTUNE)


def compile_classifier(model: keras.Model, *, learning_rate: float, clipnorm: float | None = None) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
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
    history_csv: Path,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Train with early stopping on validation loss and keep the best weights.

    Writes ``checkpoint`` (the best epoch so far, ``.keras``) and ``history_csv`` (one row per
    epoch). ``backup_dir`` holds Keras's ``BackupAndRestore`` state: rerun after a crash and
    training resumes from the last finished epoch; it is deleted when training completes.
    """
    history_csv.parent.mkdir(parents=True, exist_ok=True)
    standard = [
        keras.callbacks.BackupAndRestore(str(backup_dir)),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(str(checkpoint), monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(str(history_csv), append=True),
    ]
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[*standard, *callbacks],
        verbose=verbose,
    )
