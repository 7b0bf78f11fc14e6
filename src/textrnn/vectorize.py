"""Text to token ids with Keras ``TextVectorization``, adapted on the train split only."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

OOV_ID = 1  # TextVectorization: 0 is padding, 1 is the out-of-vocabulary token


@dataclass(frozen=True)
class TokenizerSpec:
    """How text becomes ids. ``split`` is ``whitespace`` (words) or ``character``."""

    split: str = "whitespace"
    standardize: str | None = "lower_and_strip_punctuation"
    max_tokens: int | None = 20000
    max_length: int = 128

    def __post_init__(self) -> None:
        if self.split not in ("whitespace", "character"):
            raise ValueError(f"split must be 'whitespace' or 'character', got {self.split!r}")
        if self.max_length <= 0:
            raise ValueError(f"max_length must be a positive integer, got {self.max_length}")
        if self.max_tokens is not None and self.max_tokens < 3:
            raise ValueError(f"max_tokens must be None or at least 3 (padding, [UNK], a word), got {self.max_tokens}")

    def layer(self, vocabulary: list[str] | None = None, *, ragged: bool = True) -> keras.layers.TextVectorization:
        """A ``TextVectorization``: ragged for encoding datasets, padded to ``max_length`` for serving."""
        return keras.layers.TextVectorization(
            max_tokens=self.max_tokens,
            standardize=self.standardize,
            split=self.split,
            output_mode="int",
            output_sequence_length=None if ragged else self.max_length,
            ragged=ragged,
            vocabulary=vocabulary,
        )


def adapt(spec: TokenizerSpec, texts: tf.data.Dataset) -> keras.layers.TextVectorization:
    """Learn the vocabulary from ``texts`` (a dataset of strings: the train split only)."""
    layer = spec.layer()
    layer.adapt(texts.batch(4096))
    return layer


def encode(layer: keras.layers.TextVectorization, dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``{"text", "label"}`` rows to ``{"tokens", "label"}`` rows of variable length (not truncated)."""

    def vectorize(batch: dict[str, tf.Tensor]) -> dict[str, Any]:
        return {"tokens": tf.cast(layer(batch["text"]), tf.int32), "label": batch["label"]}

    return dataset.batch(1024).map(vectorize).unbatch()


def truncate(dataset: tf.data.Dataset, max_length: int) -> tf.data.Dataset:
    return dataset.map(lambda row: {"tokens": row["tokens"][:max_length], "label": row["label"]})


def save_encoded(dataset: tf.data.Dataset, directory: Path) -> None:
    """``{"tokens", "label"}`` rows as three ``.npy`` files: the ids end to end, each row's length, the labels.

    Same data, same bytes — unlike ``tf.data.Dataset.save``, whose files carry a random run id —
    so DVC sees an unchanged split as unchanged and a fresh clone's ``dvc repro`` matches ``dvc.lock``.
    """
    rows = list(dataset.as_numpy_iterator())
    directory.mkdir(parents=True)
    token_ids = [row["tokens"] for row in rows]
    np.save(directory / "token_ids.npy", np.concatenate(token_ids) if rows else np.zeros(0, np.int32))
    np.save(directory / "row_lengths.npy", np.array([len(ids) for ids in token_ids], dtype=np.int64))
    np.save(directory / "labels.npy", np.array([row["label"] for row in rows], dtype=np.int64))


def load_encoded(directory: Path) -> tf.data.Dataset:
    """What :func:`save_encoded` wrote, as ``{"tokens": int32 [None], "label": int64}`` rows."""
    tokens = tf.RaggedTensor.from_row_lengths(
        np.load(directory / "token_ids.npy"), np.load(directory / "row_lengths.npy")
    )
    rows = tf.data.Dataset.from_tensor_slices({"tokens": tokens, "label": np.load(directory / "labels.npy")})
    # A ragged tensor's rows come out with a (ragged-rank 0) RaggedTensorSpec; passing them through a
    # map makes them the plain tensors that padded_batch and the models expect.
    return rows.map(lambda row: {"tokens": row["tokens"], "label": row["label"]})


def statistics(lengths: np.ndarray, oov_count: int, max_length: int) -> dict[str, float]:
    """Sequence-length statistics (in tokens, before truncation) and the OOV rate of one split."""
    total = int(lengths.sum())
    return {
        "examples": len(lengths),
        "length_mean": float(lengths.mean()) if len(lengths) else 0.0,
        "length_p50": float(np.percentile(lengths, 50)) if len(lengths) else 0.0,
        "length_p95": float(np.percentile(lengths, 95)) if len(lengths) else 0.0,
        "length_max": int(lengths.max()) if len(lengths) else 0,
        "truncated_fraction": float((lengths > max_length).mean()) if len(lengths) else 0.0,
        "oov_rate": oov_count / total if total else 0.0,
    }


def split_statistics(encoded: tf.data.Dataset, max_length: int) -> dict[str, float]:
    lengths, oov = [], 0
    for row in encoded.ragged_batch(4096):
        tokens = row["tokens"]
        lengths.append(tokens.row_lengths().numpy())
        oov += int(tf.reduce_sum(tf.cast(tokens.flat_values == OOV_ID, tf.int64)))
    return statistics(np.concatenate(lengths) if lengths else np.zeros(0, int), oov, max_length)


def save(layer: keras.layers.TextVectorization, spec: TokenizerSpec, directory: Path) -> None:
    """Write ``vocabulary.txt`` (one token a line, index = id) and ``tokenizer.json`` (the spec)."""
    vocabulary = layer.get_vocabulary()
    (directory / "vocabulary.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    (directory / "tokenizer.json").write_text(json.dumps(asdict(spec), indent=2) + "\n")


def load(directory: str | Path, *, ragged: bool = True) -> keras.layers.TextVectorization:
    """The vectorizer saved by :func:`save`; ``ragged=False`` pads and truncates to ``max_length``."""
    directory = Path(directory)
    spec = TokenizerSpec(**json.loads((directory / "tokenizer.json").read_text()))
    vocabulary = (directory / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
    # get_vocabulary() starts with the padding "" and "[UNK]"; the constructor wants them left out
    return spec.layer(vocabulary[2:], ragged=ragged)
