"""Labelled splits as a TFDS dataset on disk (TFDS's ad-hoc builder), and back as ``tf.data``."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import tensorflow as tf
import tensorflow_datasets as tfds

from textrnn.atomic import replace_directory
from textrnn.data.sources import Corpus, Splits
from textrnn.data.tagged import TaggedSplits

VERSION = "1.0.0"


def save_splits(splits: Splits | Corpus | TaggedSplits, directory: str | Path, *, name: str, description: str) -> None:
    """Write ``splits`` as the TFDS dataset ``name`` into ``directory``, replacing it atomically.

    The directory then holds ``dataset_info.json`` and one TFRecord file per split, with the
    feature ``text`` (``tfds.features.Text``) and, for labelled texts, ``label``
    (``tfds.features.ClassLabel``), for tagged sentences ``tags`` (a ``Sequence`` of them, one per
    token of the text); a :class:`~textrnn.data.sources.Corpus` has no labels.
    """
    features: dict[str, tfds.features.FeatureConnector] = {"text": tfds.features.Text()}
    if isinstance(splits, TaggedSplits):
        features["tags"] = tfds.features.Sequence(tfds.features.ClassLabel(names=list(splits.label_names)))
    elif splits.label_names:
        features["label"] = tfds.features.ClassLabel(names=list(splits.label_names))
    split_examples = {split: list(enumerate(rows)) for split, rows in splits.rows()}
    with (
        replace_directory(directory) as target,
        tempfile.TemporaryDirectory() as data_dir,
        # TFDS prints "Downloading and preparing dataset …" to stdout, though nothing is downloaded here
        contextlib.redirect_stdout(io.StringIO()),
    ):
        tfds.dataset_builders.store_as_tfds_dataset(
            name=name,
            version=VERSION,
            features=tfds.features.FeaturesDict(features),
            split_datasets=split_examples,
            data_dir=data_dir,
            description=description,
            disable_shuffling=True,
        )
        for item in (Path(data_dir) / name / VERSION).iterdir():
            item.rename(target / item.name)
        for shard in target.glob("*.tfrecord-*"):
            _serialize_deterministically(shard)


def _serialize_deterministically(shard: Path) -> None:
    """Rewrite a TFRecord shard with map entries in sorted order, so the same data gives the same bytes.

    TFDS serializes ``tf.train.Example`` maps in a per-process order; without this, DVC would see a
    changed dataset on every ingest and rerun everything after it.
    """
    records = [
        tf.train.Example.FromString(record.numpy()).SerializeToString(deterministic=True)
        for record in tf.data.TFRecordDataset(str(shard))
    ]
    with tf.io.TFRecordWriter(str(shard)) as writer:
        for record in records:
            writer.write(record)


def builder(directory: str | Path) -> tfds.core.DatasetBuilder:
    return tfds.builder_from_directory(str(directory))


def load_split(directory: str | Path, split: str) -> tf.data.Dataset:
    """The ``split`` of the dataset in ``directory`` as ``{"text": tf.string, "label": tf.int64}`` rows
    (a corpus's without ``label``; tagged sentences' with ``tags``, ``int64[tokens]``, in its place)."""
    return builder(directory).as_dataset(split=split, shuffle_files=False)


def label_names(directory: str | Path) -> list[str]:
    """The classes (tags) of the dataset in ``directory``; none for a corpus."""
    features = builder(directory).info.features
    if "tags" in features:
        return list(features["tags"].feature.names)
    return list(features["label"].names) if "label" in features else []


def texts(directory: str | Path, split: str, limit: int | None = None) -> list[str]:
    """The texts of ``split`` (the first ``limit`` of them, if given), in order."""
    rows = load_split(directory, split)
    return [row["text"].decode() for row in (rows if limit is None else rows.take(limit)).as_numpy_iterator()]


def tagged(directory: str | Path) -> bool:
    """Whether the dataset in ``directory`` holds tagged sentences (``tags`` per token)."""
    return "tags" in builder(directory).info.features
