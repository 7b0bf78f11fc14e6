"""SavedModels that take raw strings — a classifier (vectorizer + model behind one serving
signature) or a language model's text generator — each checked against the trained model in a
Python process that does not import textrnn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn.atomic import replace_directory
from textrnn.errors import TextrnnError
from textrnn.language_model import Generator

SIGNATURE = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY  # "serving_default"


def export_saved_model(
    model: keras.Model,
    vectorizer: keras.layers.Layer,
    label_names: Sequence[str],
    directory: str | Path,
    *,
    reference_texts: Sequence[str] = (),
    reference_probabilities: np.ndarray | None = None,
    tolerance: float = 1e-5,
) -> float:
    """Write a SavedModel whose ``serving_default`` maps ``texts: string[batch]`` to

    * ``probabilities``: ``float32[batch, classes]``, rows summing to 1;
    * ``classes``: ``string[batch, classes]``, the label name of each probability column;
    * ``label``: ``string[batch]``, the most probable label name.

    ``vectorizer`` (:mod:`textrnn.vectorize`) must pad to a fixed length (``ragged=False``) so
    that an empty string is an all-padding row. Loading it needs TensorFlow and, for a WordPiece
    vectorizer, ``import tensorflow_text`` first: ``tf.saved_model.load(directory)``. A scalar
    string is a batch of one (any shape is read as a flat batch).

    Before ``directory`` is replaced, the SavedModel is loaded in a fresh Python process that does
    not import textrnn and its probabilities for ``reference_texts`` must equal
    ``reference_probabilities`` (the trained model's) to ``tolerance``; else
    :class:`~textrnn.errors.TextrnnError`, and ``directory`` keeps what it held. Returns the
    largest difference (0.0 without reference texts).
    """
    names = tf.constant(list(label_names))

    def serve(texts: tf.Tensor) -> dict[str, tf.Tensor]:
        texts = tf.reshape(texts, [-1])
        probabilities = model(tf.cast(vectorizer(texts), tf.int32), training=False)
        batch = tf.shape(texts)[0]
        return {
            "probabilities": probabilities,
            "classes": tf.tile(names[tf.newaxis, :], [batch, 1]),
            "label": tf.gather(names, tf.argmax(probabilities, axis=-1)),
        }

    if not vectorizer.built:
        vectorizer.build((None,))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(vectorizer)
    archive.add_endpoint(SIGNATURE, serve, input_signature=[tf.TensorSpec(None, tf.string, name="texts")])
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
        if not reference_texts:
            return 0.0
        served = served_probabilities(target, reference_texts)
        differences = np.max(np.abs(served - np.asarray(reference_probabilities)), axis=1)
        if differences.max() > tolerance:
            worst = reference_texts[int(np.argmax(differences))]
            raise TextrnnError(
                f"{directory}: the exported model's probabilities differ from the trained model's by "
                f"{differences.max():.3g} (> {tolerance}) on {worst[:60]!r}: the vectorizer does not encode text as "
                "the model was trained on; export with the vectorizer of the model's training data"
            )
        return float(differences.max())


IN_A_FRESH_PROCESS = """
import json, sys
import tensorflow as tf
try:
    import tensorflow_text  # registers a WordPiece vectorizer's ops
except ImportError:
    pass
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
request = json.load(sys.stdin)
if "texts" in request:
    answer = {"probabilities": serve(texts=tf.constant(request["texts"]))["probabilities"].numpy().tolist()}
else:
    arguments = {"prompt": tf.constant(request["prompt"]), "length": tf.constant(request["length"]),
                 "temperature": tf.constant(0.0), "top_k": tf.constant(0), "seed": tf.constant(0, tf.int64)}
    answer = {"text": serve(**arguments)["text"].numpy().decode()}
answer["textrnn"] = any(m.split(".")[0] == "textrnn" for m in sys.modules)
print(json.dumps(answer))
"""


def served_probabilities(directory: str | Path, texts: Sequence[str]) -> np.ndarray:
    """The probabilities the classifier SavedModel in ``directory`` gives ``texts``, loaded by a fresh
    Python that imports TensorFlow (and tensorflow-text, if installed) but not textrnn."""
    return np.asarray(_serve_in_a_fresh_process(directory, {"texts": list(texts)})["probabilities"], dtype=np.float64)


def served_greedy_text(directory: str | Path, prompt: str, length: int) -> str:
    """The greedy continuation (temperature 0) of ``prompt`` that the generator SavedModel in
    ``directory`` writes, loaded by a fresh Python that does not import textrnn."""
    return _serve_in_a_fresh_process(directory, {"prompt": prompt, "length": length})["text"]


def _serve_in_a_fresh_process(directory: str | Path, request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", IN_A_FRESH_PROCESS, str(Path(directory).resolve())],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # not the repository: nothing of it on sys.path by accident
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise TextrnnError(f"{directory}: the exported SavedModel does not serve in a fresh process: {last}")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["textrnn"]:
        raise TextrnnError(
            f"{directory}: serving the exported SavedModel imported textrnn; it must need TensorFlow only"
        )
    return answer


def export_generator(generator: Generator, directory: str | Path, *, prompt: str, length: int) -> str:
    """Write a SavedModel whose ``serving_default`` is ``generator.generate``: ``prompt``, ``length``,
    ``temperature``, ``top_k``, ``seed`` (scalars) to ``text`` (the continuation) and ``token_ids``.

    Before ``directory`` is replaced, the SavedModel is loaded in a fresh Python process that does
    not import textrnn, and its greedy continuation of ``prompt`` (``length`` tokens) must be the
    ``generator``'s own; else :class:`~textrnn.errors.TextrnnError`, and ``directory`` keeps what it
    held. Returns that continuation.
    """
    arguments = [tf.constant(prompt), length, 0.0, 0, tf.constant(0, tf.int64)]
    expected = generator.generate(*arguments)["text"].numpy().decode()
    archive = keras.export.ExportArchive()
    archive.track(generator.model)
    archive.track(generator.tokenizer)
    archive.add_endpoint(SIGNATURE, generator.generate)
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
        served = served_greedy_text(target, prompt, length)
        if served != expected:
            raise TextrnnError(
                f"{directory}: the exported generator continues {prompt!r} with {served[:40]!r}, the trained model "
                f"with {expected[:40]!r}; export the generator with the tokenizer of the model's training data"
            )
    return expected
