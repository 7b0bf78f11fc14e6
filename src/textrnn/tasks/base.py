"""The interface every task implements, and what scoring a model on the test split yields."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from textrnn import tokenized

ANALYSIS_TEXTS = 2000  # the gradient by lag reads every test example up to this many, else a seeded sample
GATE_VIEWS = 3  # the first test examples whose gates are drawn


@dataclass
class Scored:
    """A model's predictions on the test split, as the evaluation report reads them: one row per
    prediction (a text, or one step of a language model's windows).

    Attributes:
        labels: the right class of each prediction.
        probabilities: ``[predictions, classes]``.
        lengths: the tokens each prediction read.
        texts: what each prediction read, for the confident mistakes.
        label_names: the classes' names.
        token_batches: token batches for the gradient by lag.
        gate_views: token ids and title of each gate view.
        metrics: what the task adds to the common metrics (a classifier's paired comparison with
            the bag of words; a language model's bits per token and perplexity).
    """

    labels: np.ndarray
    probabilities: np.ndarray
    lengths: np.ndarray
    texts: Sequence[str]
    label_names: list[str]
    token_batches: Iterable[np.ndarray]
    gate_views: list[tuple[list[int], str]]
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Exported:
    """What an export wrote: a line for the log and, for a SavedModel that scores texts, the label
    names its outputs carry (None for one that generates)."""

    summary: str
    label_names: list[str] | None


class Task(abc.ABC):
    """One kind of model. Subclasses are dataclasses whose fields are the task's settings.

    Class attributes:
        name: the task's name, as ``make`` takes it.
        reads: what it learns from, one of :data:`textrnn.choices.DATA_KINDS`: labelled texts, plain
            text (one stream, no labels) or tagged tokens (a label per token).
        cuts_texts: whether its texts are cut at the tokenizer's ``max_length`` (a classifier's);
            else they are read whole.
        fixed_architecture: model arguments the task allows one value of (e.g. a language model
            reads forwards only), by name.
        fixed_tokenizer: tokenizer arguments the task allows some values of only (a tagger needs one
            id per token), by name.
    """

    name: ClassVar[str]
    reads: ClassVar[str]
    cuts_texts: ClassVar[bool]
    fixed_architecture: ClassVar[dict[str, Any]] = {}
    fixed_tokenizer: ClassVar[dict[str, tuple[Any, ...]]] = {}

    @abc.abstractmethod
    def batches(
        self, directory: str | Path, *, batch_size: int, shuffle: tokenized.EpochShuffle, length_buckets: int
    ) -> tuple[tf.data.Dataset, tf.data.Dataset]:
        """Train batches (shuffled by ``shuffle`` every epoch) and validation batches of the tokenized
        data in ``directory``."""

    @abc.abstractmethod
    def build_model(
        self, *, vocab_size: int, label_names: Sequence[str], seed: int, **architecture: Any
    ) -> keras.Model:
        """The model, not compiled; ``architecture`` is :func:`textrnn.models.build_classifier`'s arguments."""

    def metrics(self) -> list[keras.metrics.Metric]:
        """Metrics to compile in beside loss and accuracy."""
        return []

    def callbacks(self, model: keras.Model, directory: str | Path) -> list[keras.callbacks.Callback]:
        """Callbacks for the training of ``model`` on the tokenized data in ``directory``, beside the trainer's."""
        return []

    @abc.abstractmethod
    def score(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, baseline: str | Path, batch_size: int
    ) -> Scored:
        """``model``'s predictions on the test split of the tokenized data in ``directory`` (texts as
        ingested in ``ingested``; the baselines' models in ``baseline``)."""

    @abc.abstractmethod
    def baselines(
        self, directory: str | Path, *, seed: int, epochs: int, batch_size: int, learning_rate: float
    ) -> tuple[dict[str, float], keras.Model | None]:
        """The order-blind baselines' test metrics, and the model that :meth:`score` compares with
        text by text (None where there is none); ``seed`` … ``learning_rate`` train it."""

    @abc.abstractmethod
    def export(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, saved_model: str | Path
    ) -> Exported:
        """Write ``saved_model``, a SavedModel of ``model`` and the tokenizer of ``directory`` that
        serves without textrnn, once it is checked against ``model``."""


def analysis_batches(examples: tf.data.Dataset, count: int, batch_size: int) -> Iterator[np.ndarray]:
    """The token batches the gradient by lag reads: all ``count`` examples, or where there are more than
    :data:`ANALYSIS_TEXTS`, a seeded sample of that many (IMDB's test split is 25,000 reviews, sorted by label)."""
    if count > ANALYSIS_TEXTS:
        examples = examples.shuffle(count, seed=0).take(ANALYSIS_TEXTS)
    return (tokens for tokens, _ in tokenized.batches(examples, batch_size).as_numpy_iterator())


def bucketed_batches(
    directory: str | Path, *, batch_size: int, shuffle: tokenized.EpochShuffle, length_buckets: int
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Train batches (shuffled by ``shuffle``) and validation batches of the rows of ``directory``,
    each drawn from rows of similar length: ``length_buckets`` quantile ranges of the train split's lengths."""
    boundaries = tokenized.length_boundaries(tokenized.lengths(directory, "train"), length_buckets)
    return (
        tokenized.batches(
            tokenized.split(directory, "train"), batch_size, shuffle=shuffle, bucket_boundaries=boundaries
        ),
        tokenized.batches(tokenized.split(directory, "validation"), batch_size, bucket_boundaries=boundaries),
    )
