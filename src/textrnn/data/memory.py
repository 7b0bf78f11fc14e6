"""The first-token memory task: the classic test of how far back a recurrent network can learn.

A sequence is ``lag + 1`` token ids drawn uniformly from ``1 … vocab_size - 1`` (0 is padding);
its label is whether the *first* token is in the lower half of the vocabulary. Everything after
it is noise, so a model must carry one bit across ``lag`` steps — and backpropagation through
time must carry the gradient back across them (Hochreiter & Schmidhuber, 1997, ran tasks of
this kind). The ids are model input directly; there is no text.
"""

from __future__ import annotations

import numpy as np


def first_token_task(
    num_examples: int, lag: int, *, vocab_size: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(tokens [num_examples, lag + 1] int32, labels [num_examples] int32)``.

    The label is 1 iff the first id is below ``vocab_size // 2 + 1``, which splits
    ``1 … vocab_size - 1`` about evenly.
    """
    if lag < 0 or num_examples < 1 or vocab_size < 3:
        raise ValueError(f"need lag >= 0, num_examples >= 1, vocab_size >= 3; got {lag}, {num_examples}, {vocab_size}")
    tokens = np.random.default_rng(seed).integers(1, vocab_size, size=(num_examples, lag + 1), dtype=np.int32)
    labels = (tokens[:, 0] < vocab_size // 2 + 1).astype(np.int32)
    return tokens, labels
