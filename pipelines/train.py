"""Stage `train`: fit the recurrent classifier or language model (`task`), tracked in an MLflow run;
resumable after a crash.

    python -m pipelines.train [model=gru] [trainer.epochs=1 ...]
    python -m pipelines.train trainer=gpu                 # all local GPUs, mixed precision, XLA

Reads params `task`, `model`, `trainer`; reads `paths.tokenized` and `model.pretrained_vectors` (a
GloVe, word2vec or fastText `.vec` file, plain or gzip: the embedding's start); writes
`paths.metrics`/vectors.json (the share of the vocabulary and of the train split's tokens the
vectors file covers; `{}` without one); writes `paths.models` (model.keras —
the best epoch's weights, in textrnn's layers also when `model.kernel` trained Keras's fused
ones — and mlflow_run.json naming the MLflow run that evaluate and export log into) and
`paths.plots`/training.csv (one row of metrics per epoch; a language model's with bits per token
and perplexity, and a generated text per epoch in the MLflow run's samples/). Reads `tracking` too, which is not
among its DVC params: where the run is logged does not change what is trained, so renaming the
MLflow experiment retrains nothing (the next training logs there).

Killed mid-training, the same command resumes from the last saved epoch (or step) in
`paths.checkpoints` and logs into the same MLflow run, as long as the config is unchanged; in
deterministic mode it ends with the metrics of a run that was never stopped.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pipelines.common import git_commit, in_project, log, run
from pipelines.task import task_of

import keras
import mlflow
import tensorflow as tf
from keras.callbacks import Callback
from omegaconf import DictConfig, OmegaConf

from textrnn import (
    convert,
    custom_loop,
    distribute,
    models,
    pretraining,
    tasks,
    tokenized,
    tracking,
    training,
    vectors,
)
from textrnn.atomic import exclusive, replace_directory, write_json, write_text
from textrnn.errors import TextrnnError
from textrnn.params import flatten

RESUMED_BY = ("task", "model", "trainer", "tokenizer", "dataset")  # the config a backup is resumed at


def main(cfg: DictConfig) -> None:
    trainer, task = cfg.trainer, task_of(cfg)
    language = pretrained_language_model(cfg)
    cluster = (
        distribute.resolve_cluster(trainer.cluster, trainer.task_index, os.environ.get("TF_CONFIG"))
        if trainer.strategy == "multi_worker"
        else None
    )
    strategy = set_up_runtime(trainer, cluster)
    shuffle = tokenized.EpochShuffle(trainer.seed)
    train_batches, validation_batches = batches(cfg, task, shuffle)
    pretrained = pretrained_vectors(cfg)
    with strategy.scope():
        model = build_model(cfg, task, steps_per_epoch=int(train_batches.cardinality()), pretrained=pretrained)
        if language is not None:
            start_from(language, model, cfg.paths.pretrained)
    fit = functools.partial(fitter(trainer, strategy), model, train_batches, validation_batches)
    if distribute.is_chief(cluster):
        coverage = pretrained.coverage(tokenized.token_ids(cfg.paths.tokenized, "train")) if pretrained else {}
        train_as_chief(cfg, fit, model, [shuffle, *task.callbacks(model, cfg.paths.tokenized)], coverage)
    else:
        train_as_worker(cfg, fit, shuffle)


def pretrained_vectors(cfg: DictConfig) -> vectors.Pretrained | None:
    """The embedding's starting weights from ``model.pretrained_vectors`` for the tokenized vocabulary."""
    if cfg.model.pretrained_vectors is None:
        return None
    vocabulary = tokenized.vocabulary(cfg.paths.tokenized)
    pretrained = vectors.embedding_matrix(in_project(cfg.model.pretrained_vectors), vocabulary, seed=cfg.trainer.seed)
    log.info("pretrained vectors for %d of %d words", len(pretrained.found), len(vocabulary))
    return pretrained


def pretrained_language_model(cfg: DictConfig) -> keras.Model | None:
    """Where ``pretrain`` names a corpus, the language model stage ``pretrain`` wrote into
    ``paths.pretrained``, checked to have been trained on ``paths.tokenized``'s vocabulary."""
    if not (cfg.pretrain.files or cfg.pretrain.train_split):
        return None
    directory = Path(cfg.paths.pretrained)
    if not (directory / "model.keras").is_file():
        raise TextrnnError(
            f"paths.pretrained = {cfg.paths.pretrained!r} holds no model.keras: stage `pretrain` writes it; run "
            "`dvc repro pretrain` first, or set pretrain=none"
        )
    if tokenized.vocabulary(directory) != tokenized.vocabulary(cfg.paths.tokenized):
        raise TextrnnError(
            f"paths.pretrained = {cfg.paths.pretrained!r}: its language model was trained on another vocabulary "
            f"than {cfg.paths.tokenized}'s; run `dvc repro pretrain` to pretrain on this one"
        )
    return models.load(directory / "model.keras")


def start_from(language: keras.Model, model: keras.Model, where: str) -> None:
    """``model``'s embedding and recurrent layers from the pretrained ``language`` model (read from ``where``)."""
    try:
        copied = pretraining.transfer(language, model)
    except ValueError as err:
        raise TextrnnError(f"paths.pretrained = {where!r}: {err}; run `dvc repro pretrain` for this model") from None
    log.info("started %s from the pretrained language model", ", ".join(copied))


def set_up_runtime(trainer: DictConfig, cluster: dict[str, Any] | None) -> tf.distribute.Strategy:
    """Seed every generator, set determinism and precision; the strategy to build the model under."""
    keras.utils.set_random_seed(trainer.seed)
    if trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    distribute.set_precision(trainer.precision)
    return distribute.make_strategy(
        trainer.strategy, cpu_devices=trainer.cpu_devices, cluster=cluster, peer_timeout=trainer.peer_timeout
    )


def batches(
    cfg: DictConfig, task: tasks.Task, shuffle: tokenized.EpochShuffle
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The ``task``'s train and validation batches of ``paths.tokenized``, in the trainer's batch size and buckets."""
    return task.batches(
        cfg.paths.tokenized,
        batch_size=cfg.trainer.batch_size,
        shuffle=shuffle,
        length_buckets=cfg.trainer.length_buckets,
    )


def kernel(model: DictConfig) -> str:
    """``model.kernel``, ``auto`` decided (:func:`textrnn.models.resolve_kernel`)."""
    return models.resolve_kernel(model.kernel, model.family, model.recurrent_dropout)


def build_model(
    cfg: DictConfig, task: tasks.Task, *, steps_per_epoch: int, pretrained: vectors.Pretrained | None = None
) -> keras.Model:
    """The ``task``'s model as ``cfg.model`` describes it, its embedding started from ``pretrained``,
    compiled with the trainer's optimizer and schedule."""
    trainer, meta = cfg.trainer, tokenized.meta(cfg.paths.tokenized)
    arguments: dict[str, Any] = {
        **OmegaConf.to_container(cfg.model),
        "kernel": kernel(cfg.model),
    }  # type: ignore[dict-item]
    del arguments["pretrained_vectors"], arguments["freeze_vectors"]
    if pretrained is not None:
        arguments |= {
            "embedding_dim": pretrained.matrix.shape[1],
            "embedding_weights": pretrained.matrix,
            "train_embedding": not cfg.model.freeze_vectors,
        }
    model = task.build_model(vocab_size=meta.vocab_size, label_names=meta.label_names, seed=trainer.seed, **arguments)
    optimizer = training.make_optimizer(
        name=trainer.optimizer,
        learning_rate=trainer.learning_rate,
        schedule=trainer.schedule,
        warmup_steps=trainer.warmup_epochs * steps_per_epoch,
        decay_steps=(trainer.epochs - trainer.warmup_epochs) * steps_per_epoch,
        clipnorm=trainer.clipnorm,
        global_clipnorm=trainer.global_clipnorm,
        weight_decay=trainer.weight_decay,
    )
    training.compile_classifier(
        model,
        optimizer,
        label_smoothing=trainer.label_smoothing,
        jit_compile=trainer.jit_compile,
        metrics=task.metrics(),
    )
    return model


Fit = Callable[..., keras.callbacks.History]


def fitter(trainer: DictConfig, strategy: tf.distribute.Strategy) -> Fit:
    """How the model is trained, the trainer's settings given: Keras's ``fit``, or under ``multi_worker``,
    where ``fit`` cannot run (keras-team/keras#20585), TensorFlow's custom loop."""
    common: dict[str, Any] = dict(
        epochs=trainer.epochs,
        patience=trainer.early_stopping_patience,
        reduce_on_plateau=trainer.schedule == "reduce_on_plateau",
        verbose=1 if sys.stdout.isatty() else 2,
    )
    if trainer.strategy == "multi_worker":
        return functools.partial(custom_loop.train, strategy=strategy, **common)
    return functools.partial(training.fit, save_freq=trainer.checkpoint_every_n_steps or "epoch", **common)


def train_as_chief(
    cfg: DictConfig, fit: Fit, model: keras.Model, callbacks: list[Callback], coverage: dict[str, float]
) -> None:
    """Fit ``model`` (``fit`` holds it and the data) with the task's ``callbacks``, resuming a killed
    attempt at the same config; publish the model, history and MLflow run. ``paths.checkpoints`` is
    held meanwhile: a second training in the same place stops at once, before it touches anything."""
    checkpoints = Path(cfg.paths.checkpoints)
    resolved = OmegaConf.to_container(cfg)  # what a backup must match to be resumed: all but where results go
    config_fingerprint = training.fingerprint({key: resolved[key] for key in RESUMED_BY})  # type: ignore[index]
    with exclusive(checkpoints):
        write_json(Path(cfg.paths.metrics) / "vectors.json", coverage)
        resume_run = training.resumable_run(checkpoints, config_fingerprint)
        with (
            replace_directory(cfg.paths.models) as out,
            start_tracking(cfg, reference=out / tracking.RUN_REFERENCE, resume_run=resume_run) as active,
        ):
            training.remember_run(checkpoints, active.info.run_id, config_fingerprint)
            if resume_run:
                log.info("resuming MLflow run %s from %s", resume_run, checkpoints)
            else:
                log_run_inputs(cfg)
                mlflow.log_metrics({f"vectors_{name}": value for name, value in coverage.items()})
            history_csv = checkpoints / "training.csv"
            logger = tracking.EpochLogger(log_learning_rate=cfg.trainer.schedule != "constant")
            fit(history_csv=history_csv, backup_dir=checkpoints / "backup", callbacks=[*callbacks, logger])
            # Trained on Keras's fused layers or not, the published model holds our cells (the same weights), so
            # that evaluate's gradient by lag, the gate view and export read one kind of model
            (convert.from_keras(model) if kernel(cfg.model) == "fused" else model).save(out / "model.keras")
            publish_history(history_csv, Path(cfg.paths.plots) / "training.csv")
        shutil.rmtree(checkpoints, ignore_errors=True)
    log.info("trained %s; model in %s", model.name, cfg.paths.models)


def train_as_worker(cfg: DictConfig, fit: Fit, shuffle: Callback) -> None:
    """A worker of a cluster other than the chief trains in step with it: it resumes from the chief's
    checkpoints and saves its own to scratch space, deleted when it ends; it writes nothing else."""
    scratch = Path(tempfile.mkdtemp(prefix="textrnn-worker-"))
    try:
        backup = Path(cfg.paths.checkpoints) / "backup"
        fit(history_csv=None, backup_dir=backup, write_dir=scratch, callbacks=[shuffle])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def start_tracking(
    cfg: DictConfig, *, reference: Path, resume_run: str | None
) -> AbstractContextManager[mlflow.ActiveRun]:
    """The MLflow run: named after what is trained (and the DVC experiment), or the one to resume; in
    the project's store, also when DVC runs the stage in a temporary copy of the project."""
    name = cfg.tracking.run_name or tracking.run_name(
        family=cfg.model.family,
        units=cfg.model.units,
        bidirectional=cfg.model.bidirectional,
        dataset=cfg.dataset.name,
        experiment=os.environ.get("DVC_EXP_NAME"),
    )
    # `dvc exp run --queue` (and `--temp`) runs the stages in a copy of the project under .dvc/tmp,
    # deleted afterwards; DVC_ROOT, which DVC sets for every stage, names the project itself.
    tracking_uri, artifact_location = tracking.anchored(cfg.tracking.tracking_uri, os.environ.get("DVC_ROOT", "."))
    return tracking.start_run(
        tracking_uri=tracking_uri,
        experiment_name=cfg.tracking.experiment_name,
        run_name=name,
        reference=reference,
        run_id=resume_run,
        artifact_location=artifact_location,
    )


def log_run_inputs(cfg: DictConfig) -> None:
    """A new run's params, config, vocabulary and tags."""
    mlflow.log_params(flatten(OmegaConf.to_container(cfg)))  # type: ignore[arg-type]
    mlflow.log_dict(OmegaConf.to_container(cfg), "config.yaml")  # type: ignore[arg-type]
    mlflow.log_artifact(str(Path(cfg.paths.tokenized) / "vocabulary.txt"))
    mlflow.set_tags({"dvc.stage": "train", "textrnn.strategy": cfg.trainer.strategy})
    if commit := git_commit():
        mlflow.set_tag("mlflow.source.git.commit", commit)


def publish_history(history_csv: Path, plots_csv: Path) -> None:
    """The epochs' metrics to ``plots_csv`` (atomically) and to the run, with the learning curves."""
    write_text(plots_csv, history_csv.read_text())
    mlflow.log_artifact(str(plots_csv))
    mlflow.log_figure(tracking.learning_curves(plots_csv), "learning_curves.png")


if __name__ == "__main__":
    run(main, __doc__, reads=("tokenized",), writes=("models", "checkpoints"), section="trainer")
