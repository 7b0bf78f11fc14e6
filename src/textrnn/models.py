"""Text classifiers (embedding → recurrent layers → softmax head), language models and taggers (the
same, with the head at every step) and the baselines: a bag of words, the most frequent tag per word."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from textrnn import choices, layers
from textrnn import pooling as pooling_layers

FAMILIES: dict[str, type[layers.RecurrentLayer]] = dict(
    zip(
        choices.FAMILIES,
        (layers.SimpleRNN, layers.LSTM, layers.GRU, layers.PeepholeLSTM, layers.LayerNormLSTM),
        strict=True,
    )
)
# Keras's own layers of the families whose weights ours share (textrnn.convert): on a GPU they run cuDNN's
# fused kernel when their settings allow it (tanh / sigmoid, no recurrent dropout, right-padded masks)
FUSED: dict[str, type[keras.layers.RNN]] = dict(
    zip(choices.FUSED_FAMILIES, (keras.layers.LSTM, keras.layers.GRU), strict=True)
)


def resolve_kernel(kernel: str, family: str, recurrent_dropout: float) -> str:
    """``kernel``, with ``"auto"`` decided: Keras's fused layers (``"fused"``) on a GPU where they can
    run — the families of :data:`FUSED`, without recurrent dropout — else our cells (``"cells"``)."""
    if kernel != "auto":
        return kernel
    fusable = family in FUSED and not recurrent_dropout
    return "fused" if fusable and tf.config.list_physical_devices("GPU") else "cells"


def build_classifier(
    *,
    vocab_size: int,
    num_classes: int,
    family: str = "lstm",
    embedding_dim: int = 64,
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    embedding_dropout: float = 0.0,
    pooling: str = "last",
    kernel: str = "cells",
    seed: int | None = None,
    embedding_weights: np.ndarray | None = None,
    train_embedding: bool = True,
) -> keras.Model:
    """Token ids ``[batch, time]`` (0 = padding, masked) to class probabilities ``[batch, classes]``.

    ``dropout`` is the recurrent layers' (variational) input dropout and the dropout before the
    head; ``recurrent_dropout`` drops the hidden state, one mask per sequence;
    ``embedding_dropout`` drops whole words (their every embedding dimension) while training.
    ``pooling`` turns the last recurrent layer's states into one vector: ``last`` state (per
    direction), or the ``mean``, ``max`` or ``attention``-weighted mean of every unmasked step.
    ``kernel="fused"`` builds Keras's ``LSTM`` / ``GRU`` in place of our layers — the same weights
    in the same layout, run by cuDNN's fused kernel on a GPU — for those two families without
    recurrent dropout; :func:`textrnn.convert.from_keras` turns the trained model into our layers.
    ``embedding_weights`` (``[vocab_size, embedding_dim]``, e.g. :func:`textrnn.vectors.embedding_matrix`)
    start the embedding; ``train_embedding=False`` keeps it as it starts.
    """
    if pooling not in choices.POOLINGS:
        raise ValueError(f"pooling must be one of {list(choices.POOLINGS)}, got {pooling!r}")
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = _recurrent_stack(
        tokens,
        vocab_size=vocab_size,
        masked=True,
        family=family,
        embedding_dim=embedding_dim,
        units=units,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        embedding_dropout=embedding_dropout,
        last_sequences=pooling != "last",
        kernel=kernel,
        seed=seed,
        embedding_weights=embedding_weights,
        train_embedding=train_embedding,
    )
    if pooling in ("mean", "max"):
        x = pooling_layers.MaskedGlobalPooling1D(pooling, name=f"{pooling}_pooling")(x)
    elif pooling == "attention":
        x = pooling_layers.AttentionPooling1D(x.shape[-1], name="attention_pooling")(x)
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(x)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="head")(x)
    return keras.Model(tokens, probabilities, name=f"{family}_classifier")


def build_language_model(
    *,
    vocab_size: int,
    family: str = "lstm",
    embedding_dim: int = 64,
    units: int = 64,
    num_layers: int = 1,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    embedding_dropout: float = 0.0,
    kernel: str = "cells",
    seed: int | None = None,
    embedding_weights: np.ndarray | None = None,
    train_embedding: bool = True,
) -> keras.Model:
    """Token ids ``[batch, time]`` to next-token probabilities ``[batch, time, vocab_size]``.

    At every step ``t`` the last recurrent layer's output ``h_t`` goes through the output
    projection ``y_t = W_hy h_t + b_y`` (the ``head``, shared by all steps) and a softmax over the
    vocabulary: position ``t``'s row is the model's distribution of token ``t + 1``. The
    windows it reads have no padding, so nothing is masked. The arguments are
    :func:`build_classifier`'s (``dropout`` also before the head); a language model reads forwards only.
    """
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = _recurrent_stack(
        tokens,
        vocab_size=vocab_size,
        masked=False,
        family=family,
        embedding_dim=embedding_dim,
        units=units,
        num_layers=num_layers,
        bidirectional=False,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        embedding_dropout=embedding_dropout,
        last_sequences=True,
        kernel=kernel,
        seed=seed,
        embedding_weights=embedding_weights,
        train_embedding=train_embedding,
    )
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(x)
    probabilities = keras.layers.Dense(vocab_size, activation="softmax", dtype="float32", name="head")(x)
    return keras.Model(tokens, probabilities, name=f"{family}_language_model")


def build_tagger(
    *,
    vocab_size: int,
    num_tags: int,
    family: str = "lstm",
    embedding_dim: int = 64,
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = True,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    embedding_dropout: float = 0.0,
    kernel: str = "cells",
    seed: int | None = None,
    embedding_weights: np.ndarray | None = None,
    train_embedding: bool = True,
) -> keras.Model:
    """Token ids ``[batch, time]`` (0 = padding, masked) to tag probabilities ``[batch, time, num_tags]``.

    Every step's output of the last recurrent layer — both directions' states, concatenated, where
    ``bidirectional`` — goes through one softmax head shared by all steps: token ``t``'s tag is read
    from the whole sentence. The output carries the padding mask, which Keras applies to the loss
    and the metrics, so padding neither trains nor scores. The arguments are :func:`build_classifier`'s.
    """
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = _recurrent_stack(
        tokens,
        vocab_size=vocab_size,
        masked=True,
        family=family,
        embedding_dim=embedding_dim,
        units=units,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        embedding_dropout=embedding_dropout,
        last_sequences=True,
        kernel=kernel,
        seed=seed,
        embedding_weights=embedding_weights,
        train_embedding=train_embedding,
    )
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(x)
    probabilities = keras.layers.Dense(num_tags, activation="softmax", dtype="float32", name="head")(x)
    return keras.Model(tokens, probabilities, name=f"{family}_tagger")


def build_tag_lookup(table: np.ndarray) -> keras.Model:
    """Token ids ``[batch, time]`` to the rows of ``table`` (``[vocab_size, num_tags]``, fixed):
    the most-frequent-tag baseline, when each row is one-hot on the tag its token has most often."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    lookup = keras.layers.Embedding(*table.shape, mask_zero=True, trainable=False, name="tag_table")
    probabilities = lookup(tokens)
    lookup.set_weights([table])
    return keras.Model(tokens, probabilities, name="most_frequent_tag")


def _recurrent_stack(
    tokens: keras.KerasTensor,
    *,
    vocab_size: int,
    masked: bool,
    family: str,
    embedding_dim: int,
    units: int,
    num_layers: int,
    bidirectional: bool,
    dropout: float,
    recurrent_dropout: float,
    embedding_dropout: float,
    last_sequences: bool,
    kernel: str,
    seed: int | None,
    embedding_weights: np.ndarray | None,
    train_embedding: bool,
) -> keras.KerasTensor:
    """Embedding (id 0 masked if ``masked``; started from ``embedding_weights`` if given, trained if
    ``train_embedding``) → ``num_layers`` recurrent layers; the last returns every step's output if
    ``last_sequences``, else its final state."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, got {family!r}")
    if kernel not in choices.KERNELS:
        raise ValueError(f"kernel must be one of {list(choices.KERNELS)}, got {kernel!r}")
    if kernel == "fused" and family not in FUSED:
        raise ValueError(f"kernel='fused' needs family lstm or gru (Keras's cuDNN layers), got {family!r}")
    if kernel == "fused" and recurrent_dropout:
        raise ValueError(f"kernel='fused' needs recurrent_dropout=0 (cuDNN has none), got {recurrent_dropout!r}")
    for name, value in (("embedding_dim", embedding_dim), ("units", units), ("num_layers", num_layers)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, value in (
        ("dropout", dropout),
        ("recurrent_dropout", recurrent_dropout),
        ("embedding_dropout", embedding_dropout),
    ):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    if embedding_weights is not None and embedding_weights.shape != (vocab_size, embedding_dim):
        raise ValueError(
            f"embedding_weights must be [vocab_size, embedding_dim] = [{vocab_size}, {embedding_dim}], got "
            f"{list(embedding_weights.shape)}"
        )
    embedding = keras.layers.Embedding(
        vocab_size, embedding_dim, mask_zero=masked, trainable=train_embedding, name="embedding"
    )
    x = embedding(tokens)
    if embedding_weights is not None:
        embedding.set_weights([embedding_weights])
    if embedding_dropout:
        x = keras.layers.Dropout(embedding_dropout, noise_shape=(None, None, 1), seed=seed, name="word_dropout")(x)
    layer_class = FUSED[family] if kernel == "fused" else FAMILIES[family]
    for index in range(num_layers):
        recurrent = layer_class(
            units,
            return_sequences=index < num_layers - 1 or last_sequences,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=None if seed is None else seed + index,
            name=f"{family}_{index}",
        )
        x = keras.layers.Bidirectional(recurrent, name=f"bidirectional_{index}")(x) if bidirectional else recurrent(x)
    return x


def build_bow_baseline(*, vocab_size: int, num_classes: int) -> keras.Model:
    """Logistic regression on which tokens occur (multi-hot): the order-blind baseline."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    bag = keras.layers.CategoryEncoding(num_tokens=vocab_size, output_mode="multi_hot", name="bag")(tokens)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="head")(bag)
    return keras.Model(tokens, probabilities, name="bag_of_words")


def load(path: str | Path) -> keras.Model:
    """A model saved with ``model.save(path)`` (``.keras``), for inference (not compiled); textrnn's
    layers are registered here."""
    return keras.saving.load_model(path, compile=False)
