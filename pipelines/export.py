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

from pathlib import Path

from pipelines.common import log, run

import keras
import mlflow
import numpy as np
import pandas as pd
import tensorflow as tf
import tensorflow_text
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from omegaconf import DictConfig

from textrnn import language_model, mlflow_model, models, tokenized, tracking, vectorize
from textrnn.data import store
from textrnn.export import export_generator, export_saved_model

PARITY_TEXTS = 256  # test texts the export checks the SavedModel on
GREEDY_TOKENS = 200  # a language model's greedy continuation the export checks the SavedModel on


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


def reference(
    cfg: DictConfig, model: keras.Model, vectorizer: keras.layers.Layer, max_length: int
) -> tuple[list[str], np.ndarray]:
    """Texts and the trained model's probabilities for them, for the export's parity check.

    Test texts as ingested, scored on the token ids tokenize stored for them — so a vectorizer
    that encodes differently from the one the model was trained on shows — and texts that
    test the edges: empty, non-Latin, longer than ``max_length``.
    """
    ingested = store.load_split(cfg.paths.ingested, "test").take(PARITY_TEXTS)
    texts = [row["text"].decode() for row in ingested.as_numpy_iterator()]
    test = tokenized.split(cfg.paths.tokenized, "test").take(PARITY_TEXTS)
    stored = model.predict(tokenized.batches(test, 64), verbose=0)
    edges = ["", "Ce film était magnifique — 素晴らしい映画", " ".join(["a great film"] * max_length)]
    served = model.predict(vectorizer(np.array(edges)), verbose=0)
    return texts + edges, np.concatenate([stored, served])


def main(cfg: DictConfig) -> None:
    directory, models_dir = cfg.paths.tokenized, Path(cfg.paths.models)
    model = models.load(models_dir / "model.keras")
    spec = vectorize.TokenizerSpec(**tokenized.tokenizer_settings(directory))
    if cfg.task.name == "language_model":
        export_language_model(cfg, model, spec)
        return
    vectorizer = spec.layer(tokenized.vocabulary(directory), ragged=False)
    label_names = tokenized.meta(directory).label_names
    texts, probabilities = reference(cfg, model, vectorizer, spec.max_length)
    difference = export_saved_model(
        model,
        vectorizer,
        label_names,
        cfg.paths.saved_model,
        reference_texts=texts,
        reference_probabilities=probabilities,
    )
    log.info(
        "the SavedModel, served without textrnn, matches the trained model on %d texts (max |Δp| %.2g)",
        len(texts),
        difference,
    )
    if cfg.export.log_to_mlflow:
        with tracking.resume_run(models_dir / tracking.RUN_REFERENCE):
            tracking.log_directory(cfg.paths.saved_model, "saved_model")
            log_pyfunc_model(cfg.paths.saved_model, label_names)
    log.info("exported %s", cfg.paths.saved_model)


def export_language_model(cfg: DictConfig, model: keras.Model, spec: vectorize.TokenizerSpec) -> None:
    """The generator SavedModel, checked on the greedy continuation of ``task.sample_prompt``; logged to
    the run as artifacts (MLflow's pyfunc flavour takes a table of texts, not a generation request)."""
    vocabulary = tokenized.vocabulary(cfg.paths.tokenized)
    generator = language_model.Generator(model, spec.layer(vocabulary), vocabulary, split=spec.split)
    text = export_generator(generator, cfg.paths.saved_model, prompt=cfg.task.sample_prompt, length=GREEDY_TOKENS)
    log.info(
        "the SavedModel, served without textrnn, continues %r as the trained model: %r", cfg.task.sample_prompt, text
    )
    if cfg.export.log_to_mlflow:
        with tracking.resume_run(Path(cfg.paths.models) / tracking.RUN_REFERENCE):
            tracking.log_directory(cfg.paths.saved_model, "saved_model")
    log.info("exported %s", cfg.paths.saved_model)


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested", "tokenized", "models"), writes=("saved_model",))
