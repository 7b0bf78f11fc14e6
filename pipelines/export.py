"""Stage `export`: a SavedModel that takes raw strings and returns probabilities and label names.

    python -m pipelines.export

Reads params `export`; reads `paths.tokenized`, `paths.models`; writes `paths.saved_model`.
Serve it with TensorFlow alone: `tf.saved_model.load(path).signatures["serving_default"](texts=...)`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import mlflow
from omegaconf import DictConfig

from pipelines import data
from pipelines.common import log, run
from textrnn import tracking, vectorize
from textrnn.export import export_saved_model


def main(cfg: DictConfig) -> None:
    tokenized, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    model = keras.saving.load_model(models_dir / "model.keras")
    vectorizer = vectorize.load(tokenized, ragged=False)
    export_saved_model(model, vectorizer, data.meta(tokenized)["label_names"], cfg.paths.saved_model)
    if cfg.export.log_to_mlflow:
        with tracking.resume_run(models_dir / "run.json"):
            mlflow.log_artifacts(cfg.paths.saved_model, artifact_path="saved_model")
    log.info("exported %s", cfg.paths.saved_model)


if __name__ == "__main__":
    run(main, __doc__)
