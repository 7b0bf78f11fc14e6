"""Language modelling: predict every next token of a text."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from textrnn import evaluation, language_model, models, tokenized, tracking, vectorize
from textrnn.export import export_generator
from textrnn.tasks.base import GATE_VIEWS, Exported, Scored, Task, analysis_batches

GATE_TOKENS = 64  # of a window, in a gate view
GREEDY_TOKENS = 200  # the greedy continuation the export checks the SavedModel on


@dataclass(frozen=True)
class LanguageModel(Task):
    """Predict every next token: ``y_t = W_hy h_t`` at each step, a softmax over the vocabulary
    (:func:`textrnn.models.build_language_model`), trained on consecutive windows of one stream of
    text and compared with add-one smoothed unigram and bigram models.

    Args:
        window: tokens per training window; backpropagation through time is truncated there.
        samples: texts generated after every epoch and logged to the active MLflow run (0: none).
        sample_length: tokens in each.
        sample_prompt: what each starts from; also what the export's check continues.
        sample_temperature: 0 always takes the most probable token.

    Example:

    >>> LanguageModel(window=64).fixed_architecture
    {'bidirectional': False, 'pooling': 'last'}
    """

    name: ClassVar[str] = "language_model"
    reads: ClassVar[str] = "plain_text"
    cuts_texts: ClassVar[bool] = False
    fixed_architecture: ClassVar[dict[str, Any]] = {"bidirectional": False, "pooling": "last"}

    window: int = 128
    samples: int = 0
    sample_length: int = 300
    sample_prompt: str = "The"
    sample_temperature: float = 0.8

    def __post_init__(self) -> None:
        for argument, low in (("window", 2), ("samples", 0), ("sample_length", 1)):
            value = getattr(self, argument)
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{argument} must be an integer ≥ {low}, got {value!r}")
        if not self.sample_temperature >= 0:  # NaN fails too
            raise ValueError(f"sample_temperature must be a number ≥ 0, got {self.sample_temperature!r}")
        if not self.sample_prompt:
            raise ValueError(f"sample_prompt must be a non-empty text, got {self.sample_prompt!r}")

    def batches(
        self, directory: str | Path, *, batch_size: int, shuffle: tokenized.EpochShuffle, length_buckets: int
    ) -> tuple[tf.data.Dataset, tf.data.Dataset]:
        """Windows of :attr:`window` tokens (all of one length: ``length_buckets`` has nothing to do)."""
        train, validation = (
            language_model.windows(tokenized.token_ids(directory, split), self.window)
            for split in ("train", "validation")
        )
        return tokenized.batches(train, batch_size, shuffle=shuffle), tokenized.batches(validation, batch_size)

    def build_model(
        self,
        *,
        vocab_size: int,
        label_names: Sequence[str],
        seed: int,
        bidirectional: bool = False,
        pooling: str = "last",
        **architecture: Any,
    ) -> keras.Model:
        """The language model; ``label_names`` (the vocabulary's) is not read. It reads forwards only and
        predicts at every step: ``bidirectional`` must be False and ``pooling`` ``"last"``."""
        if {"bidirectional": bidirectional, "pooling": pooling} != self.fixed_architecture:
            raise ValueError(
                f"bidirectional must be False and pooling 'last' for a language model, got {bidirectional!r} "
                f"and {pooling!r}"
            )
        return models.build_language_model(vocab_size=vocab_size, seed=seed, **architecture)

    def metrics(self) -> list[keras.metrics.Metric]:
        return [language_model.BitsPerToken(), language_model.Perplexity()]

    def callbacks(self, model: keras.Model, directory: str | Path) -> list[keras.callbacks.Callback]:
        """After every epoch, :attr:`samples` generated texts to the active MLflow run (none for 0)."""
        return [tracking.SampleLogger(self.sampler(model, directory))] if self.samples else []

    def sampler(self, model: keras.Model, directory: str | Path) -> Callable[[], str]:
        """:attr:`samples` texts ``model`` generates from :attr:`sample_prompt`, each after a header naming its seed."""
        generator = generator_of(model, directory)

        def sample() -> str:
            texts = []
            for seed in range(self.samples):
                out = generator.generate(
                    tf.constant(self.sample_prompt),
                    self.sample_length,
                    self.sample_temperature,
                    0,
                    tf.constant(seed, tf.int64),
                )
                header = f"--- seed {seed}, temperature {self.sample_temperature}"
                texts.append(f"{header}\n{self.sample_prompt}{out['text'].numpy().decode()}\n")
            return "\n".join(texts)

        return sample

    def score(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, baseline: str | Path, batch_size: int
    ) -> Scored:
        """One prediction per token of the test text, read in windows as in training (each from a zero
        state): the next token's distribution given the window up to it; bits per token and perplexity."""
        vocabulary = tokenized.vocabulary(directory)
        windows = language_model.windows(tokenized.token_ids(directory, "test"), self.window)
        test_batches = tokenized.batches(windows, batch_size)
        probabilities = model.predict(test_batches, verbose=0)
        inputs = np.stack([row["tokens"] for row in windows.as_numpy_iterator()])
        labels = np.concatenate([labels for _, labels in test_batches.as_numpy_iterator()]).reshape(-1)
        probabilities = probabilities.reshape(-1, probabilities.shape[-1])
        loss = float(keras.losses.SparseCategoricalCrossentropy()(labels, probabilities))  # as evaluation's
        return Scored(
            labels=labels,
            probabilities=probabilities,
            lengths=np.tile(np.arange(1, inputs.shape[1] + 1), len(inputs)),
            texts=language_model.Contexts(inputs, vocabulary, split=vectorize.TokenizerSpec.load(directory).split),
            label_names=[repr(token)[1:-1] if token.strip() else repr(token) for token in vocabulary],  # '\\n', ' '
            token_batches=analysis_batches(windows, len(inputs), batch_size),
            gate_views=[(inputs[index, :GATE_TOKENS].tolist(), f"test window {index}") for index in range(GATE_VIEWS)],
            metrics={"bits_per_token": loss / math.log(2.0), "perplexity": math.exp(loss)},
        )

    def baselines(
        self, directory: str | Path, *, seed: int, epochs: int, batch_size: int, learning_rate: float
    ) -> tuple[dict[str, float], None]:
        """Add-one smoothed unigram and bigram models' test cross-entropy (``unigram_loss``,
        ``bigram_loss``, nats per token); counted, not trained: the other arguments are not read."""
        train, test = tokenized.token_ids(directory, "train"), tokenized.token_ids(directory, "test")
        vocab_size = tokenized.meta(directory).vocab_size
        metrics = {
            f"{name}_loss": evaluation.ngram_cross_entropy(train, test, order=order, vocab_size=vocab_size)
            for order, name in ((1, "unigram"), (2, "bigram"))
        }
        return metrics, None

    def export(
        self, model: keras.Model, directory: str | Path, *, ingested: str | Path, saved_model: str | Path
    ) -> Exported:
        """A generator SavedModel (``prompt``, ``length``, ``temperature``, ``top_k``, ``seed`` → ``text``),
        checked on the greedy continuation of :attr:`sample_prompt` in a process without textrnn."""
        text = export_generator(
            generator_of(model, directory), saved_model, prompt=self.sample_prompt, length=GREEDY_TOKENS
        )
        return Exported(
            f"the SavedModel, served without textrnn, continues {self.sample_prompt!r} as the trained model: {text!r}",
            None,
        )


def generator_of(model: keras.Model, directory: str | Path) -> language_model.Generator:
    """The text generator of ``model`` with the tokenizer of the tokenized data in ``directory``."""
    spec = vectorize.TokenizerSpec.load(directory)
    vocabulary = tokenized.vocabulary(directory)
    return language_model.Generator(model, spec.layer(vocabulary), vocabulary, split=spec.split)
