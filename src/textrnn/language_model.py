"""Language modelling on our cells: training windows, per-token metrics and text generation.

A language model (:func:`textrnn.models.build_language_model`) reads a stream of token ids and
predicts, at every step, the next one. It trains on consecutive windows of the stream —
backpropagation through time truncated at the window's length, each window starting from a zero
state — and generates text one token at a time, feeding each sampled token back in, with the cells
of its recurrent layers stepped directly (the same ``cell.call`` that ``keras.layers.RNN`` loops over).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import keras
import numpy as np
import tensorflow as tf

PADDING_AND_UNKNOWN = 2  # ids 0 (padding) and 1 ([UNK]): never generated


def windows(ids: np.ndarray, window: int) -> tf.data.Dataset:
    """``{"tokens", "label"}`` rows: consecutive, non-overlapping windows of ``window`` ids of the
    stream ``ids`` and, as labels, the same windows one token later (what each position predicts).

    The last ids that do not fill a window are left out.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    count = (len(ids) - 1) // window
    if count < 1:
        raise ValueError(f"the stream has {len(ids)} tokens: fewer than one window of {window} and its next token")
    inputs = np.asarray(ids[: count * window], dtype=np.int32).reshape(count, window)
    targets = np.asarray(ids[1 : count * window + 1], dtype=np.int64).reshape(count, window)
    return tf.data.Dataset.from_tensor_slices({"tokens": inputs, "label": targets})


def separator(split: str) -> str:
    """What joins tokens of the tokenizer ``split`` back into text: nothing between characters, else a space."""
    return "" if split == "character" else " "


@keras.saving.register_keras_serializable(package="textrnn")
class BitsPerToken(keras.metrics.Mean):
    """Mean cross-entropy of next-token ``probabilities`` in bits (nats / ln 2): bits per character
    for a character model."""

    def __init__(self, name: str = "bits_per_token", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(keras.losses.sparse_categorical_crossentropy(y_true, y_pred), sample_weight)

    def result(self) -> Any:
        return super().result() / math.log(2.0)


@keras.saving.register_keras_serializable(package="textrnn")
class Perplexity(BitsPerToken):
    """``exp`` of the mean cross-entropy in nats: the number of equally likely tokens the model is
    as unsure as."""

    def __init__(self, name: str = "perplexity", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def result(self) -> Any:
        return keras.ops.exp(super().result() * math.log(2.0))


class Generator(tf.Module):
    """Text from a trained language model, sampled one token at a time inside the TensorFlow graph.

    Args:
        model: a language model as :func:`textrnn.models.build_language_model` builds (its layers
            ``embedding``, the recurrent layers and ``head``; dropout is inactive here).
        tokenizer: the layer that made the training ids from text, returning ragged ids.
        vocabulary: the tokens, id = position.
        split: the tokenizer's ``split`` (``character``, ``whitespace`` or ``wordpiece``): how the
            generated tokens are joined into text.

    Call arguments of :attr:`generate` (a ``tf.function``, all scalars):
        prompt: the text to continue (at least one token).
        length: how many tokens to generate.
        temperature: the logits are divided by it before sampling; ``0`` takes the most probable
            token every time (greedy).
        top_k: sample among the ``top_k`` most probable tokens only (``0``: all).
        seed: the same seed, prompt and settings give the same text.

    It returns ``{"text": string, "token_ids": int32[length]}``: the continuation, without the
    prompt. Padding and [UNK] are never generated.

    Example:

    >>> generator = Generator(model, tokenizer, vocabulary, split="character")
    >>> generator.generate(tf.constant("ROMEO:"), 100, 0.8, 0, tf.constant(1, tf.int64))["text"]
    """

    SIGNATURE = (
        tf.TensorSpec([], tf.string, name="prompt"),
        tf.TensorSpec([], tf.int32, name="length"),
        tf.TensorSpec([], tf.float32, name="temperature"),
        tf.TensorSpec([], tf.int32, name="top_k"),
        tf.TensorSpec([], tf.int64, name="seed"),
    )

    def __init__(
        self, model: keras.Model, tokenizer: keras.layers.Layer, vocabulary: Sequence[str], *, split: str
    ) -> None:
        super().__init__(name="generator")
        self.model, self.tokenizer = model, tokenizer
        self.embedding, self.head = model.get_layer("embedding"), model.get_layer("head")
        self.cells = [layer.cell for layer in model.layers if isinstance(layer, keras.layers.RNN)]
        if not self.cells:
            raise ValueError(f"model {model.name!r} has no recurrent layer to step")
        self.vocabulary = list(vocabulary)
        self.separator = separator(split)
        self.pieces = split == "wordpiece"
        self.generate = tf.function(self._generate, input_signature=self.SIGNATURE)

    def next_token_probabilities(self, token: tf.Tensor, states: list[list[tf.Tensor]]) -> tuple[Any, list[Any]]:
        """One step: the distribution of the token after ``token`` (``int32[1]``), and the new states."""
        x = self.embedding(token)
        new_states = []
        for cell, state in zip(self.cells, states, strict=True):
            x, state = cell(x, state, training=False)
            new_states.append(list(state))
        return self.head(x), new_states

    def _generate(
        self, prompt: tf.Tensor, length: tf.Tensor, temperature: tf.Tensor, top_k: tf.Tensor, seed: tf.Tensor
    ) -> dict[str, tf.Tensor]:
        ids = tf.cast(tf.reshape(self.tokenizer(tf.reshape(prompt, [1])).flat_values, [-1]), tf.int32)
        tf.debugging.assert_positive(tf.size(ids), message="the prompt has no tokens; give it some text")
        tf.debugging.assert_non_negative(length, message="length must be ≥ 0")
        states = [[tf.cast(s, self.embedding.compute_dtype) for s in cell.get_initial_state(1)] for cell in self.cells]
        probabilities = tf.zeros([1, len(self.vocabulary)], tf.float32)
        for t in tf.range(tf.size(ids)):
            probabilities, states = self.next_token_probabilities(tf.reshape(ids[t], [1]), states)
        generated = tf.TensorArray(tf.int32, size=length)
        for step in tf.range(length):
            token = self._sample(probabilities, temperature, top_k, tf.stack([seed, tf.cast(step, tf.int64)]))
            generated = generated.write(step, token[0])
            probabilities, states = self.next_token_probabilities(token, states)
        token_ids = generated.stack()
        text = tf.strings.reduce_join(tf.gather(tf.constant(self.vocabulary), token_ids), separator=self.separator)
        if self.pieces:  # WordPiece: "un ##forget ##table" is one word
            text = tf.strings.regex_replace(text, " ##", "")
        return {"text": text, "token_ids": token_ids}

    def _sample(self, probabilities: tf.Tensor, temperature: tf.Tensor, top_k: tf.Tensor, seed: tf.Tensor) -> Any:
        logits = tf.math.log(tf.cast(probabilities, tf.float32))
        allowed = tf.range(tf.shape(logits)[-1]) >= PADDING_AND_UNKNOWN
        logits = tf.where(allowed, logits, -np.inf)
        k = tf.minimum(top_k, tf.shape(logits)[-1])
        if k > 0:
            kth = tf.math.top_k(logits, k).values[:, -1:]
            logits = tf.where(logits < kth, -np.inf, logits)
        greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
        sampled = tf.random.stateless_categorical(logits / tf.maximum(temperature, 1e-30), 1, seed, dtype=tf.int32)
        return tf.where(temperature > 0.0, sampled[:, 0], greedy)


class Contexts(Sequence[str]):
    """The text before each prediction over a batch of windows, for reports such as
    :func:`textrnn.evaluation.confident_mistakes`.

    Prediction ``i`` is position ``i % window`` of window ``i // window``; its context is at most
    ``characters`` characters of the window's tokens up to and including that position.
    """

    def __init__(self, windows: np.ndarray, vocabulary: Sequence[str], *, split: str, characters: int = 60) -> None:
        self.windows, self.vocabulary, self.characters = windows, vocabulary, characters
        self.separator = separator(split)

    def __len__(self) -> int:
        return self.windows.size

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row, position = divmod(int(index), self.windows.shape[1])
        tokens = [self.vocabulary[i] for i in self.windows[row, : position + 1]]
        return self.separator.join(tokens)[-self.characters :]
