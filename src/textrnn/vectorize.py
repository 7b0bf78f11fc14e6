"""Text to token ids, learned on the train split only: words or characters with Keras
``TextVectorization``, or WordPiece sub-words with tensorflow-text.

Either way id 0 is padding and id 1 the out-of-vocabulary token, and the layer runs inside the
exported SavedModel's graph. A SavedModel with WordPiece needs ``import tensorflow_text`` (which
registers its ops) before ``tf.saved_model.load``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn import choices, tokenized
from textrnn.errors import TextrnnError

OOV_ID = 1  # TextVectorization: 0 is padding, 1 is the out-of-vocabulary token
WORDPIECE_RESERVED = ["[PAD]", "[UNK]"]  # WordPiece's ids 0 and 1, as TextVectorization's


@dataclass(frozen=True)
class TokenizerSpec:
    """How text becomes ids.

    ``split`` is ``whitespace`` (words), ``character`` or ``wordpiece`` (sub-words: BERT's
    splitting into words and punctuation, then the longest known pieces of each word, so an unseen
    word made of known pieces is those pieces rather than [UNK]). ``max_tokens`` bounds the
    vocabulary, padding and [UNK] included; ``max_length`` is where a served text is cut.
    WordPiece lower-cases (and strips accents) or not: its ``standardize`` is ``lower`` or ``None``.
    """

    split: str = "whitespace"
    standardize: str | None = "lower_and_strip_punctuation"
    max_tokens: int | None = 20000
    max_length: int | None = 128

    def __post_init__(self) -> None:
        if self.split not in choices.SPLITS:
            raise ValueError(f"split must be one of {list(choices.SPLITS)}, got {self.split!r}")
        if self.standardize is not None and self.standardize not in choices.STANDARDIZE:
            raise ValueError(
                f"standardize must be None or one of {list(choices.STANDARDIZE)}, got {self.standardize!r}"
            )
        if self.split == "wordpiece" and self.standardize not in ("lower", None):
            raise ValueError(f"standardize must be 'lower' or None for split='wordpiece', got {self.standardize!r}")
        if self.max_length is not None and self.max_length <= 0:
            raise ValueError(f"max_length must be a positive integer, got {self.max_length}")
        if self.max_tokens is not None and self.max_tokens < 3:
            raise ValueError(f"max_tokens must be None or at least 3 (padding, [UNK], a word), got {self.max_tokens}")

    @classmethod
    def load(cls, directory: str | Path) -> TokenizerSpec:
        """The spec that tokenized the data in ``directory`` (stage tokenize's output)."""
        return cls(**tokenized.tokenizer_settings(directory))

    def layer(self, vocabulary: list[str] | None = None, *, ragged: bool = True) -> keras.layers.Layer:
        """The tokenizer: ragged ids for encoding datasets, padded to ``max_length`` for serving.

        ``vocabulary`` is the whole vocabulary, padding and [UNK] first, as ``get_vocabulary()``
        returns it; ``None`` (words and characters only) for a layer to :func:`adapt`.
        """
        if self.split == "wordpiece":
            if vocabulary is None:
                raise ValueError("vocabulary is needed for split='wordpiece'; learn one with adapt()")
            length = None if ragged else self.max_length
            return WordPiece(vocabulary, lower_case=self.standardize == "lower", output_sequence_length=length)
        return keras.layers.TextVectorization(
            max_tokens=self.max_tokens,
            standardize=self.standardize,
            split=self.split,
            output_mode="int",
            output_sequence_length=None if ragged else self.max_length,
            ragged=ragged,
            vocabulary=None if vocabulary is None else vocabulary[2:],  # it adds padding and [UNK] itself
        )


@keras.saving.register_keras_serializable(package="textrnn")
class WordPiece(keras.layers.Layer):
    """Strings to WordPiece ids with tensorflow-text's ``FastBertTokenizer``, as a Keras layer.

    Args:
        vocabulary: the pieces, id = position; ``[PAD]`` and ``[UNK]`` first (ids 0 and 1), a
            word-inner piece written ``##piece``.
        lower_case: lower-case, decompose (NFD) and strip accents first, as BERT's uncased models.
        output_sequence_length: ``None`` for ragged ids; else ids cut or padded (with 0) to it.

    Call arguments:
        inputs: ``string[batch]``.

    Example:

    >>> layer = WordPiece(["[PAD]", "[UNK]", "great", "##ly"], lower_case=True)
    >>> layer(tf.constant(["Greatly"])).to_list()
    [[2, 3]]
    """

    def __init__(
        self, vocabulary: list[str], lower_case: bool = True, output_sequence_length: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if list(vocabulary[:2]) != WORDPIECE_RESERVED:
            raise ValueError(f"vocabulary must start with {WORDPIECE_RESERVED}, got {list(vocabulary[:2])}")
        self.vocabulary = list(vocabulary)
        self.lower_case = lower_case
        self.output_sequence_length = output_sequence_length
        self._tokenizer = _tensorflow_text().FastBertTokenizer(
            self.vocabulary, token_out_type=tf.int32, lower_case_nfd_strip_accents=lower_case
        )

    def call(self, inputs: Any) -> Any:
        ids = self._tokenizer.tokenize(inputs)
        if self.output_sequence_length is None:
            return ids
        return ids[:, : self.output_sequence_length].to_tensor(shape=[None, self.output_sequence_length])

    def get_vocabulary(self) -> list[str]:
        return list(self.vocabulary)

    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "vocabulary": self.vocabulary,
            "lower_case": self.lower_case,
            "output_sequence_length": self.output_sequence_length,
        }


def _tensorflow_text() -> Any:
    """The ``tensorflow_text`` module, or a clear error where it is not installed."""
    try:
        import tensorflow_text as module  # only WordPiece needs it
    except ImportError:
        raise TextrnnError(
            "split='wordpiece' needs tensorflow-text: pip install --no-deps 'tensorflow-text>=2.21,<2.22' "
            "(--no-deps: it requires the `tensorflow` wheel, which must not sit beside tensorflow-cpu)"
        ) from None
    return module


def adapt(spec: TokenizerSpec, texts: tf.data.Dataset) -> keras.layers.Layer:
    """Learn the vocabulary from ``texts`` (a dataset of strings: the train split only)."""
    if spec.split == "wordpiece":
        _tensorflow_text()
        from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset

        vocabulary = bert_vocab_from_dataset.bert_vocab_from_dataset(
            texts.batch(4096),
            vocab_size=spec.max_tokens or 2**31 - 1,
            reserved_tokens=WORDPIECE_RESERVED,
            bert_tokenizer_params={"lower_case": spec.standardize == "lower"},
        )
        return spec.layer(vocabulary)
    layer = spec.layer()
    layer.adapt(texts.batch(4096))
    return layer


def encode(layer: keras.layers.Layer, dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``{"text", …}`` rows to ``{"tokens", …}`` rows of variable length (not truncated): the text
    tokenized, the rest (a ``label``, or a sentence's ``tags``) as it is."""

    def vectorize(batch: dict[str, tf.Tensor]) -> dict[str, Any]:
        rest = {key: value for key, value in batch.items() if key != "text"}
        return {"tokens": tf.cast(layer(batch["text"]), tf.int32), **rest}

    return dataset.ragged_batch(1024).map(vectorize).unbatch()


def truncate(dataset: tf.data.Dataset, max_length: int | None) -> tf.data.Dataset:
    """Each row's ``tokens`` cut at ``max_length`` (None: kept whole)."""
    if max_length is None:
        return dataset
    return dataset.map(lambda row: {**row, "tokens": row["tokens"][:max_length]})


def statistics(lengths: np.ndarray, oov_count: int, max_length: int | None) -> dict[str, float]:
    """Sequence-length statistics (in tokens, before truncation) and the OOV rate of one split."""
    total = int(lengths.sum())
    return {
        "examples": len(lengths),
        "length_mean": float(lengths.mean()) if len(lengths) else 0.0,
        "length_p50": float(np.percentile(lengths, 50)) if len(lengths) else 0.0,
        "length_p95": float(np.percentile(lengths, 95)) if len(lengths) else 0.0,
        "length_max": int(lengths.max()) if len(lengths) else 0,
        "truncated_fraction": float((lengths > max_length).mean()) if len(lengths) and max_length else 0.0,
        "oov_rate": oov_count / total if total else 0.0,
    }


def split_statistics(encoded: tf.data.Dataset, max_length: int | None) -> dict[str, float]:
    lengths, oov = [], 0
    for row in encoded.ragged_batch(4096):
        tokens = row["tokens"]
        lengths.append(tokens.row_lengths().numpy())
        oov += int(tf.reduce_sum(tf.cast(tokens.flat_values == OOV_ID, tf.int64)))
    return statistics(np.concatenate(lengths) if lengths else np.zeros(0, int), oov, max_length)
