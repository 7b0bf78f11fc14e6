"""Stage `export`: a SavedModel that takes raw strings and returns probabilities and label names —
or, for a language model, generates text from a prompt.

    python -m pipelines.export

Reads params `task`, `export`; reads `paths.ingested` (test texts), `paths.tokenized`, `paths.models`;
writes `paths.saved_model` — only once the SavedModel, loaded in a Python process that does not
import textrnn, gives the trained model's probabilities (to 1e-5) on the first 256 test texts
(against the token ids tokenize stored for them) and on an empty, a non-Latin and an over-long
text; else it stops with one line and leaves the earlier SavedModel in place.
A language model's SavedModel is written once it continues `task.sample_prompt` (greedily, 200
tokens) as the trained model does, in such a process; its `serving_default` takes `prompt`,
`length`, `temperature`, `top_k` and `seed` and returns `text` (see `textrnn generate`).
Serve it with TensorFlow (and `import tensorflow_text` first, for a WordPiece tokenizer's ops):
`tf.saved_model.load(path).signatures["serving_default"](texts=...)`.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from pipelines.common import log, run
from pipelines.task import task_of

import mlflow
import pandas as pd
import tensorflow as tf
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from omegaconf import DictConfig

from textrnn import mlflow_model, models, tracking


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
        pip_requirements=[f"tensorflow=={tf.__version__}", f"tensorflow-text=={version('tensorflow-text')}", "pandas"],
    )


def main(cfg: DictConfig) -> None:
    task = task_of(cfg)
    models_dir = Path(cfg.paths.models)
    model = models.load(models_dir / "model.keras")
    exported = task.export(model, cfg.paths.tokenized, ingested=cfg.paths.ingested, saved_model=cfg.paths.saved_model)
    log.info("%s", exported.summary)
    if cfg.export.log_to_mlflow:
        with tracking.resume_run(models_dir / tracking.RUN_REFERENCE):
            tracking.log_directory(cfg.paths.saved_model, "saved_model")
            if exported.label_names is not None:  # MLflow's pyfunc flavour takes a table of texts
                log_pyfunc_model(cfg.paths.saved_model, exported.label_names)
    log.info("exported %s", cfg.paths.saved_model)


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested", "tokenized", "models"), writes=("saved_model",))
