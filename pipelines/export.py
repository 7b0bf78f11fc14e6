"""Stage `export`: a SavedModel that takes raw strings and returns probabilities and label names.

    python -m pipelines.export

Reads params `export`; reads `paths.tokenized`, `paths.models`; writes `paths.saved_model`.
Serve it with TensorFlow (and `import tensorflow_text` first, for a WordPiece tokenizer's ops):
`tf.saved_model.load(path).signatures["serving_default"](texts=...)`.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.common import log, run

import mlflow
import pandas as pd
import tensorflow as tf
import tensorflow_text
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from omegaconf import DictConfig

from textrnn import mlflow_model, models, tokenized, tracking, vectorize
from textrnn.export import export_saved_model


def log_pyfunc_model(saved_model: str, label_names: list[str]) -> None:
    """Log the SavedModel as an MLflow model with a hand-built signature: a string column in."""
    signature = ModelSignature(
        inputs=Schema([ColSpec("string", "text")]),
        outputs=Schema([ColSpec("string", "label"), *(ColSpec("float", f"probability_{n}") for n in label_names)]),
    )
    mlflow.pyfunc.log_model(
        name="model",
        python_model=mlflow_model.__file__,
        artifacts={"saved_model": saved_model},
        signature=signature,
        input_example=pd.DataFrame({"text": ["a great film", "the plot was not good but the cast was great ."]}),
        pip_requirements=[f"tensorflow=={tf.__version__}", f"tensorflow-text=={tensorflow_text.__version__}", "pandas"],
    )


def main(cfg: DictConfig) -> None:
    directory, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    model = models.load(models_dir / "model.keras")
    spec = vectorize.TokenizerSpec(**tokenized.tokenizer_settings(directory))
    vectorizer = spec.layer(tokenized.vocabulary(directory), ragged=False)
    label_names = tokenized.meta(directory).label_names
    export_saved_model(model, vectorizer, label_names, cfg.paths.saved_model)
    if cfg.export.log_to_mlflow:
        with tracking.resume_run(models_dir / tracking.RUN_REFERENCE):
            mlflow.log_artifacts(cfg.paths.saved_model, artifact_path="saved_model")
            log_pyfunc_model(cfg.paths.saved_model, label_names)
    log.info("exported %s", cfg.paths.saved_model)


if __name__ == "__main__":
    run(main, __doc__)
