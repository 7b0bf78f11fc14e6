"""Synthetic movie reviews whose label only word order can tell.

**This data is synthetic.** It is English-like text from a small grammar, made so that the
pipeline runs offline on a fresh machine and so that recurrent models have something to
learn that a bag of words cannot. It says nothing about real reviews; use the ``files``
or ``tfds`` sources (SST-2, IMDB) for that.

A review is ``[leading distractors] core [trailing distractors]``:

* A *clause* is ``<aspect> <copula> [negation] [intensifier] <adjective>``: "the plot was not
  very clever". Its polarity is the adjective's, flipped by a negation; intensifiers change
  nothing.
* The *core* holds the deciding clause D. With probability ``contrast_rate`` it is a contrast
  with a clause C of the opposite polarity — "C but D", "although C , D" or "D , even though C" —
  otherwise D stands alone. The label is D's polarity.
* *Distractors* are neutral clauses ("i watched it on a tuesday"). The number after the core,
  ``trailing_clauses``, sets the distance between the deciding words and the end of the text.

In a contrast both adjectives' polarities are independent of the label, and whether a clause is
negated only tells the label together with which clause it is in, so unigram counts carry no
signal: a bag-of-words model stays near chance on contrasts (and cannot represent the
adjective-negation XOR of single clauses either). A model must read the order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

LABEL_NAMES = ("negative", "positive")

ASPECTS = (
    "the acting", "the plot", "the script", "the soundtrack", "the dialogue", "the pacing",
    "the ending", "the cast", "the direction", "the photography", "the story", "the humor",
    "the effects", "the lead", "the editing", "the score",
)  # fmt: skip
COPULAS = ("was", "is", "felt", "seemed")
POSITIVE = (
    "good", "great", "excellent", "wonderful", "brilliant", "superb", "enjoyable", "moving",
    "clever", "charming", "gripping", "delightful",
)  # fmt: skip
NEGATIVE = (
    "bad", "awful", "terrible", "dull", "boring", "weak", "clumsy", "tedious", "bland", "poor",
    "messy", "forgettable",
)  # fmt: skip
NEGATIONS = ("not", "never", "hardly")
INTENSIFIERS = ("very", "really", "truly", "quite", "extremely", "incredibly")
DISTRACTORS = (
    ("i watched it on a", ("monday", "tuesday", "friday", "sunday", "rainy evening")),
    ("the theater was", ("crowded", "quiet", "half empty", "cold", "small")),
    ("my", ("friend picked it", "sister chose it", "brother recommended it", "parents saw it first")),
    ("it runs about", ("two hours", "ninety minutes", "two and a half hours")),
    ("the film is set in", ("paris", "a small town", "the future", "the desert", "new york")),
    ("we bought", ("popcorn", "tickets online", "two sodas", "the last seats")),
    ("it was released in", ("spring", "the summer", "december", "three countries")),
    ("the director also made", ("a documentary", "two short films", "a series", "commercials")),
)


@dataclass(frozen=True)
class SyntheticReviews:
    """The generator's knobs; see the module docstring for the grammar.

    Args:
        contrast_rate: fraction of reviews whose core is a contrast of two clauses.
        negation_rate: chance that a clause is negated.
        intensifier_rate: chance that a clause carries an intensifier.
        leading_clauses: inclusive range of distractor clauses before the core.
        trailing_clauses: inclusive range of distractor clauses after the core — the distance
            from the deciding words to the end of the text.
    """

    contrast_rate: float = 0.8
    negation_rate: float = 0.5
    intensifier_rate: float = 0.3
    leading_clauses: tuple[int, int] = (0, 2)
    trailing_clauses: tuple[int, int] = (0, 3)

    def __post_init__(self) -> None:
        for name in ("contrast_rate", "negation_rate", "intensifier_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        for name in ("leading_clauses", "trailing_clauses"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range [low, high] with 0 <= low <= high")

    def generate(self, num_examples: int, seed: int) -> Iterator[tuple[str, int]]:
        """Yield ``num_examples`` ``(text, label)`` pairs, the same ones for the same seed."""
        rng = np.random.default_rng(seed)
        for _ in range(num_examples):
            label = int(rng.integers(2))
            yield self._review(rng, label), label

    def _review(self, rng: np.random.Generator, label: int) -> str:
        polarity = 1 if label == 1 else -1
        decisive = self._clause(rng, polarity)
        if rng.random() < self.contrast_rate:
            other = self._clause(rng, -polarity)
            form = int(rng.integers(3))
            core = (
                f"{other} but {decisive}",
                f"although {other} , {decisive}",
                f"{decisive} , even though {other}",
            )[form]
        else:
            core = decisive
        leading = [self._distractor(rng) for _ in range(self._count(rng, self.leading_clauses))]
        trailing = [self._distractor(rng) for _ in range(self._count(rng, self.trailing_clauses))]
        return " . ".join([*leading, core, *trailing]) + " ."

    def _clause(self, rng: np.random.Generator, polarity: int) -> str:
        negated = rng.random() < self.negation_rate
        adjective_polarity = -polarity if negated else polarity
        adjective = _pick(rng, POSITIVE if adjective_polarity > 0 else NEGATIVE)
        words = [_pick(rng, ASPECTS), _pick(rng, COPULAS)]
        if negated:
            words.append(_pick(rng, NEGATIONS))
        if rng.random() < self.intensifier_rate:
            words.append(_pick(rng, INTENSIFIERS))
        words.append(adjective)
        return " ".join(words)

    @staticmethod
    def _distractor(rng: np.random.Generator) -> str:
        head, tails = DISTRACTORS[int(rng.integers(len(DISTRACTORS)))]
        return f"{head} {_pick(rng, tails)}"

    @staticmethod
    def _count(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
        return int(rng.integers(bounds[0], bounds[1] + 1))


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]
