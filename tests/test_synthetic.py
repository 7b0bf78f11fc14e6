"""The synthetic reviews: deterministic, labelled by their structure, and blind to bags of words."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from textrnn.data.synthetic import NEGATIONS, NEGATIVE, POSITIVE, SyntheticReviews

ADJECTIVE = {word: 1 for word in POSITIVE} | {word: -1 for word in NEGATIVE}


def _clause_polarity(clause: str) -> int:
    words = clause.split()
    polarity = ADJECTIVE[words[-1]]
    return -polarity if any(word in NEGATIONS for word in words) else polarity


def _label_by_reading(text: str) -> int:
    """Find the deciding clause the way the grammar says a reader should, and read its polarity."""
    for sentence in text.rstrip(" .").split(" . "):
        if not any(word in ADJECTIVE for word in sentence.split()):
            continue  # a distractor
        if " but " in sentence:
            decisive = sentence.split(" but ")[1]
        elif sentence.startswith("although "):
            decisive = sentence.split(" , ")[1]
        elif " , even though " in sentence:
            decisive = sentence.split(" , even though ")[0]
        else:
            decisive = sentence
        return int(_clause_polarity(decisive) > 0)
    raise AssertionError(f"no clause with an adjective in {text!r}")


def test_same_seed_same_reviews_other_seed_other_reviews():
    generator = SyntheticReviews()
    first = list(generator.generate(50, seed=7))
    assert first == list(generator.generate(50, seed=7))
    assert first != list(generator.generate(50, seed=8))


def test_labels_follow_the_grammar():
    for text, label in SyntheticReviews().generate(2000, seed=1):
        assert _label_by_reading(text) == label, text


def test_classes_are_balanced_and_adjectives_carry_no_label_signal():
    examples = list(SyntheticReviews(contrast_rate=1.0).generate(20000, seed=2))
    labels = np.array([label for _, label in examples])
    assert abs(labels.mean() - 0.5) < 0.02
    counts = {0: Counter(), 1: Counter()}
    for text, label in examples:
        counts[label].update(text.split())
    for word in [*POSITIVE, *NEGATIVE, *NEGATIONS, "but", "although"]:
        positive_share = counts[1][word] / (counts[0][word] + counts[1][word])
        assert abs(positive_share - 0.5) < 0.05, word


def test_trailing_clauses_set_the_distance_to_the_end():
    def words_after_core(text: str) -> int:
        sentences = text.rstrip(" .").split(" . ")
        core = max(i for i, s in enumerate(sentences) if any(w in ADJECTIVE for w in s.split()))
        return sum(len(s.split()) + 1 for s in sentences[core + 1 :])

    near = [words_after_core(t) for t, _ in SyntheticReviews(trailing_clauses=(0, 0)).generate(200, seed=3)]
    far = [words_after_core(t) for t, _ in SyntheticReviews(trailing_clauses=(6, 6)).generate(200, seed=3)]
    assert max(near) == 0
    assert min(far) >= 6 * 4


def test_negation_and_contrast_can_be_switched_off():
    texts = [t for t, _ in SyntheticReviews(contrast_rate=0.0, negation_rate=0.0).generate(300, seed=4)]
    assert not any(re.search(r"\b(but|although|even though|not|never|hardly)\b", t) for t in texts)


@pytest.mark.parametrize("bad", [dict(contrast_rate=1.5), dict(trailing_clauses=(3, 1))])
def test_bad_knobs_are_refused(bad):
    with pytest.raises(ValueError):
        SyntheticReviews(**bad)
