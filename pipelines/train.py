"""Stage `train`: fit the recurrent classifier, tracked in a new MLflow run.

    python -m pipelines.train [model=gru] [trainer.epochs=1 ...]

Reads params `seed`, `model`, `trainer`, `tracking`; reads `paths.tokenized`; writes
`paths.models` (model.keras, best.keras, run.json naming the MLflow run for evaluate and export)
and `paths.plots`/training.csv (one row of metrics per epoch).
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import mlflow
import mlflow.keras
from omegaconf import DictConfig, OmegaConf

from pipelines import data
from pipelines.common import log, run
from textrnn import models, tracking, training
from textrnn.io import replace_directory


def main(cfg: DictConfig) -> None:
    keras.utils.set_random_seed(cfg.seed)
    tokenized, trainer = cfg.paths.tokenized, cfg.trainer
    meta = data.meta(tokenized)
    model = models.build_classifier(
        vocab_size=meta["vocab_size"],
        num_classes=len(meta["label_names"]),
        seed=cfg.seed,
        **OmegaConf.to_container(cfg.model),  # type: ignore[arg-type]
    )
    training.compile_classifier(model, learning_rate=trainer.learning_rate, clipnorm=trainer.clipnorm)
    history_csv = Path(cfg.paths.plots) / "training.csv"
    history_csv.unlink(missing_ok=True)
    with (
        replace_directory(cfg.paths.models) as out,
        tracking.start_run(
            tracking_uri=cfg.tracking.tracking_uri,
            experiment_name=cfg.tracking.experiment_name,
            run_name=cfg.tracking.run_name,
            reference=out / "run.json",
        ),
    ):
        mlflow.log_params(tracking.flatten(OmegaConf.to_container(cfg)))  # type: ignore[arg-type]
        mlflow.log_dict(OmegaConf.to_container(cfg), "config.yaml")  # type: ignore[arg-type]
        mlflow.log_artifact(str(Path(tokenized) / "vocabulary.txt"))
        training.fit(
            model,
            training.batches(data.split(tokenized, "train"), trainer.batch_size, shuffle_seed=cfg.seed),
            training.batches(data.split(tokenized, "validation"), trainer.batch_size),
            epochs=trainer.epochs,
            patience=trainer.early_stopping_patience,
            checkpoint=out / "best.keras",
            backup_dir=Path(cfg.paths.checkpoints),
            history_csv=history_csv,
            callbacks=[mlflow.keras.MlflowCallback()],
            verbose=1 if sys.stdout.isatty() else 2,
        )
        model.save(out / "model.keras")
        mlflow.log_artifact(str(history_csv))
    log.info("trained %s; model in %s", model.name, cfg.paths.models)


if __name__ == "__main__":
    run(main, __doc__)
