"""Pretrained word vectors for the embedding: GloVe, word2vec and fastText text files, plain or gzip.

The formats users have: GloVe's ``word v1 … vN`` a line; word2vec's text format and fastText's
``.vec``, the same after a ``count dim`` header line. Words are looked up as the vocabulary holds
them, that is after the tokenizer's own standardization (GloVe 6B is lower-cased, as textrnn's
default tokenizer is).

Example:

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.txt"
>>> _ = path.write_text("film 1 2\\nfine 3 4\\n")
>>> pretrained = embedding_matrix(path, ["", "[UNK]", "fine", "dull"], seed=0)
>>> pretrained.matrix.shape, pretrained.matrix[2].tolist(), pretrained.coverage(np.array([[2, 3, 2, 0]]))
((4, 2), [3.0, 4.0], {'vocabulary_coverage': 0.5, 'token_coverage': 0.6666666666666666})
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textrnn.data.sources import open_file
from textrnn.errors import TextrnnError

SPECIAL_TOKENS = 2  # the vocabulary's padding (id 0) and [UNK] (id 1): no vector to look up


def _rows(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line number, word, its numbers as text) for each vector row; a word2vec / .vec header is skipped."""
    try:
        handle = open_file(path, "r", encoding="utf-8")  # gzip told by its bytes
    except FileNotFoundError:
        raise TextrnnError(f"{path}: no such file; give a GloVe, word2vec or fastText .vec text file") from None
    except OSError as err:
        raise TextrnnError(f"{path}: cannot read it ({err.strerror}); give a readable vectors file") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                fields = line.rstrip("\n").rstrip(" ").split(" ")
                if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                    continue  # "count dim": word2vec's text format and fastText's .vec
                if fields == [""]:
                    continue
                yield number, fields[0], fields[1:]
        except UnicodeDecodeError as err:
            raise TextrnnError(
                f"{path}: not UTF-8 text ({err.reason}); give a GloVe, word2vec or fastText .vec text file"
            ) from None
        except (OSError, EOFError) as err:  # a damaged gzip stream
            raise TextrnnError(f"{path}: cannot read it ({err}); give an intact vectors file") from None


def frequent_words(path: str | Path, count: int) -> list[str]:
    """The first ``count`` words of the file that are words (letters and digits only): GloVe, word2vec and
    fastText files list their words most frequent first."""
    words: list[str] = []
    for _, word, _ in _rows(Path(path)):
        if len(words) == count:
            break
        if word.isalnum():
            words.append(word)
    return words


def dimension(path: str | Path) -> int:
    """How many numbers each vector of the file has (its first row's)."""
    for _, _, numbers in _rows(Path(path)):
        return len(numbers)
    raise TextrnnError(f"{path}: holds no vectors; give a GloVe, word2vec or fastText .vec text file")


@dataclass(frozen=True)
class Pretrained:
    """An embedding's starting weights from a vectors file, and which words the file had."""

    matrix: np.ndarray  # [vocabulary size, dimension], float32
    found: np.ndarray  # the ids of the vocabulary's words that have a vector in the file

    def coverage(self, token_ids: np.ndarray) -> dict[str, float]:
        """``vocabulary_coverage``: the share of the vocabulary's words (not padding and [UNK]) found in the
        file; ``token_coverage``: the share of ``token_ids`` (a split's; padding left out) that were."""
        tokens = token_ids[token_ids > 0]
        words = max(len(self.matrix) - SPECIAL_TOKENS, 1)
        return {
            "vocabulary_coverage": len(self.found) / words,
            "token_coverage": float(np.isin(tokens, self.found).mean()) if tokens.size else 0.0,
        }


def embedding_matrix(path: str | Path, vocabulary: Sequence[str], *, seed: int) -> Pretrained:
    """The embedding's starting weights, ``[len(vocabulary), dimension]``, from the vectors file ``path``.

    Row ``i`` is the file's vector of ``vocabulary[i]`` where it has one (its first, if the word
    repeats), else of its lower-case spelling (GloVe's words are all lower-case: a tokenizer that keeps
    case finds "Paris" as "paris"); other words start random, normal with the found vectors' mean and standard deviation
    (seeded by ``seed``), so that they are on the vectors' scale; row 0, padding, is zeros. Rows of
    different lengths, or text that is not numbers, raise :class:`~textrnn.errors.TextrnnError`
    naming the file and line.
    """
    path = Path(path)
    index = {word: i for i, word in enumerate(vocabulary) if i >= SPECIAL_TOKENS}
    wanted = set(index) | {word.lower() for word in index}
    width: int | None = None
    vectors_of: dict[str, np.ndarray] = {}
    for number, word, numbers in _rows(path):
        if width is None:
            width, first = len(numbers), number
        if len(numbers) != width or width == 0:
            raise TextrnnError(
                f"{path}:{number}: {len(numbers)} numbers where line {first} has {width}; every vector must have "
                "the same length"
            )
        if word in wanted and word not in vectors_of:
            try:
                vectors_of[word] = np.asarray(numbers, dtype=np.float32)
            except ValueError:
                raise TextrnnError(f"{path}:{number}: the vector of {word[:40]!r} is not numbers") from None
    if width is None:
        raise TextrnnError(f"{path}: holds no vectors; give a GloVe, word2vec or fastText .vec text file")
    found = {
        row: vectors_of[word] if word in vectors_of else vectors_of[word.lower()]
        for word, row in index.items()
        if word in vectors_of or word.lower() in vectors_of
    }
    vectors = np.stack(list(found.values())) if found else np.zeros((1, width), np.float32)
    rng = np.random.default_rng(seed)
    matrix = rng.normal(vectors.mean(), vectors.std() or 1.0, (len(vocabulary), width)).astype(np.float32)
    matrix[0] = 0.0
    for row, vector in found.items():
        matrix[row] = vector
    return Pretrained(matrix, np.array(sorted(found), dtype=np.int64))
