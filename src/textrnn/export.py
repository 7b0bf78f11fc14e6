"""A SavedModel that takes raw strings: vectorizer + classifier behind one serving signature."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import tensorflow as tf

from textrnn.atomic import replace_directory

SIGNATURE = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY  # "serving_default"


def export_saved_model(
    model: keras.Model,
    vectorizer: keras.layers.Layer,
    label_names: Sequence[str],
    directory: str | Path,
) -> None:
    """Write a SavedModel whose ``serving_default`` maps ``texts: string[batch]`` to

    * ``probabilities``: ``float32[batch, classes]``, rows summing to 1;
    * ``classes``: ``string[batch, classes]``, the label name of each probability column;
    * ``label``: ``string[batch]``, the most probable label name.

    ``vectorizer`` (:mod:`textrnn.vectorize`) must pad to a fixed length (``ragged=False``) so
    that an empty string is an all-padding row. Loading it needs TensorFlow and, for a WordPiece
    vectorizer, ``import tensorflow_text`` first: ``tf.saved_model.load(directory)``.
    """
    names = tf.constant(list(label_names))

    def serve(texts: tf.Tensor) -> dict[str, tf.Tensor]:
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
    archive.add_endpoint(SIGNATURE, serve, input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
