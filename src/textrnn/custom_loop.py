"""Training with a custom loop over ``strategy.run``: how textrnn trains across machines.

Keras 3's ``Model.fit`` fails under ``tf.distribute.MultiWorkerMirroredStrategy``
(https://github.com/keras-team/keras/issues/20585, open in Keras 3.15). TensorFlow's documented
route for multi-worker training is a custom training loop — ``strategy.run`` over datasets from
``strategy.distribute_datasets_from_function``, checkpoints with ``tf.train.CheckpointManager``
(its ``multi_worker_with_ctl`` tutorial) — and :func:`train` is that loop, driving the same Keras
model, optimizer, metrics and callbacks as :func:`textrnn.training.fit`. Delete it for ``fit`` once
the bug is fixed.

Every worker reads the same global batches (same seed, same shuffle, same bucketing) and each
replica takes its slice of each, so a step sees exactly the batch one device would see and the
loss follows single-device training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn import distribute, training
from textrnn.errors import TextrnnError


def shards(batches: tf.data.Dataset, strategy: tf.distribute.Strategy) -> tf.distribute.DistributedDataset:
    """``batches`` (``(tokens, label)``, global batches) split over the strategy's replicas.

    Each worker's input pipeline reads every global batch and keeps the rows of its replicas:
    replica ``r`` of ``R`` gets rows ``[r·⌈n/R⌉, (r+1)·⌈n/R⌉)`` of a batch of ``n`` (fewer, or none, in
    a short last batch), padded as the whole batch is.
    """
    replicas = strategy.num_replicas_in_sync

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local

        def slices(tokens: tf.Tensor, label: tf.Tensor) -> tf.data.Dataset:
            rows = tf.shape(label, out_type=tf.int64)[0]
            size = -(-rows // replicas)
            starts = tf.minimum(tf.range(first, first + local, dtype=tf.int64) * size, rows)
            ends = tf.minimum(starts + size, rows)
            return tf.data.Dataset.from_tensor_slices((starts, ends)).map(
                lambda start, end: (tokens[start:end], label[start:end])
            )

        return batches.flat_map(slices).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(dataset_fn)


class _Steps:
    """The loop's compiled train and validation steps — each returns the global sums ``[loss, loss
    elements, real tokens, token cells]`` of its batch, reduced over every replica — and the compiled
    metrics' results, read across every worker, and their reset."""

    def __init__(self, model: keras.Model, strategy: tf.distribute.Strategy, spec: Any) -> None:
        self.model, self.strategy = model, strategy
        self.train = tf.function(self._train, input_signature=[spec])
        self.validate = tf.function(self._validate, input_signature=[spec])
        # in graphs: eagerly, each metric variable's cross-worker sum starts a thread pool of its own
        self.results = tf.function(model.get_metrics_result)
        self.reset = tf.function(model.reset_metrics)

    def _sums(self, tokens: tf.Tensor, label: tf.Tensor, probabilities: tf.Tensor) -> tf.Tensor:
        losses = tf.cast(self.model.loss.call(label, probabilities), tf.float32)  # a token's or a text's
        # a loss per token counts the real ones only (a tagger's padding; a language model's windows have none)
        counted = tf.cast(tokens != 0, tf.float32) if losses.shape.rank == 2 else tf.ones_like(losses)
        self.model.compute_metrics(tokens, label, probabilities)
        return tf.stack(
            [
                tf.reduce_sum(losses * counted),
                tf.reduce_sum(counted),
                tf.cast(tf.math.count_nonzero(tokens), tf.float32),
                tf.cast(tf.size(tokens), tf.float32),
            ]
        )

    def _train(self, batch: Any) -> tf.Tensor:
        def step(tokens: tf.Tensor, label: tf.Tensor) -> tf.Tensor:
            model = self.model
            with tf.GradientTape() as tape:
                probabilities = model(tokens, training=True)
                sums = self._sums(tokens, label, probabilities)
                # the mean over the global batch: the optimizer sums the replicas' gradients
                elements = tf.distribute.get_replica_context().all_reduce("sum", sums[1])
                loss = sums[0] / elements
                if model.losses:
                    loss += tf.add_n(model.losses) / self.strategy.num_replicas_in_sync
                scaled = model.optimizer.scale_loss(loss)
            gradients = tape.gradient(scaled, model.trainable_variables)
            model.optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            return sums

        return self.strategy.reduce("sum", self.strategy.run(step, args=batch), axis=None)

    def _validate(self, batch: Any) -> tf.Tensor:
        def step(tokens: tf.Tensor, label: tf.Tensor) -> tf.Tensor:
            return self._sums(tokens, label, self.model(tokens, training=False))

        return self.strategy.reduce("sum", self.strategy.run(step, args=batch), axis=None)


def train(
    model: keras.Model,
    train_batches: tf.data.Dataset,
    validation_batches: tf.data.Dataset,
    *,
    strategy: tf.distribute.Strategy,
    epochs: int,
    patience: int,
    backup_dir: Path,
    write_dir: Path | None = None,
    history_csv: Path | None,
    reduce_on_plateau: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 2,
) -> keras.callbacks.History:
    """:func:`textrnn.training.fit`'s training, early stopping, logs and resumption, in a custom loop.

    ``model`` is compiled (loss, optimizer, metrics) and built under ``strategy``'s scope. After
    every epoch the model, optimizer and epoch go to a ``tf.train.CheckpointManager`` in
    ``write_dir`` and the callbacks' state (:class:`~textrnn.training.TrainingState`) beside it; a
    run that starts with a checkpoint in ``backup_dir`` resumes after its epoch. Every worker saves
    (TensorFlow's checkpointing is collective) — the chief to ``backup_dir``, the others to
    ``write_dir``, scratch space of their own — and every worker resumes from ``backup_dir``, so it
    must be storage they all read (one machine's disk, NFS, a bucket), as in TensorFlow's tutorial;
    workers that found different checkpoints there raise :class:`~textrnn.errors.TextrnnError`
    before training. So does a peer lost mid-training, once TensorFlow reports it (its coordination
    service's heartbeat, or the strategy's collective timeout).
    """
    write_dir = write_dir or backup_dir
    statistics, standard = training.standard_callbacks(
        patience=patience,
        reduce_on_plateau=reduce_on_plateau,
        state_dir=backup_dir,
        save_state=write_dir == backup_dir,
        history_csv=history_csv,
    )
    steps = int(train_batches.cardinality())
    listed = keras.callbacks.CallbackList(
        [*standard, *callbacks],
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )
    with strategy.scope():
        _build_metrics(model, train_batches)
        model.optimizer.build(model.trainable_variables)
        finished = tf.Variable(0, dtype=tf.int64, trainable=False, name="finished_epochs")
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, finished_epochs=finished)
    manager = tf.train.CheckpointManager(checkpoint, str(write_dir), max_to_keep=2)
    distribute.barrier(strategy)  # the chief has decided whether backup_dir holds a run to resume
    if latest := tf.train.latest_checkpoint(str(backup_dir)):
        checkpoint.restore(latest).assert_existing_objects_matched()
    if not _agreed(strategy, finished):
        raise TextrnnError(
            f"the workers found different checkpoints in backup_dir = {backup_dir} (some resume, some start "
            "afresh): it must be storage every worker reads, the chief's checkpoints"
        )
    train_shards, validation_shards = shards(train_batches, strategy), shards(validation_batches, strategy)
    compiled = _Steps(model, strategy, train_shards.element_spec)

    model.stop_training = False
    listed.on_train_begin()
    try:
        for epoch in range(int(finished.numpy()), epochs):
            listed.on_epoch_begin(epoch)
            compiled.reset()
            totals = np.zeros(4)
            for step, batch in enumerate(train_shards):
                listed.on_train_batch_begin(step)
                totals += compiled.train(batch).numpy()
                listed.on_train_batch_end(step, {"loss": totals[0] / totals[1]})
            statistics.count(int(totals[2]), int(totals[3]))
            logs = _results(compiled, totals)
            compiled.reset()
            totals = np.zeros(4)
            for batch in validation_shards:
                totals += compiled.validate(batch).numpy()
            logs |= {f"val_{name}": value for name, value in _results(compiled, totals).items()}
            listed.on_epoch_end(epoch, logs)
            finished.assign(epoch + 1)
            manager.save()
            if model.stop_training:
                break
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError, tf.errors.CancelledError) as err:
        raise TextrnnError(
            f"training stopped at epoch {epoch + 1}: a worker of the cluster stopped answering "
            f"({type(err).__name__}); start every worker again with the same command to resume from the last epoch"
        ) from None
    listed.on_train_end()
    return model.history


def _build_metrics(model: keras.Model, batches: tf.data.Dataset) -> None:
    """Create the compiled metrics' variables on one batch, as ``fit`` does before its first step
    (they cannot be created inside ``strategy.run``)."""
    tokens, label = next(iter(batches.take(1)))
    model.compute_metrics(tokens, label, model(tokens, training=False))


def _agreed(strategy: tf.distribute.Strategy, value: tf.Variable) -> bool:
    """Whether every replica holds the same ``value``: the variance of their values is 0."""

    def moments() -> tf.Tensor:
        local = tf.cast(value, tf.float64)
        return tf.stack([local, local * local, tf.ones_like(local)])

    total, squares, count = distribute.replica_sum(strategy, moments)
    return squares / count - (total / count) ** 2 == 0.0


def _results(compiled: _Steps, totals: np.ndarray) -> dict[str, float]:
    """The epoch's mean loss and the compiled metrics' results."""
    results = {name: float(value) for name, value in compiled.results().items()}
    return results | {"loss": totals[0] / totals[1]}
