"""Text classification: one label per text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from textrnn import evaluation, models, tokenized, training, vectorize
from textrnn.data import store
from textrnn.export import export_saved_model
from textrnn.tasks.base import GATE_VIEWS, Exported, Scored, Task, analysis_batches, bucketed_batches

PARITY_TEXTS = 256  # test texts the export checks the SavedModel on


@dataclass(frozen=True)
class Classification(Task):
    """Label each text: embedding → recurrent layers → pooling over time → softmax over the classes
    (:func:`textrnn.models.build_classifier`), compared text by text with a bag of words.

    Example:

    >>> Classification().reads
    'labelled_texts'
    """

    name: ClassVar[str] = "classification"
    reads: ClassVar[str] = "labelled_texts"
    cuts_texts: ClassVar[bool] = True

    def batches(
        self, directory: str | Path, *, batch_size: int, shuffle: tokenized.EpochShuffle, length_buckets: int
    ) -> tuple[tf.data.Dataset, tf.data.Dataset]:
        """Texts bucketed by length (:func:`~textrnn.tasks.base.bucketed_batches`)."""
        return bucketed_batches(directory, batch_size=batch_size, shuffle=shuffle, length_buckets=length_buckets)

    def build_model(
        self, *, vocab_size: int, label_names: Sequence[str], seed: int, **architecture: Any
    ) -> keras.Model:
        return models.build_classifier(vocab_size=vocab_size, num_classes=len(label_names), seed=seed, **architecture)

    def score(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, baseline: str | Path, batch_size: int
    ) -> Scored:
        """One prediction per test text, and its paired comparison with the bag of words in ``baseline``
        (``vs_bow_wins``, ``vs_bow_losses``, ``vs_bow_p_value``)."""
        label_names = tokenized.meta(directory).label_names
        test = tokenized.split(directory, "test")
        probabilities = model.predict(tokenized.batches(test, batch_size), verbose=0)
        labels = tokenized.labels(directory, "test")
        texts = store.texts(ingested, "test")
        views = []
        for index, row in enumerate(test.take(GATE_VIEWS).as_numpy_iterator()):
            predicted = int(probabilities[index].argmax())
            title = (
                f"test text {index}: actual {label_names[labels[index]]}, predicted {label_names[predicted]} "
                f"(p = {probabilities[index, predicted]:.3f})"
            )
            views.append((row["tokens"].tolist(), title))
        bag_of_words = models.load(Path(baseline) / "model.keras").predict(
            tokenized.batches(test, batch_size), verbose=0
        )
        comparison = evaluation.paired_comparison(labels, probabilities, bag_of_words)
        return Scored(
            labels=labels,
            probabilities=probabilities,
            lengths=tokenized.lengths(directory, "test"),
            texts=texts,
            label_names=label_names,
            token_batches=analysis_batches(test, len(labels), batch_size),
            gate_views=views,
            metrics={f"vs_bow_{name}": value for name, value in comparison.items()},
        )

    def baselines(
        self, directory: str | Path, *, seed: int, epochs: int, batch_size: int, learning_rate: float
    ) -> tuple[dict[str, float], keras.Model]:
        """The majority class's and a trained bag-of-words model's test accuracy (``majority_accuracy``,
        ``bow_accuracy``); the bag-of-words model."""
        keras.utils.set_random_seed(seed)
        meta = tokenized.meta(directory)
        train, validation, test = (tokenized.split(directory, name) for name in ("train", "validation", "test"))
        model = models.build_bow_baseline(vocab_size=meta.vocab_size, num_classes=len(meta.label_names))
        training.compile_classifier(model, training.make_optimizer(learning_rate=learning_rate))
        shuffle = tokenized.EpochShuffle(seed)
        model.fit(
            tokenized.batches(train, batch_size, shuffle=shuffle),
            validation_data=tokenized.batches(validation, batch_size),
            epochs=epochs,
            shuffle=False,  # the tf.data pipeline shuffles, seeded
            callbacks=[shuffle],
            verbose=2,
        )
        probabilities = model.predict(tokenized.batches(test, batch_size), verbose=0)
        test_labels = tokenized.labels(directory, "test")
        metrics = {
            "bow_accuracy": evaluation.classification_metrics(test_labels, probabilities)["accuracy"],
            "majority_accuracy": evaluation.majority_accuracy(tokenized.labels(directory, "train"), test_labels),
        }
        return metrics, model

    def export(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, saved_model: str | Path
    ) -> Exported:
        """A SavedModel from raw strings to probabilities and label names, checked (to 1e-5, in a process
        without textrnn) on the first :data:`PARITY_TEXTS` test texts — against the token ids tokenize
        stored for them, so that a tokenizer that encodes differently shows — and on an empty, a
        non-Latin and an over-long text."""
        spec = vectorize.TokenizerSpec.load(directory)
        vectorizer = spec.layer(tokenized.vocabulary(directory), ragged=False)
        label_names = tokenized.meta(directory).label_names
        texts = store.texts(ingested, "test", PARITY_TEXTS)
        stored = model.predict(tokenized.batches(tokenized.split(directory, "test").take(PARITY_TEXTS), 64), verbose=0)
        edges = ["", "Ce film était magnifique — 素晴らしい映画", " ".join(["a great film"] * spec.max_length)]
        served = model.predict(vectorizer(np.array(edges)), verbose=0)
        difference = export_saved_model(
            model,
            vectorizer,
            label_names,
            saved_model,
            reference_texts=texts + edges,
            reference_probabilities=np.concatenate([stored, served]),
        )
        return Exported(
            f"the SavedModel, served without textrnn, matches the trained model on {len(texts) + len(edges)} texts "
            f"(max |Δp| {difference:.2g})",
            label_names,
        )
