"""Tagged sentences for sequence labelling: one tag per token, read from CoNLL-U or two-column CoNLL files.

Each reader yields :class:`TaggedSentence` rows; :func:`load_tagged` reads the splits' files into
:class:`TaggedSplits`. Every problem with the input raises :class:`~textrnn.errors.TextrnnError`
naming the file and line and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textrnn import choices
from textrnn.choices import CONLLU_FIELDS
from textrnn.data.sources import SPLITS, carved_splits, deal, read_text
from textrnn.errors import ArgumentError, TextrnnError

WORD_ID = re.compile(r"[1-9]\d*")  # a syntactic word; "3-4" is a multi-word token, "8.1" an empty node
RANGE_ID = re.compile(r"[1-9]\d*-[1-9]\d*")
EMPTY_NODE_ID = re.compile(r"\d+\.[1-9]\d*")
INNER_SPACE = re.compile(r"\s+")
NO_BREAK_SPACE = "\u00a0"  # a token's own spaces (UD allows them in some languages) become this: one token


@dataclass(frozen=True)
class TaggedSentence:
    """A sentence's tokens, their tags and the line of each in its file."""

    lines: tuple[int, ...]
    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, words: Sequence[tuple[int, str, str]]) -> TaggedSentence:
        """The sentence of ``(line, token, tag)`` words."""
        lines, tokens, tags = zip(*words, strict=True)
        return cls(lines, tokens, tags)


@dataclass(frozen=True)
class TaggedSplits:
    """Tagged sentences per split — ``(tokens, tag indices)`` — and the tags' names (index = tag id).

    On disk (:func:`textrnn.data.store.save_splits`) a sentence is its tokens joined by single spaces
    (``text``) and its tag ids (``tags``): a whitespace tokenizer gives back one id per tag.
    """

    train: list[tuple[tuple[str, ...], tuple[int, ...]]]
    validation: list[tuple[tuple[str, ...], tuple[int, ...]]]
    test: list[tuple[tuple[str, ...], tuple[int, ...]]]
    label_names: tuple[str, ...]

    def items(self) -> Iterator[tuple[str, list[tuple[tuple[str, ...], tuple[int, ...]]]]]:
        for name in SPLITS:
            yield name, getattr(self, name)

    def rows(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Each split as the dataset on disk holds it: ``{"text", "tags"}``."""
        for name, sentences in self.items():
            yield name, [{"text": " ".join(tokens), "tags": list(tags)} for tokens, tags in sentences]

    def check_not_empty(self, where: str) -> None:
        for name, sentences in self.items():
            if not sentences:
                raise TextrnnError(f"{where}: split '{name}' is empty; give it sentences or change split_fractions")

    def quality(self) -> dict[str, dict[str, int]]:
        """As :meth:`textrnn.data.sources.Splits.quality`, of sentences: ``blank_texts`` (none can be:
        every sentence has a token) and ``classes`` (how many tags occur in the split)."""
        return {
            name: {"blank_texts": 0, "classes": len({tag for _, tags in sentences for tag in tags})}
            for name, sentences in self.items()
        }


def read_conllu(path: Path, *, column: str = "upos", encoding: str = "utf-8") -> list[TaggedSentence]:
    """The sentences of a CoNLL-U file, each word's tag taken from ``column`` (a field name of
    :data:`textrnn.choices.CONLLU_FIELDS`; ``upos``: the universal part-of-speech tags).

    As the format says: ``#`` lines are comments; a blank line ends a sentence; the syntactic words
    (integer ids) are the tokens — a multi-word token's range line (``3-4 don't``) and an empty
    node (``8.1``) are skipped. A token's spaces become no-break spaces, so it stays one token.
    """
    if column not in CONLLU_FIELDS[1:]:
        raise ArgumentError(f"`column` = {column!r}: not a CoNLL-U field; use one of {list(CONLLU_FIELDS[1:])}")
    field = CONLLU_FIELDS.index(column)
    sentences: list[TaggedSentence] = []
    words: list[tuple[int, str, str]] = []

    for number, line in [*_lines(path, encoding), (0, "")]:  # a blank line after the last: it ends a sentence
        if not line.strip():
            if words:
                sentences.append(TaggedSentence.of(words))
                words.clear()
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != len(CONLLU_FIELDS):
            raise TextrnnError(
                f"{path}:{number}: malformed CoNLL-U line: {len(fields)} tab-separated fields where the format has "
                f"{len(CONLLU_FIELDS)} ({', '.join(CONLLU_FIELDS).upper()}); fix or remove the line"
            )
        if RANGE_ID.fullmatch(fields[0]) or EMPTY_NODE_ID.fullmatch(fields[0]):
            continue
        if not WORD_ID.fullmatch(fields[0]):
            raise TextrnnError(
                f"{path}:{number}: malformed CoNLL-U line: ID {fields[0]!r} is neither a word's number, a range "
                "(3-4) nor an empty node (8.1); fix the line"
            )
        if int(fields[0]) != len(words) + 1:
            raise TextrnnError(
                f"{path}:{number}: word ID {fields[0]} follows word {len(words)}; number a sentence's words 1, 2, … "
                "and end each sentence with a blank line"
            )
        if not fields[1].strip():
            raise TextrnnError(
                f"{path}:{number}: word {fields[0]} has an empty FORM; give the word, or remove the line"
            )
        tag = fields[field].strip()
        if not tag or tag == "_":
            raise TextrnnError(
                f"{path}:{number}: word {fields[1]!r} has no {column.upper()} ('{fields[field]}'); tag it, or set "
                "`column` to a field every word has"
            )
        words.append((number, INNER_SPACE.sub(NO_BREAK_SPACE, fields[1].strip()), tag))
    return sentences


def read_conll(path: Path, *, encoding: str = "utf-8") -> list[TaggedSentence]:
    """The sentences of a two-column CoNLL file: ``token<TAB>tag`` lines (or columns separated by
    spaces, the tag last, as CoNLL-2003 writes them), a blank line between sentences; CoNLL-2003's
    ``-DOCSTART-`` lines are skipped."""
    sentences: list[TaggedSentence] = []
    words: list[tuple[int, str, str]] = []
    for number, line in [*_lines(path, encoding), (0, "")]:
        if not line.strip():
            if words:
                sentences.append(TaggedSentence.of(words))
                words.clear()
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if fields[0] == "-DOCSTART-":
            continue
        if len(fields) == len(CONLLU_FIELDS) and WORD_ID.fullmatch(fields[0]):  # else its ID would be the token
            raise ArgumentError(
                f"{path}:{number}: a CoNLL-U line (ten tab-separated fields, the first a word's number) in a "
                "two-column file; set `file_format` to conllu"
            )
        if len(fields) < 2 or not fields[0].strip() or not fields[-1].strip():
            raise TextrnnError(
                f"{path}:{number}: malformed line {line[:60]!r}: expected a token and its tag, tab-separated; fix "
                "the line, or end the sentence with a blank line"
            )
        words.append((number, INNER_SPACE.sub(NO_BREAK_SPACE, fields[0].strip()), fields[-1].strip()))
    return sentences


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    yield from enumerate(read_text(path, encoding, "files").split("\n"), start=1)


def read_tagged(path: Path, *, file_format: str, column: str = "upos", encoding: str = "utf-8") -> list[TaggedSentence]:
    """The sentences of a ``conllu`` or ``conll`` (two-column) file: :func:`read_conllu`, :func:`read_conll`."""
    if file_format == "conllu":
        sentences = read_conllu(path, column=column, encoding=encoding)
    elif file_format == "conll":
        sentences = read_conll(path, encoding=encoding)
    else:
        raise ArgumentError(f"`file_format`: unknown format {file_format!r}; use one of {list(choices.TAGGED_FORMATS)}")
    if not sentences:
        raise ArgumentError(f"{path}: holds no sentences; give it some or leave it out of `files`")
    return sentences


def load_tagged(
    files: Mapping[str, str],
    *,
    file_format: str,
    split_fractions: Mapping[str, float],
    split_seed: int,
    column: str = "upos",
    tag_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
) -> TaggedSplits:
    """Read a train file and, where given, validation and test files (paths by split); carve the
    missing ones out of train's sentences (``split_fractions``, shuffled with ``split_seed``).

    The tags are ``tag_names`` or, without them, the train file's tags in text order; a tag of
    another file that is not among them is an error naming its line — a model cannot predict a tag
    it never trained on.
    """
    missing = carved_splits(files, split_fractions)
    read = {
        name: read_tagged(Path(path), file_format=file_format, column=column, encoding=encoding)
        for name, path in files.items()
    }
    names = tuple(tag_names) if tag_names is not None else tuple(sorted({t for s in read["train"] for t in s.tags}))
    index = {name: i for i, name in enumerate(names)}
    splits: dict[str, list[tuple[tuple[str, ...], tuple[int, ...]]]] = {}
    for name, sentences in read.items():
        for sentence in sentences:
            for line, tag in zip(sentence.lines, sentence.tags, strict=True):
                if tag not in index:
                    where = "the train file's tags" if tag_names is None else "`tag_names`"
                    raise ArgumentError(
                        f"{files[name]}:{line}: tag {tag!r} is not among {where} "
                        f"({', '.join(names)}); a model cannot predict a tag it never trained on — fix the tag, "
                        "or list every tag in `tag_names`"
                    )
        splits[name] = [(s.tokens, tuple(index[tag] for tag in s.tags)) for s in sentences]
    if missing:
        train = splits["train"]
        *parts, rest = deal(len(train), missing.values(), split_seed)
        splits.update({name: [train[i] for i in part] for name, part in zip(missing, parts, strict=True)})
        splits["train"] = [train[i] for i in rest]
    return TaggedSplits(splits["train"], splits["validation"], splits["test"], names)
