"""Sequence labelling: one tag per token (part of speech, named entities, chunks)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf
from seqeval.metrics import f1_score

from textrnn import evaluation, models, tokenized, vectorize
from textrnn.data import store
from textrnn.export import export_tagger, split_punctuation
from textrnn.tasks.base import GATE_VIEWS, Exported, Scored, Task, analysis_batches, bucketed_batches

PARITY_SENTENCES = 256  # test sentences the export checks the SavedModel on
CONTEXT_WORDS = 5  # each side of a token, in the confident mistakes' texts
SPAN_TAG = re.compile(r"O|[BIESLU]-.+")  # the BIO / BIOES tag schemes: span F1 applies


@dataclass(frozen=True)
class Tagging(Task):
    """Tag every token: embedding → recurrent layers (bidirectional, as the preset sets) → a softmax
    over the tags at every step (:func:`textrnn.models.build_tagger`), compared token by token with
    the most frequent tag of each word in the train split.

    The data are tagged sentences (:mod:`textrnn.data.tagged`), tokenized one id per token: split on
    whitespace, no punctuation stripped, read whole.

    Example:

    >>> Tagging().reads
    'tagged_tokens'
    """

    name: ClassVar[str] = "tagging"
    reads: ClassVar[str] = "tagged_tokens"
    cuts_texts: ClassVar[bool] = False
    fixed_architecture: ClassVar[dict[str, Any]] = {"pooling": "last"}
    fixed_tokenizer: ClassVar[dict[str, tuple[Any, ...]]] = {
        "split": ("whitespace",),
        "standardize": (None, "lower"),
    }

    def batches(
        self, directory: str | Path, *, batch_size: int, shuffle: tokenized.EpochShuffle, length_buckets: int
    ) -> tuple[tf.data.Dataset, tf.data.Dataset]:
        """Sentences bucketed by length (:func:`~textrnn.tasks.base.bucketed_batches`), their tags padded
        as their tokens."""
        return bucketed_batches(directory, batch_size=batch_size, shuffle=shuffle, length_buckets=length_buckets)

    def build_model(
        self, *, vocab_size: int, label_names: Sequence[str], seed: int, pooling: str = "last", **architecture: Any
    ) -> keras.Model:
        """The tagger; ``pooling`` must be ``"last"`` (a tagger pools nothing: it reads every step)."""
        if pooling != "last":
            raise ValueError(f"pooling must be 'last' for a tagger (it predicts at every step), got {pooling!r}")
        return models.build_tagger(vocab_size=vocab_size, num_tags=len(label_names), seed=seed, **architecture)

    def score(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, baseline: str | Path, batch_size: int
    ) -> Scored:
        """One prediction per test token; its paired comparison with the most frequent tag in ``baseline``
        (``vs_mft_wins``, ``vs_mft_losses``, ``vs_mft_p_value``); span F1 (``span_f1``) where the tags
        are BIO or BIOES."""
        tag_names = tokenized.meta(directory).label_names
        test = tokenized.split(directory, "test")
        sentence_lengths = tokenized.lengths(directory, "test")
        probabilities = sentence_probabilities(model, test, batch_size)
        labels = tokenized.labels(directory, "test")
        baseline_probabilities = sentence_probabilities(models.load(Path(baseline) / "model.keras"), test, batch_size)
        texts = [sentence.split(" ") for sentence in store.texts(ingested, "test")]
        metrics = {
            f"vs_mft_{name}": value
            for name, value in evaluation.paired_comparison(labels, probabilities, baseline_probabilities).items()
        }
        if all(SPAN_TAG.fullmatch(name) for name in tag_names):
            metrics["span_f1"] = span_f1(labels, probabilities.argmax(-1), sentence_lengths, tag_names)
        views = [
            (row["tokens"].tolist(), f"test sentence {index}")
            for index, row in enumerate(test.take(GATE_VIEWS).as_numpy_iterator())
        ]
        return Scored(
            labels=labels,
            probabilities=probabilities,
            lengths=np.repeat(sentence_lengths, sentence_lengths),  # accuracy by the length of each token's sentence
            texts=[in_context(tokens, index) for tokens in texts for index in range(len(tokens))],
            label_names=tag_names,
            token_batches=analysis_batches(test, len(sentence_lengths), batch_size),
            gate_views=views,
            metrics=metrics,
        )

    def baselines(
        self, directory: str | Path, *, seed: int, epochs: int, batch_size: int, learning_rate: float
    ) -> tuple[dict[str, float], keras.Model]:
        """The most frequent tag of each word in the train split (for a word never seen there, that of
        the train split's [UNK] tokens, else the most frequent tag) and the single most frequent tag:
        their test token accuracy (``most_frequent_tag_accuracy``, ``majority_accuracy``); the first's
        model. Counted, not trained: the other arguments are not read."""
        meta = tokenized.meta(directory)
        table = most_frequent_tags(
            tokenized.token_ids(directory, "train"),
            tokenized.labels(directory, "train"),
            vocab_size=meta.vocab_size,
            num_tags=len(meta.label_names),
        )
        test_ids, test_tags = tokenized.token_ids(directory, "test"), tokenized.labels(directory, "test")
        metrics = {
            "most_frequent_tag_accuracy": float(np.mean(table[test_ids].argmax(-1) == test_tags)),
            "majority_accuracy": evaluation.majority_accuracy(tokenized.labels(directory, "train"), test_tags),
        }
        return metrics, models.build_tag_lookup(table)

    def export(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, saved_model: str | Path
    ) -> Exported:
        """A SavedModel from raw sentences to tokens and tags (:func:`textrnn.export.export_tagger`),
        checked (to 1e-5, in a process without textrnn) on the first :data:`PARITY_SENTENCES` test
        sentences as tokenized — against the token ids tokenize stored for them — and on an empty
        sentence, one with punctuation to split off and one longer than any in training."""
        spec = vectorize.TokenizerSpec.load(directory)
        vectorizer = spec.layer(tokenized.vocabulary(directory))
        tag_names = tokenized.meta(directory).label_names
        sentences = store.texts(ingested, "test", PARITY_SENTENCES)
        stored = sentence_probabilities(model, tokenized.split(directory, "test").take(PARITY_SENTENCES), 64)
        per_sentence = np.split(stored, np.cumsum(tokenized.lengths(directory, "test")[: len(sentences)])[:-1])
        longest = int(tokenized.lengths(directory, "train").max())
        edges = ["", "Hello, world!", " ".join(["the cat sat ."] * (longest // 4 + 1))]
        split = split_punctuation(tf.constant(edges))
        served = [
            probabilities[: len(tokens)]
            for tokens, probabilities in zip(
                tf.strings.split(split).to_list(),
                model.predict(vectorizer(split).to_tensor(), verbose=0),
                strict=True,
            )
        ]
        difference = export_tagger(
            model,
            vectorizer,
            tag_names,
            saved_model,
            pretokenized=sentences,
            pretokenized_probabilities=per_sentence,
            sentences=edges,
            sentence_probabilities=served,
        )
        return Exported(
            f"the SavedModel, served without textrnn, matches the trained model on {len(sentences) + len(edges)} "
            f"sentences (max |Δp| {difference:.2g})",
            None,
        )


def sentence_probabilities(model: keras.Model, sentences: tf.data.Dataset, batch_size: int) -> np.ndarray:
    """``[tokens, tags]``: ``model``'s tag probabilities for every token of ``sentences``
    (``{"tokens", "label"}`` rows), end to end in their order, padding left out."""
    rows = []
    for tokens, _ in tokenized.batches(sentences, batch_size).as_numpy_iterator():
        probabilities = keras.ops.convert_to_numpy(model(tokens, training=False))
        rows.extend(row[:length] for row, length in zip(probabilities, (tokens != 0).sum(axis=1), strict=True))
    return np.concatenate(rows) if rows else np.zeros((0, model.output_shape[-1]), np.float32)


def most_frequent_tags(token_ids: np.ndarray, tags: np.ndarray, *, vocab_size: int, num_tags: int) -> np.ndarray:
    """``[vocab_size, num_tags]``, one-hot: each token id's most frequent tag among ``tags`` (ties: the
    lower tag id); an id never seen takes that of [UNK] (id 1) where it was seen, else the most
    frequent tag; padding (id 0) is all zero."""
    counts = np.zeros((vocab_size, num_tags), np.int64)
    np.add.at(counts, (token_ids, tags), 1)
    fallback = counts[vectorize.OOV_ID] if counts[vectorize.OOV_ID].any() else counts.sum(axis=0)
    best = np.where(counts.any(axis=1), counts.argmax(axis=1), fallback.argmax())
    table = np.eye(num_tags, dtype=np.float32)[best]
    table[0] = 0.0
    return table


def span_f1(labels: np.ndarray, predicted: np.ndarray, lengths: np.ndarray, tag_names: Sequence[str]) -> float:
    """The F1 of the spans BIO / BIOES tags mark (a span is right where its type and both ends are),
    as CoNLL's ``conlleval`` counts them (seqeval); ``labels`` and ``predicted`` are tag ids end to end,
    ``lengths`` the sentences'."""

    def sentences(ids: np.ndarray) -> Iterator[list[str]]:
        for part in np.split(ids, np.cumsum(lengths)[:-1]):
            yield [tag_names[i] for i in part]

    return float(f1_score(list(sentences(labels)), list(sentences(predicted))))


def in_context(tokens: Sequence[str], index: int) -> str:
    """Token ``index`` of ``tokens`` in brackets, between up to :data:`CONTEXT_WORDS` words each side."""
    left = tokens[max(0, index - CONTEXT_WORDS) : index]
    right = tokens[index + 1 : index + 1 + CONTEXT_WORDS]
    return " ".join([*left, f"[{tokens[index]}]", *right])
