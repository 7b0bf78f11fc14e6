"""The synthetic reviews: deterministic, labelled by their structure; long ones blind to bags of words."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from textrnn.data.lexicon import NEGATIONS, NEGATIVE, NEGATIVE_VERBS, POSITIVE, POSITIVE_VERBS
from textrnn.data.synthetic import SyntheticReviews

ADJECTIVE = {word: 1 for word in POSITIVE} | {word: -1 for word in NEGATIVE}
SENTIMENT = ADJECTIVE | {verb: 1 for forms in POSITIVE_VERBS for verb in forms}
SENTIMENT |= {verb: -1 for forms in NEGATIVE_VERBS for verb in forms}


def _clause_polarity(clause: str) -> int:
    words = clause.split()
    (polarity,) = (SENTIMENT[word] for word in words if word in SENTIMENT)
    return -polarity if any(word in NEGATIONS for word in words) else polarity


def _label_by_reading(text: str) -> int:
    """Find the deciding clause the way the grammar says a reader should, and read its polarity."""
    if not text.endswith(" ."):  # a short review: one phrase
        return int(_clause_polarity(text) > 0)
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
    examples = list(SyntheticReviews().generate(2000, seed=1))
    for text, label in examples:
        assert _label_by_reading(text) == label, text
    short = [text for text, _ in examples if not text.endswith(" .")]
    assert 0.2 < len(short) / len(examples) < 0.3  # short_rate 0.25
    assert {"i", "a", "not"} <= {word for text in short for word in text.split()}


def test_vocabulary_is_some_thousands_of_words():
    words = {word for text, _ in SyntheticReviews().generate(20000, seed=5) for word in text.split()}
    assert len(words) > 2000
    assert {"film", "movie", "loved", "hated", "great", "awful"} <= words


def test_classes_are_balanced_and_adjectives_carry_no_label_signal():
    examples = list(SyntheticReviews(short_rate=0.0, contrast_rate=1.0).generate(20000, seed=2))
    labels = np.array([label for _, label in examples])
    assert abs(labels.mean() - 0.5) < 0.02
    counts = {0: Counter(), 1: Counter()}
    for text, label in examples:
        counts[label].update(text.split())
    for word in [*POSITIVE, *NEGATIVE, *NEGATIONS, "but", "although"]:
        total = counts[0][word] + counts[1][word]
        positive_share = counts[1][word] / total
        assert abs(positive_share - 0.5) < 4 * 0.5 / np.sqrt(total), word  # 4 standard errors of a fair coin


def test_trailing_clauses_set_the_distance_to_the_end():
    def words_after_core(text: str) -> int:
        sentences = text.rstrip(" .").split(" . ")
        core = max(i for i, s in enumerate(sentences) if any(w in ADJECTIVE for w in s.split()))
        return sum(len(s.split()) + 1 for s in sentences[core + 1 :])

    long_reviews = dict(short_rate=0.0)
    near = [words_after_core(t) for t, _ in SyntheticReviews(**long_reviews, trailing_clauses=(0, 0)).generate(200, 3)]
    far = [words_after_core(t) for t, _ in SyntheticReviews(**long_reviews, trailing_clauses=(6, 6)).generate(200, 3)]
    assert max(near) == 0
    assert min(far) >= 6 * 4


def test_negation_and_contrast_can_be_switched_off():
    texts = [t for t, _ in SyntheticReviews(contrast_rate=0.0, negation_rate=0.0).generate(300, seed=4)]
    assert not any(re.search(r"\b(but|although|even though|not|never|hardly)\b", t) for t in texts)


@pytest.mark.parametrize("bad", [dict(contrast_rate=1.5), dict(short_rate=-0.1), dict(trailing_clauses=(3, 1))])
def test_bad_knobs_are_refused(bad):
    with pytest.raises(ValueError):
        SyntheticReviews(**bad)
