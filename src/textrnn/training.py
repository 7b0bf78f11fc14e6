"""Optimizers and ``fit`` for the classifiers: Keras optimizers, schedules, callbacks."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from textrnn import choices
from textrnn.atomic import own_directory, write_json
from textrnn.errors import ArgumentError


class EpochStatistics(keras.callbacks.Callback):
    """Add the epoch's wall time, training throughput and padding to its logs, for the callbacks after it.

    ``epoch_seconds`` (training and validation), ``tokens_per_second`` (real tokens of the
    training batches, padding left out, over those seconds) and ``padded_fraction`` (the share of
    the training batches' cells that are padding), so that ``CSVLogger`` and an MLflow logger
    after it record them beside the loss. The batches are counted as ``fit`` reads them: pass
    ``fit`` the dataset :meth:`counting` returns (or, in a loop of one's own, :meth:`count` them).
    """

    def __init__(self) -> None:
        super().__init__()
        self.tokens = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch_tokens")
        self.cells = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch_cells")

    def counting(self, batches: tf.data.Dataset) -> tf.data.Dataset:
        """``batches`` (``(tokens, label)``, padding id 0), each counted as it is read."""

        def count(tokens: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            self.count(tf.math.count_nonzero(tokens), tf.size(tokens, out_type=tf.int64))
            return tokens, label

        return batches.map(count)

    def count(self, tokens: Any, cells: Any) -> None:
        """Add a batch's real tokens and token cells (padding included) to the epoch's."""
        self.tokens.assign_add(tokens)
        self.cells.assign_add(cells)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.tokens.assign(0)
        self.cells.assign(0)
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self.started
        tokens, cells = int(self.tokens.numpy()), int(self.cells.numpy())
        if logs is not None:
            logs.update(
                epoch_seconds=seconds, tokens_per_second=tokens / seconds, padded_fraction=1.0 - tokens / max(cells, 1)
            )


def make_optimizer(
    *,
    name: str = "adam",
    learning_rate: float,
    schedule: str = "constant",
    warmup_steps: int = 0,
    decay_steps: int = 1,
    clipnorm: float | None = None,
    global_clipnorm: float | None = None,
    weight_decay: float | None = None,
) -> keras.optimizers.Optimizer:
    """A Keras optimizer by name, with gradient clipping, weight decay and a learning-rate schedule.

    ``weight_decay`` is Keras's decoupled decay (every Keras optimizer takes it; with ``adamw``
    it is AdamW, Loshchilov & Hutter 2019): each step shrinks every weight by
    ``learning_rate × weight_decay`` times itself.

    ``warmup_cosine`` rises linearly from 0 to ``learning_rate`` over ``warmup_steps``, then
    follows a cosine to 0 over ``decay_steps``. ``reduce_on_plateau`` keeps ``learning_rate``
    here; :func:`fit` adds Keras's ``ReduceLROnPlateau`` for it.
    """
    if schedule not in choices.SCHEDULES:
        raise ValueError(f"schedule must be one of {list(choices.SCHEDULES)}, got {schedule!r}")
    if name not in choices.OPTIMIZERS:
        raise ValueError(f"name must be one of {list(choices.OPTIMIZERS)}, got {name!r}")
    rate: Any = learning_rate
    if schedule == "warmup_cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(1, decay_steps), warmup_target=learning_rate, warmup_steps=warmup_steps
        )
    config = {"learning_rate": rate, "clipnorm": clipnorm, "global_clipnorm": global_clipnorm}
    if weight_decay is not None:
        config["weight_decay"] = weight_decay
    return keras.optimizers.get({"class_name": name, "config": config})


@keras.saving.register_keras_serializable(package="textrnn")
class SparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of class indices against predicted probabilities, with label smoothing.

    The target is the label's one-hot vector y, smoothed to (1 - label_smoothing) · y +
    label_smoothing / K over K classes, and the loss is -Σ_k target_k · log p_k: what
    ``keras.losses.CategoricalCrossentropy(label_smoothing=...)`` computes for one-hot targets
    (Keras's ``SparseCategoricalCrossentropy`` has no ``label_smoothing``). 0 is the plain
    cross-entropy -log p_label.

    Args:
        label_smoothing: in [0, 1): the share of each target spread over all classes.
    """

    def __init__(self, label_smoothing: float = 0.0, name: str = "sparse_crossentropy", **kwargs: Any) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true: Any, y_pred: Any) -> Any:
        classes = keras.ops.shape(y_pred)[-1]
        one_hot = keras.ops.one_hot(keras.ops.cast(y_true, "int32"), classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def compile_classifier(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    *,
    label_smoothing: float = 0.0,
    jit_compile: bool = False,
    metrics: Sequence[keras.metrics.Metric] = (),
) -> None:
    """Cross-entropy (:class:`SparseCrossentropy`, with ``label_smoothing``) and accuracy, and
    ``metrics``; under ``mixed_float16`` Keras wraps ``optimizer`` in loss scaling. A language
    model is a classifier of the next token at every step."""
    model.compile(
        optimizer=optimizer,
        loss=SparseCrossentropy(label_smoothing),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"), *metrics],
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
        raise ArgumentError(
            f"training diverged: the loss is {loss:.4g}{start} at epoch {self.epoch + 1}, batch {batch + 1}; "
            "lower the optimizer's `learning_rate`, or clip the gradients (`clipnorm`)"
        )


class TrainingState(keras.callbacks.Callback):
    """What Keras's ``BackupAndRestore`` leaves out, saved beside it every epoch and put back on resume.

    ``BackupAndRestore`` restores the weights, the optimizer and the epoch; the callbacks start
    afresh and the dropout layers' random-number states (non-trainable variables that are not
    weights) start from their seeds. This keeps, per finished epoch, ``EarlyStopping``'s patience
    count, best value and best weights, ``ReduceLROnPlateau``'s counters, :class:`FailOnDivergence`'s
    reference loss and those random states in ``directory`` — the last two epochs, since a kill
    between this save and Keras's may leave Keras one epoch behind — and sets them again when a
    resumed run begins its first epoch. With ``save=False`` it only reads: a worker that is not the
    chief of a cluster resumes from the chief's state.
    """

    KEPT: ClassVar[dict[type, tuple[str, ...]]] = {
        keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch"),
        keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
        FailOnDivergence: ("first_loss",),
    }

    def __init__(self, directory: Path, callbacks: Sequence[keras.callbacks.Callback], *, save: bool = True) -> None:
        super().__init__()
        self.directory, self.save = directory, save
        self.kept = [
            (c, attributes) for c in callbacks for kind, attributes in self.KEPT.items() if isinstance(c, kind)
        ]
        self.stopping = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)
        self.resumed = False

    def _random_states(self) -> list[keras.Variable]:
        weights = {id(v) for v in self.model.weights}
        return [v for v in self.model.non_trainable_variables if id(v) not in weights]

    def _saved(self) -> dict[str, list[list[Any]]]:
        file = self.directory / "callbacks.json"
        return json.loads(file.read_text()) if file.exists() else {}

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.resumed:
            return
        self.resumed = True
        previous = str(epoch - 1)
        saved = self._saved()
        if previous not in saved:  # a fresh start
            return
        for (callback, attributes), values in zip(self.kept, saved[previous], strict=True):
            for attribute, value in zip(attributes, values, strict=True):
                setattr(callback, attribute, value)
        with np.load(self.directory / f"state.{previous}.npz") as arrays:
            for index, variable in enumerate(self._random_states()):
                variable.assign(arrays[f"random_{index}"])
            best = [arrays[name] for name in sorted((n for n in arrays.files if n.startswith("best_")), key=_index)]
        if self.stopping is not None:
            self.stopping.best_weights = best or None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.save:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        best = (self.stopping.best_weights if self.stopping is not None else None) or []
        arrays = {f"random_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self._random_states())}
        _save_npz(self.directory / f"state.{epoch}.npz", arrays | {f"best_{i}": w for i, w in enumerate(best)})
        saved = self._saved() | {
            str(epoch): [[_plain(getattr(c, a)) for a in attributes] for c, attributes in self.kept]
        }
        saved = {key: saved[key] for key in sorted(saved, key=int)[-2:]}
        write_json(self.directory / "callbacks.json", saved)
        for stale in self.directory.glob("state.*.npz"):
            if stale.name.split(".")[1] not in saved:
                stale.unlink()


def _index(name: str) -> int:
    return int(name.rpartition("_")[2])


def _plain(value: Any) -> Any:
    """A callback's number as JSON takes it (NumPy scalars, ``inf``)."""
    return value.item() if isinstance(value, np.generic) else value


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".npz", delete=False) as tmp:
        np.savez(tmp, **arrays)
    os.replace(tmp.name, path)


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    *,
    epochs: int,
    patience: int,
    backup_dir: Path,
    history_csv: Path | None,
    save_freq: str | int = "epoch",
    reduce_on_plateau: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Train with early stopping on validation loss; the model ends with the best epoch's weights.

    Appends one row per epoch to ``history_csv`` (epochs counted from 1): Keras's logs and
    :class:`EpochStatistics`' time, throughput and padding, which the ``callbacks`` see too. ``backup_dir`` holds
    Keras's ``BackupAndRestore`` state, saved every epoch or every ``save_freq`` steps, and the
    callbacks' (:class:`TrainingState`): run the same training again after a crash and it resumes
    from there, as if it had not stopped; the backup is deleted when training completes. Give an
    :class:`~textrnn.tokenized.EpochShuffle` used by ``train`` in ``callbacks``. A diverging loss (see
    :class:`FailOnDivergence`) raises :class:`~textrnn.errors.TextrnnError`.
    """
    statistics, standard = standard_callbacks(
        patience=patience,
        reduce_on_plateau=reduce_on_plateau,
        state_dir=backup_dir,
        history_csv=history_csv,
        # double_checkpoint: a kill while the backup is being written leaves the previous one to resume from
        backup=keras.callbacks.BackupAndRestore(str(backup_dir), save_freq=save_freq, double_checkpoint=True),
    )
    return model.fit(
        statistics.counting(train),
        validation_data=validation,
        epochs=epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[*standard, *callbacks],
        verbose=verbose,
    )


def standard_callbacks(
    *,
    patience: int,
    reduce_on_plateau: bool,
    state_dir: Path,
    history_csv: Path | None,
    save_state: bool = True,
    backup: keras.callbacks.Callback | None = None,
) -> tuple[EpochStatistics, list[keras.callbacks.Callback]]:
    """What every training runs with, in order: :class:`EpochStatistics` (first: the callbacks after
    it see its numbers in the epoch's logs), :class:`FailOnDivergence`, early stopping on validation
    loss (restoring the best epoch's weights), ``ReduceLROnPlateau`` if asked, their
    :class:`TrainingState` in ``state_dir`` (read only without ``save_state``), ``backup`` (the callback
    saving the model and optimizer, if one does) and a :class:`CSVLogger` appending to ``history_csv``."""
    stateful: list[keras.callbacks.Callback] = [
        FailOnDivergence(),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
    ]
    if reduce_on_plateau:
        stateful.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1))
    statistics = EpochStatistics()
    standard = [
        statistics,
        *stateful,
        TrainingState(state_dir, stateful, save=save_state),
        *([backup] if backup else []),
    ]
    if history_csv is not None:
        history_csv.parent.mkdir(parents=True, exist_ok=True)
        standard.append(CSVLogger(str(history_csv), append=True))
    return statistics, standard


RESUME = "resume.json"  # in a checkpoints directory: the run and config of the attempt its backup belongs to


def fingerprint(settings: Mapping[str, Any]) -> str:
    """A digest of ``settings`` (JSON-serialisable): what a backup must match to be resumed."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def resumable_run(checkpoints: Path, settings_fingerprint: str) -> str | None:
    """The tracking run of a killed attempt at the settings of ``settings_fingerprint``, whose backup
    ``checkpoints`` holds (:func:`remember_run`); else None, and ``checkpoints`` emptied of any other
    attempt's backup — the caller has made sure that it is textrnn's to empty."""
    state = checkpoints / RESUME
    saved = json.loads(state.read_text()) if state.exists() else {}
    if saved.get("fingerprint") == settings_fingerprint:
        return saved["run_id"]
    shutil.rmtree(checkpoints, ignore_errors=True)
    own_directory(checkpoints)
    return None


def remember_run(checkpoints: Path, run_id: str, settings_fingerprint: str) -> None:
    """Note in ``checkpoints`` which run and settings its backup belongs to, for :func:`resumable_run`."""
    write_json(checkpoints / RESUME, {"run_id": run_id, "fingerprint": settings_fingerprint})
