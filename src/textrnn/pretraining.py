"""Language-model pretraining for a classifier (Dai & Le 2015, "Semi-supervised Sequence Learning").

A recurrent language model (:func:`textrnn.models.build_language_model`) learns to predict every
next token of unlabelled text with the classifier's own tokenizer and vocabulary; the classifier
then starts its embedding and recurrent layers from it (:func:`transfer`) and learns its head.

On a CPU a word-level language model spends most of its time in the softmax over the vocabulary.
:class:`SampledSoftmaxTrainer` trains it with a sampled softmax (Jean et al. 2015; TensorFlow's
``tf.nn.sampled_softmax_loss``): each batch normalizes over its true next tokens and ``num_sampled``
classes drawn by frequency (the vocabulary is sorted by it), and validation scores the full softmax.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn.data.sources import HTML_TAG, json_records, json_text, open_file

JSON_LINES = re.compile(r"\.jsonl(\.gz)?$")


def read_corpus(
    paths: Sequence[str | Path],
    *,
    text_field: str = "text",
    strip_html: bool = False,
    share: float = 1.0,
    seed: int = 0,
) -> list[str]:
    """The texts of ``paths``: one per record of a JSON Lines file (``.jsonl``, its ``text_field``),
    a plain text file whole; gzip-compressed or not (told by the bytes). ``strip_html`` turns tags
    into spaces; ``share`` < 1 keeps a seeded sample of that share of the texts, in order."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    texts = [text for path in paths for text in _texts(Path(path), text_field)]
    if share < 1.0:
        keep = np.random.default_rng(seed).random(len(texts)) < share
        texts = [text for text, kept in zip(texts, keep, strict=True) if kept]
    return [HTML_TAG.sub(" ", text) for text in texts] if strip_html else texts


def _texts(path: Path, text_field: str) -> Iterator[str]:
    if not JSON_LINES.search(path.name):
        with open_file(path, "r", encoding="utf-8") as handle:
            yield handle.read()
        return
    for line_number, record in json_records(path):
        yield json_text(path, line_number, record, text_field, "text_field")


def token_stream(texts: Sequence[str], tokenizer: keras.layers.Layer, *, batch_size: int = 1024) -> np.ndarray:
    """The ids ``tokenizer`` (ragged output) gives ``texts``, one text after another."""
    pieces = [
        tokenizer(tf.constant(list(texts[start : start + batch_size]))).flat_values.numpy().astype(np.int32)
        for start in range(0, len(texts), batch_size)
    ]
    return np.concatenate(pieces) if pieces else np.zeros(0, np.int32)


@keras.saving.register_keras_serializable(package="textrnn")
class SampledSoftmaxTrainer(keras.Model):
    """Trains ``language_model``'s layers with a sampled softmax; validates on the full softmax.

    Args:
        language_model: a model as :func:`textrnn.models.build_language_model` builds; its layers
            are trained in place (save it, not the trainer).
        num_sampled: classes drawn per batch (log-uniformly: frequent ids are small), besides the
            true ones; 0 trains on the full softmax.

    Call arguments:
        tokens: ``[batch, time]`` token ids.

    Returns the last recurrent layer's outputs ``[batch, time, units]``; the loss applies the head.

    Example:

    >>> model = models.build_language_model(vocab_size=20000, units=128)
    >>> trainer = SampledSoftmaxTrainer(model, num_sampled=1024)
    >>> trainer.compile(optimizer="adam")
    >>> trainer.fit(windows)  # (tokens, next tokens) batches
    """

    def __init__(self, language_model: keras.Model, num_sampled: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_sampled < 0:
            raise ValueError(f"num_sampled must be ≥ 0, got {num_sampled!r}")
        self.language_model = language_model
        self.trunk = keras.Model(language_model.input, language_model.get_layer("head_dropout").output)
        self.head = language_model.get_layer("head")
        self.vocab_size = int(self.head.units)
        self.num_sampled = min(num_sampled, self.vocab_size - 1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True  # its layers are the language model's, built already

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker]

    def call(self, tokens: Any, training: bool = False) -> Any:
        return self.trunk(tokens, training=training)

    def _loss(self, hidden: tf.Tensor, labels: tf.Tensor, *, sampled: bool) -> tf.Tensor:
        hidden = tf.reshape(tf.cast(hidden, tf.float32), [-1, hidden.shape[-1]])
        labels = tf.reshape(tf.cast(labels, tf.int64), [-1, 1])
        if sampled and self.num_sampled:
            losses = tf.nn.sampled_softmax_loss(
                weights=tf.transpose(self.head.kernel),
                biases=self.head.bias,
                labels=labels,
                inputs=hidden,
                num_sampled=self.num_sampled,
                num_classes=self.vocab_size,
            )
        else:
            logits = tf.matmul(hidden, self.head.kernel) + self.head.bias
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels[:, 0], logits)
        return tf.reduce_mean(losses)

    def train_step(self, data: Any) -> dict[str, Any]:
        tokens, labels = data
        with tf.GradientTape() as tape:
            loss = self._loss(self(tokens, training=True), labels, sampled=True)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data: Any) -> dict[str, Any]:
        tokens, labels = data
        self.loss_tracker.update_state(self._loss(self(tokens, training=False), labels, sampled=False))
        return {"loss": self.loss_tracker.result()}


def transfer(source: keras.Model, target: keras.Model) -> list[str]:
    """Copy the pretrained ``source``'s embedding and recurrent layers — every layer with weights
    but its ``head`` — into ``target``'s layers of the same names (``embedding``, ``<family>_<i>``);
    their names.

    Raises ``ValueError`` where ``target`` lacks one of them or its weights differ in shape: a
    vocabulary or an architecture other than the one pretrained."""
    names = [layer.name for layer in source.layers if layer.weights and layer.name != "head"]
    for name in names:
        try:
            layer = target.get_layer(name)
        except ValueError:
            raise ValueError(
                f"target has no layer {name!r}, which source has: not the architecture pretrained"
            ) from None
        shapes = [tuple(w.shape) for w in source.get_layer(name).weights], [tuple(w.shape) for w in layer.weights]
        if shapes[0] != shapes[1]:
            raise ValueError(f"source's layer {name!r} has weights of shapes {shapes[0]}, target's {shapes[1]}")
    for name in names:
        target.get_layer(name).set_weights(source.get_layer(name).get_weights())
    return names
