"""Synthetic movie reviews: short ones a bag of words can read, long ones only word order can.

**This data is synthetic.** It is English-like text from a small grammar over a vocabulary of
some thousands of words (:mod:`textrnn.data.lexicon`), made so that the pipeline runs offline on a
fresh machine and so that recurrent models have something to learn that a bag of words cannot.
It says nothing about real reviews; use the ``files`` or ``tfds`` sources (SST-2, IMDB) for that.

A *short* review (``short_rate`` of them) is one phrase: "a great film", "awful", "i loved it",
"not bad", "i did not enjoy this movie". Its polarity is its adjective's or verb's, flipped by a
negation.

A *long* review is ``[leading distractors] core [trailing distractors]``:

* A *clause* is ``<aspect> <copula> [negation] [intensifier] <adjective>``: "the plot was not
  very clever". Its polarity is the adjective's, flipped by a negation; intensifiers change
  nothing.
* The *core* holds the deciding clause D. With probability ``contrast_rate`` it is a contrast
  with a clause C of the opposite polarity — "C but D", "although C , D" or "D , even though C" —
  otherwise D stands alone. The label is D's polarity.
* *Distractors* are neutral sentences ("i watched it on a tuesday with my cousin"). The number
  after the core, ``trailing_clauses``, sets the distance between the deciding words and the end
  of the text.

In a contrast both adjectives' polarities are independent of the label, and whether a clause is
negated only tells the label together with which clause it is in, so unigram counts carry no
signal there: a bag-of-words model stays near chance on contrasts (and cannot represent the
adjective-negation XOR of single clauses either), while short reviews are mostly within its reach.
A model must read the order to get the long ones right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from textrnn.data import lexicon
from textrnn.data.lexicon import (
    ASPECTS,
    FILMS,
    INTENSIFIERS,
    NEGATIONS,
    NEGATIVE,
    NEGATIVE_VERBS,
    POSITIVE,
    POSITIVE_VERBS,
)

LABEL_NAMES = ("negative", "positive")
COPULAS = ("was", "is", "felt", "seemed")


def _slot(options: tuple[str, ...]) -> Callable[[np.random.Generator], str]:
    return lambda rng: _pick(rng, options)


# Neutral sentences: a template and what fills its slot.
DISTRACTORS: tuple[tuple[str, Callable[[np.random.Generator], str]], ...] = (
    ("i watched it on a {}", _slot(lexicon.DAYS)),
    ("i saw it in {}", _slot(lexicon.MONTHS)),
    ("i watched it with my {}", _slot(lexicon.RELATIONS)),
    ("my {} picked it", _slot(lexicon.RELATIONS)),
    ("{} recommended it to me", _slot(lexicon.NAMES)),
    ("the theater was {}", _slot(lexicon.THEATER_STATES)),
    ("it runs about {} minutes", _slot(lexicon.MINUTES)),
    ("the film is set in {}", _slot(lexicon.PLACES)),
    ("it was released in {}", _slot(lexicon.YEARS)),
    ("we bought {}", _slot(lexicon.FOODS)),
    ("the story follows a {}", _slot(lexicon.OCCUPATIONS)),
    ("the main character is called {}", _slot(lexicon.NAMES)),
    ("there is a scene with a {}", _slot(lexicon.ANIMALS)),
    ("the hero carries a {}", _slot(lexicon.OBJECTS)),
    ("the poster is {}", _slot(lexicon.COLORS)),
    ("we took the {} to the cinema", _slot(lexicon.VEHICLES)),
    ("the director grew up in {}", _slot(lexicon.PLACES)),
    ("it cost {} million dollars", _slot(lexicon.MILLIONS)),
    ("the premiere had {} guests", _slot(lexicon.GUESTS)),
    ("the music is by {}", lambda rng: f"{_pick(rng, lexicon.NAMES)} {_pick(rng, lexicon.SURNAMES)}"),
    ("one scene takes place in a {}", _slot(lexicon.BUILDINGS)),
    ("the story begins with a {}", _slot(lexicon.EVENTS)),
)


@dataclass(frozen=True)
class SyntheticReviews:
    """The generator's knobs; see the module docstring for the grammar.

    Args:
        short_rate: fraction of reviews that are one short phrase ("a great film", "i loved it").
        contrast_rate: fraction of long reviews whose core is a contrast of two clauses.
        negation_rate: chance that a clause or a short review is negated.
        intensifier_rate: chance that a clause or a short review carries an intensifier.
        leading_clauses: inclusive range of distractor clauses before the core.
        trailing_clauses: inclusive range of distractor clauses after the core — the distance
            from the deciding words to the end of the text.
    """

    short_rate: float = 0.25
    contrast_rate: float = 0.8
    negation_rate: float = 0.5
    intensifier_rate: float = 0.3
    leading_clauses: tuple[int, int] = (0, 2)
    trailing_clauses: tuple[int, int] = (0, 3)

    def __post_init__(self) -> None:
        for name in ("short_rate", "contrast_rate", "negation_rate", "intensifier_rate"):
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
            polarity = 1 if label == 1 else -1
            review = self._short(rng, polarity) if rng.random() < self.short_rate else self._review(rng, polarity)
            yield review, label

    def _short(self, rng: np.random.Generator, polarity: int) -> str:
        """One phrase: an adjective with or without a noun, or a verb of liking; a negation flips it."""
        negated = rng.random() < self.negation_rate
        word_polarity = -polarity if negated else polarity
        intensifier = f"{_pick(rng, INTENSIFIERS)} " if rng.random() < self.intensifier_rate else ""
        form = int(rng.integers(3))
        if form == 2:  # a verb: "i really loved it", "i did not enjoy this movie"
            past, base = _pick(rng, POSITIVE_VERBS if word_polarity > 0 else NEGATIVE_VERBS)
            target = "it" if rng.random() < 0.5 else f"this {_pick(rng, FILMS)}"
            return f"i did {_pick(rng, NEGATIONS)} {base} {target}" if negated else f"i {intensifier}{past} {target}"
        adjective = intensifier + _pick(rng, POSITIVE if word_polarity > 0 else NEGATIVE)
        if form == 1:  # "a great film", "not a very good movie"
            article = "an" if adjective[0] in "aeiou" else "a"
            adjective = f"{article} {adjective} {_pick(rng, FILMS)}"
        return f"{_pick(rng, NEGATIONS)} {adjective}" if negated else adjective  # "awful", "not bad"

    def _review(self, rng: np.random.Generator, polarity: int) -> str:
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
        template, fill = DISTRACTORS[int(rng.integers(len(DISTRACTORS)))]
        return template.format(fill(rng))

    @staticmethod
    def _count(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
        return int(rng.integers(bounds[0], bounds[1] + 1))


def _pick(rng: np.random.Generator, options: tuple) -> object:
    return options[int(rng.integers(len(options)))]
