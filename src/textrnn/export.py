"""A SavedModel that takes raw strings: vectorizer + classifier behind one serving signature,
checked against the trained model in a Python process that does not import textrnn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from textrnn.atomic import replace_directory
from textrnn.errors import TextrnnError

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
                "the model was trained on; rerun tokenize and train (dvc repro)"
            )
        return float(differences.max())


SERVE_IN_A_FRESH_PROCESS = """
import json, sys
import tensorflow as tf
try:
    import tensorflow_text  # registers a WordPiece vectorizer's ops
except ImportError:
    pass
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
probabilities = serve(texts=tf.constant(json.load(sys.stdin)))["probabilities"].numpy().tolist()
print(json.dumps({"textrnn": any(m.split(".")[0] == "textrnn" for m in sys.modules), "probabilities": probabilities}))
"""


def served_probabilities(directory: str | Path, texts: Sequence[str]) -> np.ndarray:
    """The probabilities the SavedModel in ``directory`` gives ``texts``, loaded by a fresh Python
    that imports TensorFlow (and tensorflow-text, if installed) but not textrnn."""
    result = subprocess.run(
        [sys.executable, "-c", SERVE_IN_A_FRESH_PROCESS, str(Path(directory).resolve())],
        input=json.dumps(list(texts)),
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
    return np.asarray(answer["probabilities"], dtype=np.float64)
