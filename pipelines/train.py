"""Stage `train`: fit the recurrent classifier, tracked in an MLflow run; resumable after a crash.

    python -m pipelines.train [model=gru] [trainer.epochs=1 ...]
    python -m pipelines.train trainer=gpu                 # all local GPUs, mixed precision, XLA

Reads params `seed`, `model`, `trainer`, `tracking`; reads `paths.tokenized`; writes
`paths.models` (model.keras — the best epoch's weights — and run.json naming the MLflow run for
evaluate and export)
and `paths.plots`/training.csv (one row of metrics per epoch).

Killed mid-training, the same command resumes from the last saved epoch (or step) in
`paths.checkpoints` and logs into the same MLflow run, as long as the config is unchanged; in
deterministic mode it ends with the metrics of a run that was never stopped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pipelines import data
from pipelines.common import git_commit, log, run

import keras
import mlflow
import tensorflow as tf
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from textrnn import distribute, models, tracking, training
from textrnn.io import replace_directory, write_json, write_text


def fingerprint(cfg: DictConfig) -> str:
    """What a backup must match to be resumed: everything but where results go."""
    resolved = OmegaConf.to_container(cfg)
    relevant = {key: resolved[key] for key in ("seed", "model", "trainer", "tokenizer", "dataset")}  # type: ignore[index]
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def learning_curves(history_csv: Path) -> Figure:
    """Loss and accuracy per epoch, train against validation."""
    with history_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) for row in rows]
    figure = Figure(figsize=(9, 3.5), layout="constrained")  # no pyplot: no display backend needed
    axes = figure.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, [float(r[metric]) for r in rows], marker="o", label="train")
        ax.plot(epochs, [float(r[f"val_{metric}"]) for r in rows], marker="o", label="validation")
        ax.set(xlabel="epoch", title=metric)
        ax.legend()
    return figure


def main(cfg: DictConfig) -> None:
    trainer = cfg.trainer
    keras.utils.set_random_seed(cfg.seed)
    if trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    distribute.set_precision(trainer.precision)
    strategy = distribute.make_strategy(trainer.strategy, cpu_devices=trainer.cpu_devices)
    chief = distribute.is_chief()

    tokenized = cfg.paths.tokenized
    meta = data.meta(tokenized)
    train_rows = data.split(tokenized, "train")
    shuffle = training.EpochShuffle(cfg.seed)
    boundaries = training.length_boundaries(data.lengths(tokenized, "train"), trainer.length_buckets)
    batches = {
        "train": training.batches(train_rows, trainer.batch_size, shuffle=shuffle, bucket_boundaries=boundaries),
        "validation": training.batches(
            data.split(tokenized, "validation"), trainer.batch_size, bucket_boundaries=boundaries
        ),
    }
    steps_per_epoch = int(batches["train"].cardinality())
    with strategy.scope():
        model = models.build_classifier(
            vocab_size=meta["vocab_size"],
            num_classes=len(meta["label_names"]),
            seed=cfg.seed,
            **OmegaConf.to_container(cfg.model),  # type: ignore[arg-type]
        )
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
        training.compile_classifier(model, optimizer, jit_compile=trainer.jit_compile)

    # Only the chief keeps state: other workers back up to scratch space of their own.
    checkpoints = Path(cfg.paths.checkpoints) if chief else Path(tempfile.mkdtemp(prefix="textrnn-worker-"))
    state, config_fingerprint = checkpoints / "run.json", fingerprint(cfg)
    resumable = state.exists() and json.loads(state.read_text()).get("fingerprint") == config_fingerprint
    if not resumable:
        shutil.rmtree(checkpoints, ignore_errors=True)
    checkpoints.mkdir(parents=True, exist_ok=True)
    history_csv = checkpoints / "training.csv"
    fit_args = dict(
        epochs=trainer.epochs,
        patience=trainer.early_stopping_patience,
        backup_dir=checkpoints / "backup",
        save_freq=trainer.checkpoint_every_n_steps or "epoch",
        reduce_on_plateau=trainer.schedule == "reduce_on_plateau",
        verbose=1 if sys.stdout.isatty() else 2,
    )
    if not chief:
        training.fit(model, *batches.values(), history_csv=None, callbacks=[shuffle], **fit_args)
        shutil.rmtree(checkpoints, ignore_errors=True)
        return

    with (
        replace_directory(cfg.paths.models) as out,
        tracking.start_run(
            tracking_uri=cfg.tracking.tracking_uri,
            experiment_name=cfg.tracking.experiment_name,
            run_name=cfg.tracking.run_name
            or tracking.run_name(
                family=cfg.model.family,
                units=cfg.model.units,
                bidirectional=cfg.model.bidirectional,
                dataset=cfg.dataset.name,
                experiment=os.environ.get("DVC_EXP_NAME"),
            ),
            reference=out / "run.json",
            resume_from=state if resumable else None,
        ) as active,
    ):
        write_json(state, {"run_id": active.info.run_id, "fingerprint": config_fingerprint})
        if resumable:
            log.info("resuming MLflow run %s from %s", active.info.run_id, checkpoints)
        else:
            mlflow.log_params(tracking.flatten(OmegaConf.to_container(cfg)))  # type: ignore[arg-type]
            mlflow.log_dict(OmegaConf.to_container(cfg), "config.yaml")  # type: ignore[arg-type]
            mlflow.log_artifact(str(Path(tokenized) / "vocabulary.txt"))
        mlflow.set_tags({"dvc.stage": "train", "textrnn.strategy": trainer.strategy})
        if commit := git_commit():
            mlflow.set_tag("mlflow.source.git.commit", commit)
        training.fit(
            model,
            *batches.values(),
            history_csv=history_csv,
            callbacks=[shuffle, tracking.EpochLogger(log_learning_rate=trainer.schedule != "constant")],
            **fit_args,
        )
        model.save(out / "model.keras")
        plots_csv = Path(cfg.paths.plots) / "training.csv"
        write_text(plots_csv, history_csv.read_text())
        mlflow.log_artifact(str(plots_csv))
        mlflow.log_figure(learning_curves(plots_csv), "learning_curves.png")
    shutil.rmtree(checkpoints, ignore_errors=True)
    log.info("trained %s; model in %s", model.name, cfg.paths.models)


if __name__ == "__main__":
    run(main, __doc__)
