"""Reading the tokenize stage's outputs, for the stages after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from textrnn import vectorize


def meta(tokenized: str | Path) -> dict[str, Any]:
    """``label_names`` and ``vocab_size``."""
    return json.loads((Path(tokenized) / "meta.json").read_text())


def split(tokenized: str | Path, name: str) -> tf.data.Dataset:
    """``{"tokens", "label"}`` rows of the split ``name``."""
    return vectorize.load_encoded(Path(tokenized) / name)


def lengths(tokenized: str | Path, name: str) -> np.ndarray:
    """The length in tokens of each row of the split ``name``."""
    return np.load(Path(tokenized) / name / "row_lengths.npy")


def labels(dataset: tf.data.Dataset) -> np.ndarray:
    return np.fromiter((row["label"] for row in dataset.as_numpy_iterator()), dtype=np.int64)
