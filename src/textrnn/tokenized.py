"""The tokenize stage's output directory (``data/tokenized``): written, read and batched here only.

What it holds, one writer and one reader each:

- ``vocabulary.txt`` (one token a line, id = line number) and ``tokenizer.json`` (the tokenizer's
  settings): :func:`write_tokenizer`, :func:`vocabulary`, :func:`tokenizer_settings`;
- ``meta.json`` (label names, vocabulary size): :func:`write_meta`, :func:`meta`;
- ``statistics.json`` (lengths and OOV rate per split): :func:`write_statistics`;
- per split, ``token_ids.npy`` (the ids end to end), ``row_lengths.npy`` and, for labelled texts,
  ``labels.npy`` (for tagged sentences, their tags end to end, one per token):
  :func:`write_split`, :func:`split`, :func:`token_ids`, :func:`lengths`, :func:`labels`.

The stages after ``tokenize`` read token ids, not text: this module does not import the tokenizer
(``textrnn.vectorize``), so an edit of the tokenizer reruns ``tokenize``, ``export`` and ``train``
(which tokenizes a language model's sample prompt) only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn.atomic import write_json


@dataclass(frozen=True)
class Meta:
    """What a model needs to know of the data: the label names (index = label id), the vocabulary size
    and whether the labels are per token."""

    label_names: list[str]
    vocab_size: int
    tagged: bool = False  # labels per token (tagged sentences), not per text


def write_tokenizer(directory: Path, vocabulary: Sequence[str], settings: Mapping[str, Any]) -> None:
    """``vocabulary.txt`` (the whole vocabulary, padding and [UNK] first) and ``tokenizer.json``.

    One token a line, a backslash, newline or carriage return in a token written ``\\\\``, ``\\n``,
    ``\\r`` (a character tokenizer's vocabulary holds the newline)."""
    lines = "".join(f"{_escape(token)}\n" for token in vocabulary)
    (directory / "vocabulary.txt").write_text(lines, encoding="utf-8")
    (directory / "tokenizer.json").write_text(json.dumps(dict(settings), indent=2) + "\n")


def vocabulary(directory: str | Path) -> list[str]:
    """The tokens, id = position, as :func:`write_tokenizer` wrote them."""
    lines = (Path(directory) / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return [_unescape(line) for line in lines]


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _escape(token: str) -> str:
    return "".join(_ESCAPES.get(character, character) for character in token)


def _unescape(line: str) -> str:
    return re.sub(r"\\(.)", lambda found: {"n": "\n", "r": "\r"}.get(found[1], found[1]), line)


def tokenizer_settings(directory: str | Path) -> dict[str, Any]:
    """The tokenizer's settings, as :func:`write_tokenizer` wrote them (``TokenizerSpec``'s fields)."""
    return json.loads((Path(directory) / "tokenizer.json").read_text())


def write_meta(directory: Path, meta: Meta) -> None:
    write_json(
        directory / "meta.json",
        {"label_names": meta.label_names, "vocab_size": meta.vocab_size, **({"tagged": True} if meta.tagged else {})},
    )


def meta(directory: str | Path) -> Meta:
    return Meta(**json.loads((Path(directory) / "meta.json").read_text()))


def tagged(directory: str | Path) -> bool:
    """Whether the rows are tagged sentences: a label per token, not per text."""
    return meta(directory).tagged


def write_statistics(directory: Path, statistics: Mapping[str, Mapping[str, float]]) -> None:
    """``statistics.json``: per split, length statistics and OOV rate (for people; no stage reads it)."""
    write_json(directory / "statistics.json", statistics)


def write_split(directory: Path, name: str, rows: tf.data.Dataset) -> None:
    """``{"tokens", "label"}`` rows as three ``.npy`` files in ``directory/name`` (a corpus's
    ``{"tokens"}`` rows as two: it has no labels; tagged sentences' ``{"tokens", "tags"}`` with the
    tags end to end in ``labels.npy``, one per token).

    Same data, same bytes — unlike ``tf.data.Dataset.save``, whose files carry a random run id —
    so DVC sees an unchanged split as unchanged and a fresh clone's ``dvc repro`` matches ``dvc.lock``.
    """
    listed = list(rows.as_numpy_iterator())
    (directory / name).mkdir(parents=True)
    token_ids = [row["tokens"] for row in listed]
    np.save(directory / name / "token_ids.npy", np.concatenate(token_ids) if listed else np.zeros(0, np.int32))
    np.save(directory / name / "row_lengths.npy", np.array([len(ids) for ids in token_ids], dtype=np.int64))
    if "label" in rows.element_spec:
        np.save(directory / name / "labels.npy", np.array([row["label"] for row in listed], dtype=np.int64))
    if "tags" in rows.element_spec:
        if any(len(row["tags"]) != len(row["tokens"]) for row in listed):
            raise ValueError(f"rows of split {name!r} have tags for other than their every token")
        tags = [row["tags"].astype(np.int64) for row in listed]
        np.save(directory / name / "labels.npy", np.concatenate(tags) if listed else np.zeros(0, np.int64))


def split(directory: str | Path, name: str) -> tf.data.Dataset:
    """The split ``name`` as ``{"tokens": int32 [None], "label": int64}`` rows; a tagged sentence's
    ``label`` is its tags, ``int64 [None]``, one per token."""
    row_lengths = lengths(directory, name)
    tokens = tf.RaggedTensor.from_row_lengths(token_ids(directory, name), row_lengths)
    label = labels(directory, name)
    if tagged(directory):
        label = tf.RaggedTensor.from_row_lengths(label, row_lengths)
    rows = tf.data.Dataset.from_tensor_slices({"tokens": tokens, "label": label})
    # A ragged tensor's rows come out with a (ragged-rank 0) RaggedTensorSpec; passing them through a
    # map makes them the plain tensors that padded_batch and the models expect.
    return rows.map(lambda row: {"tokens": row["tokens"], "label": row["label"]})


def token_ids(directory: str | Path, name: str) -> np.ndarray:
    """The token ids of the split ``name`` end to end: for plain text, the stream a language model reads."""
    return np.load(Path(directory) / name / "token_ids.npy")


def lengths(directory: str | Path, name: str) -> np.ndarray:
    """The length in tokens of each row of the split ``name``."""
    return np.load(Path(directory) / name / "row_lengths.npy")


def labels(directory: str | Path, name: str) -> np.ndarray:
    """The label id of each row of the split ``name`` (of labelled texts; a corpus has none), or of
    each token, end to end (of tagged sentences)."""
    return np.load(Path(directory) / name / "labels.npy")


class EpochShuffle(keras.callbacks.Callback):
    """Rows in a new order every epoch, the order a function of ``(seed, epoch)`` alone.

    ``Dataset.shuffle(reshuffle_each_iteration=True)`` draws each epoch's order from a generator
    that starts over in every process, so a run resumed at epoch 3 would see epoch 1's order again.
    Here each epoch's order is ``argsort(stateless_uniform(seed=[seed, epoch]))``, the epoch read
    from a variable that this callback sets as each epoch begins: give the same object to
    :func:`batches` and to ``fit``'s callbacks. It permutes the whole split, not a window of it.
    """

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="shuffle_epoch")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.assign(epoch)

    def __call__(self, pairs: tf.data.Dataset) -> tf.data.Dataset:
        tokens, labels = pairs.ragged_batch(2**31 - 1).get_single_element()  # the split, in memory
        count = tf.shape(labels, out_type=tf.int64)[0]

        def order(_: tf.Tensor) -> tf.data.Dataset:
            seed = tf.stack([tf.constant(self.seed, tf.int64), self.epoch.read_value()])
            return tf.data.Dataset.from_tensor_slices(tf.argsort(tf.random.stateless_uniform([count], seed)))

        indices = tf.data.Dataset.from_tensors(0).flat_map(order)
        return indices.map(lambda i: (tokens[i], labels[i])).apply(tf.data.experimental.assert_cardinality(count))


def length_boundaries(lengths: np.ndarray, buckets: int) -> list[int]:
    """Bucket boundaries for :func:`batches`: ``buckets`` length ranges holding about as many rows each.

    ``lengths`` are the train split's row lengths; the boundaries are their quantiles (a bucket
    holds lengths below its boundary), fewer than ``buckets - 1`` where quantiles coincide.
    """
    if not isinstance(buckets, int) or buckets < 1:
        raise ValueError(f"buckets must be a positive integer, got {buckets!r}")
    if len(lengths) == 0:
        return []
    quantiles = np.quantile(lengths, np.arange(1, buckets) / buckets, method="higher")
    return sorted({int(q) + 1 for q in quantiles if q < lengths.max()})


def batches(
    dataset: tf.data.Dataset,
    batch_size: int,
    *,
    shuffle: EpochShuffle | None = None,
    bucket_boundaries: Sequence[int] = (),
) -> tf.data.Dataset:
    """``{"tokens", "label"}`` rows to right-padded ``(tokens, label)`` batches (padding id 0); a label
    is a class id, or a language model's next-token ids.

    With ``shuffle`` the rows come in a new, seeded order every epoch (see :class:`EpochShuffle`).
    With ``bucket_boundaries`` (see :func:`length_boundaries`) each batch is drawn from rows of
    similar length (``Dataset.bucket_by_sequence_length``), so it is padded far less; the rows
    then no longer come out in their order.
    """
    pairs = dataset.map(lambda row: (row["tokens"], row["label"]))
    if bucket_boundaries:
        if list(bucket_boundaries) != sorted(set(bucket_boundaries)) or bucket_boundaries[0] < 1:
            raise ValueError(f"bucket_boundaries must be increasing positive lengths, got {list(bucket_boundaries)}")
        count = _bucketed_batches(pairs, bucket_boundaries, batch_size)  # the rows in order: no shuffle pass
    if shuffle is not None:
        pairs = shuffle(pairs)
    if bucket_boundaries:
        batched = pairs.bucket_by_sequence_length(
            lambda tokens, label: tf.shape(tokens)[0],
            list(bucket_boundaries),
            [batch_size] * (len(bucket_boundaries) + 1),
        )
        batched = batched.apply(tf.data.experimental.assert_cardinality(count))
    else:
        batched = pairs.padded_batch(batch_size)  # each component padded to the batch's longest
    return batched.prefetch(tf.data.AUTOTUNE)


def _bucketed_batches(pairs: tf.data.Dataset, boundaries: Sequence[int], batch_size: int) -> int:
    """How many batches ``bucket_by_sequence_length`` makes of ``pairs``: whatever their order, the same."""
    lengths = pairs.map(lambda tokens, label: tf.shape(tokens)[0]).batch(2**31 - 1).get_single_element().numpy()
    per_bucket = np.bincount(np.searchsorted(boundaries, lengths, side="right"), minlength=len(boundaries) + 1)
    return int(np.sum(-(-per_bucket // batch_size)))
