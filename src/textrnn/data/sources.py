"""Where text comes from: labelled CSV / TSV / JSONL files or a TFDS dataset, or plain text files
for a language model.

Each reader returns :class:`Splits`: ``train``, ``validation`` and ``test`` lists of
``(text, label_index)`` plus the label names. Every problem with the input raises
:class:`~textrnn.errors.TextrnnError` naming the file, line or field and the fix.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import socket
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlparse

import numpy as np

from textrnn import choices
from textrnn.errors import ArgumentError, TextrnnError

SPLITS = ("train", "validation", "test")
Example = tuple[str, int]
HTML_TAG = re.compile(r"<[^<>]{1,100}>")  # a tag such as IMDB's <br />


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_file(path: Path, mode: str, **text_args: Any) -> IO[Any]:
    """``path`` opened as ``open`` would, decompressed where it is gzip (told by its bytes, not its name)."""
    if _is_gzip(path):
        return gzip.open(path, mode if "b" in mode else mode + "t", **text_args)
    return path.open(mode, **text_args)


@dataclass(frozen=True)
class Splits:
    """Labelled texts: ``(text, label index)`` examples per split, and the classes' names."""

    train: list[Example]
    validation: list[Example]
    test: list[Example]
    label_names: tuple[str, ...]

    def items(self) -> Iterator[tuple[str, list[Example]]]:
        for name in SPLITS:
            yield name, getattr(self, name)

    def rows(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Each split's examples as the dataset on disk holds them: ``{"text", "label"}``."""
        for name, examples in self.items():
            yield name, [{"text": text, "label": label} for text, label in examples]

    def check_not_empty(self, where: str) -> None:
        for name, examples in self.items():
            if not examples:
                raise TextrnnError(f"{where}: split '{name}' is empty; give it examples or change the split policy")

    def quality(self) -> dict[str, dict[str, int]]:
        """Per split, what trains but deserves a look: ``blank_texts`` (empty or whitespace only) and
        ``classes`` (how many labels occur; one makes macro-F1 count the absent class as 0)."""
        return {
            name: {
                "blank_texts": sum(1 for text, _ in examples if not text.strip()),
                "classes": len({label for _, label in examples}),
            }
            for name, examples in self.items()
        }


@dataclass(frozen=True)
class Corpus:
    """Plain text for a language model: each split one text, cut from one stream. It has no labels —
    a language model's targets are the text's own next tokens — so no classes."""

    train: str
    validation: str
    test: str
    label_names: ClassVar[tuple[str, ...]] = ()

    def items(self) -> Iterator[tuple[str, list[str]]]:
        """Each split as a list of its one text (none where it is empty)."""
        for name in SPLITS:
            yield name, [getattr(self, name)] if getattr(self, name) else []

    def rows(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Each split as the dataset on disk holds it: one ``{"text"}`` row."""
        for name, texts in self.items():
            yield name, [{"text": text} for text in texts]

    def check_not_empty(self, where: str) -> None:
        for name, texts in self.items():
            if not texts:
                raise TextrnnError(f"{where}: split '{name}' is empty; give it text or change split_fractions")

    def quality(self) -> dict[str, dict[str, int]]:
        """As :meth:`Splits.quality`: ``blank_texts`` (a split of whitespace only), ``classes`` (none)."""
        return {name: {"blank_texts": sum(not t.strip() for t in texts), "classes": 0} for name, texts in self.items()}


@dataclass(frozen=True)
class FileSpec:
    """One labelled file and, where they differ from the dataset's, its column names."""

    path: str
    text_column: str | None = None
    label_column: str | None = None


def read_labelled_file(
    spec: FileSpec,
    *,
    file_format: str,
    text_column: str,
    label_column: str,
    label_names: Sequence[str],
    label_values: Sequence[str] | None = None,
    encoding: str = "utf-8",
    strip_html: bool = False,
) -> list[Example]:
    """Read ``(text, label_index)`` rows from a CSV, TSV (header row) or JSONL file, plain or gzip.

    ``label_values`` spells each class as it appears in the file, in ``label_names`` order
    (e.g. ``["0", "1"]``); without it the file holds the names themselves. ``strip_html`` turns
    each HTML tag (IMDB's ``<br />``) into a space.
    """
    rows = read_rows(
        spec, file_format=file_format, text_column=text_column, label_column=label_column, encoding=encoding
    )
    return label_rows(
        rows, Path(spec.path), spec.label_column or label_column, label_names, label_values, strip_html=strip_html
    )


Row = tuple[int, str, str]  # line number, text, label as the file spells it


def read_rows(spec: FileSpec, *, file_format: str, text_column: str, label_column: str, encoding: str) -> list[Row]:
    """The ``(line, text, label)`` rows of a CSV, TSV (header row) or JSONL file, plain or gzip, in
    ``spec``'s columns where it names its own."""
    path = Path(spec.path)
    text_column = spec.text_column or text_column
    label_column = spec.label_column or label_column
    if path.is_dir():
        raise ArgumentError(f"{path}: is a directory; point `files` at a file")
    try:
        path.stat()  # a link to nowhere is "no such file"; a loop of links, or no permission, says so
    except FileNotFoundError:
        raise ArgumentError(f"{path}: no such file; fix `files` or create the file") from None
    except OSError as err:
        raise TextrnnError(f"{path}: cannot read it ({err.strerror}); check that it is a readable file") from None
    # a byte-order mark, as some editors write one, is not part of the header
    reading = "utf-8-sig" if encoding.replace("-", "").lower() == "utf8" else encoding
    try:
        rows = list(_rows(path, file_format, reading, text_column, label_column))
    except UnicodeDecodeError as err:
        raise ArgumentError(decode_error(path, encoding, err)) from None
    except (OSError, EOFError) as err:  # EOFError, gzip.BadGzipFile: a damaged gzip file
        reason = getattr(err, "strerror", None) or err
        raise TextrnnError(f"{path}: cannot read it ({reason}); check that it is a readable file") from None
    if not rows:
        raise ArgumentError(f"{path}: a header but no examples; add rows or leave the file out of `files`")
    return rows


def label_rows(
    rows: Sequence[Row],
    path: Path,
    label_column: str,
    label_names: Sequence[str],
    label_values: Sequence[str] | None = None,
    *,
    strip_html: bool = False,
) -> list[Example]:
    """``rows`` of the file at ``path`` as ``(text, label_index)``: see :func:`read_labelled_file`."""
    spellings = [str(v) for v in (label_values if label_values is not None else label_names)]
    if len(spellings) != len(label_names):
        raise ArgumentError(
            f"`label_values` has {len(spellings)} entries but `label_names` has {len(label_names)}; give one "
            "value per label name, in the same order"
        )
    index = {value: i for i, value in enumerate(spellings)}
    examples = []
    for line, text, label in rows:
        if label not in index:
            raise ArgumentError(
                f"{path}:{line}: unknown label {label!r} in column '{label_column}'; expected one of "
                f"{spellings} — fix the row or set `label_values` / `label_names`"
            )
        examples.append((HTML_TAG.sub(" ", text) if strip_html else text, index[label]))
    return examples


def labels_in(rows: Sequence[Row], path: Path, label_column: str) -> tuple[str, ...]:
    """The distinct labels of ``rows`` (the file at ``path``), in numeric order where all are integers
    (``1, 2, 10``), else in text order; at least two."""
    found = {label for _, _, label in rows}
    if len(found) < 2:
        raise ArgumentError(
            f"{path}: column '{label_column}' holds one label, {next(iter(found))!r}; a classifier needs two or "
            "more — check `label_column`"
        )
    numeric = all(re.fullmatch(r"[+-]?\d+", label) for label in found)
    return tuple(sorted(found, key=int) if numeric else sorted(found))


def decode_error(path: Path, encoding: str, err: UnicodeDecodeError) -> str:
    """Where the first undecodable byte is: line and byte offset in the file (the decoder's is per chunk)."""
    offset = 0
    with open_file(path, "rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as bad:
                return (
                    f"{path}:{line_number}: not valid {encoding} ({bad.reason} at byte {offset + bad.start} of the "
                    f"file); set `encoding` to the file's encoding"
                )
            offset += len(line)
    return f"{path}: not valid {encoding} ({err.reason}); set `encoding` to the file's encoding"


def _rows(
    path: Path, file_format: str, encoding: str, text_column: str, label_column: str
) -> Iterator[tuple[int, str, str]]:
    if file_format == "jsonl":
        yield from _jsonl_rows(path, encoding, text_column, label_column)
    elif file_format in ("csv", "tsv"):
        yield from _table_rows(path, file_format, encoding, text_column, label_column)
    else:
        raise ArgumentError(f"`file_format`: unknown format {file_format!r}; use one of {list(choices.FILE_FORMATS)}")


def _table_rows(
    path: Path, file_format: str, encoding: str, text_column: str, label_column: str
) -> Iterator[tuple[int, str, str]]:
    csv.field_size_limit(sys.maxsize)  # the default, 131,072 characters, is shorter than some reviews
    with open_file(path, "r", newline="", encoding=encoding) as handle:
        if file_format == "tsv":  # TSV as GLUE writes it: no quoting, quotes are text
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(handle, strict=True)  # a quote left open to the end of the file is an error
        header = next(reader, None)
        if header is None:
            raise TextrnnError(f"{path}: the file is empty; it needs a header row and examples")
        columns = {name.strip(): i for i, name in enumerate(header)}
        for wanted, field in ((text_column, "text_column"), (label_column, "label_column")):
            if wanted not in columns:
                raise ArgumentError(
                    f"{path}:1: no column '{wanted}' (the header has {list(columns)}); "
                    f"set `{field}`, or this file's own in `files`"
                )
        end = reader.line_num
        while True:
            start = end + 1  # the line this row starts on; a quoted field may run over several
            try:
                row = next(reader, None)
            except csv.Error as err:
                problem = "is never closed" if "unexpected end of data" in str(err) else f"is malformed ({err})"
                raise TextrnnError(
                    f"{path}:{start}: a quote opens a field on this line and {problem}; close it, or double it "
                    f'("") if it is part of the text'
                ) from None
            if row is None:
                return
            end = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise TextrnnError(
                    f"{path}:{start}: malformed row: {len(row)} fields where the header has "
                    f"{len(header)} ({', '.join(header)}); fix or remove the row"
                )
            if end > start and _holds_rows(row, reader.dialect, len(header)):
                raise TextrnnError(
                    f"{path}:{start}: a quote opens a field on this line and closes on line {end}, merging "
                    f'lines {start}–{end} into one row; close the quote on its own line, or double it ("") if it is '
                    f"part of the text"
                )
            yield start, row[columns[text_column]], row[columns[label_column]].strip()


def _holds_rows(row: list[str], dialect: type[csv.Dialect] | csv.Dialect, width: int) -> bool:
    """Whether a field that runs over several lines holds whole rows: a stray quote, not a quoted newline."""
    inner = [line for field in row for line in field.split("\n")[1:]]
    return any(len(next(csv.reader([line], dialect), [])) == width for line in inner)


def json_records(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSON Lines file (plain or gzip), one a line, with their line numbers; blank
    lines are skipped; a line that is not a JSON object raises :class:`TextrnnError` naming it."""
    with open_file(path, "r", encoding=encoding) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise TextrnnError(
                    f"{path}:{line_number}: malformed JSON ({err.msg}); fix or remove the line"
                ) from None
            if not isinstance(record, dict):
                raise TextrnnError(f"{path}:{line_number}: expected a JSON object, got {type(record).__name__}")
            yield line_number, record


def json_text(path: Path, line_number: int, record: dict[str, Any], field: str, argument: str) -> str:
    """``record``'s text in ``field`` (the caller's argument ``argument`` names it), checked to be a string."""
    if field not in record:
        raise ArgumentError(
            f"{path}:{line_number}: no field '{field}' (the record has {list(record)}); set `{argument}`"
        )
    if not isinstance(record[field], str):
        raise TextrnnError(
            f"{path}:{line_number}: field '{field}' is {json.dumps(record[field])[:40]}, not a string; give the "
            "text as a JSON string"
        )
    return record[field]


def _jsonl_rows(path: Path, encoding: str, text_column: str, label_column: str) -> Iterator[tuple[int, str, str]]:
    for line_number, record in json_records(path, encoding):
        text = json_text(path, line_number, record, text_column, "text_column")
        if label_column not in record:
            raise ArgumentError(
                f"{path}:{line_number}: no field '{label_column}' (the record has {list(record)}); set `label_column`"
            )
        yield line_number, text, str(record[label_column]).strip()


def split_off(
    examples: list[Example], fractions: Mapping[str, float], seed: int, *, by: str = "row"
) -> tuple[list[Example], dict[str, list[Example]]]:
    """Shuffle ``examples`` with ``seed`` and carve out ``fractions`` of them as named splits.

    ``by="row"`` carves rows. ``by="sentence"`` is for phrase-labelled data such as SST, whose rows
    are sentences and labelled phrases of them (runs of their whitespace-separated words): it carves
    ``fractions`` of the *sentences* — the texts no other row contains — and a carved split holds
    those whole sentences only. A phrase stays where it also occurs in a sentence that stays, and is
    dropped where it occurs in carved sentences alone: no part of a carved sentence is trained on,
    as no part of a test sentence is.
    """
    total = sum(fractions.values())
    if total >= 1.0:
        raise TextrnnError(f"dataset split fractions {dict(fractions)} add up to {total}; keep them below 1")
    if by not in choices.SPLIT_BY:
        raise ValueError(f"by must be one of {list(choices.SPLIT_BY)}, got {by!r}")
    if by == "row":
        *parts, rest = deal(len(examples), fractions.values(), seed)
        return [examples[i] for i in rest], {
            name: [examples[i] for i in part] for name, part in zip(fractions, parts, strict=True)
        }
    words = [tuple(text.split()) for text, _ in examples]
    sentences = _sentences(words)
    *parts, rest = deal(len(sentences), fractions.values(), seed)
    carved = {}
    for name, part in zip(fractions, parts, strict=True):
        chosen = {sentences[i] for i in part}
        carved[name] = [example for example, run in zip(examples, words, strict=True) if run in chosen]
    kept = RunIndex(sentences[i] for i in rest)
    held = RunIndex(sentences[i] for part in parts for i in part)
    return [example for example, run in zip(examples, words, strict=True) if run in kept or run not in held], carved


def deal(count: int, fractions: Iterable[float], seed: int) -> list[np.ndarray]:
    """A seeded permutation of ``range(count)`` cut into a part per fraction, and the rest last."""
    order = np.random.default_rng(seed).permutation(count)
    return np.split(order, np.cumsum([round(fraction * count) for fraction in fractions]))


class RunIndex:
    """Which word sequences are runs (consecutive words) of texts added so far: a suffix automaton
    over the texts, each followed by a separator no word equals (Blumer et al. 1985).

    Adding a text and asking about one both take time linear in its length, and the index holds
    at most two states per word added: memory linear in the total length of the texts (listing
    every run of an n-word text instead takes n² runs of up to n words).

    Example:

    >>> index = RunIndex([("a", "fine", "film"), ("dull",)])
    >>> ("fine", "film") in index, ("film", "dull") in index, () in index
    (True, False, True)
    """

    _SEPARATOR = None  # between texts: no run of words crosses it

    def __init__(self, texts: Iterable[Sequence[str]] = ()) -> None:
        self._next: list[dict[str | None, int]] = [{}]  # per state, its transitions
        self._link: list[int] = [-1]  # per state, its suffix link
        self._length: list[int] = [0]  # per state, the length of its longest run
        self._last = 0
        for text in texts:
            self.add(text)

    def add(self, text: Sequence[str]) -> None:
        """Index every run of ``text``."""
        for word in text:
            self._extend(word)
        self._extend(self._SEPARATOR)

    def __contains__(self, run: object) -> bool:
        state = 0
        for word in run:  # type: ignore[attr-defined]
            state = self._next[state].get(word, -1)
            if state < 0:
                return False
        return True

    def _extend(self, word: str | None) -> None:
        nexts, link, length = self._next, self._link, self._length
        current = len(nexts)
        nexts.append({})
        link.append(0)
        length.append(length[self._last] + 1)
        state = self._last
        while state != -1 and word not in nexts[state]:
            nexts[state][word] = current
            state = link[state]
        if state != -1:
            target = nexts[state][word]
            if length[state] + 1 == length[target]:
                link[current] = target
            else:
                clone = len(nexts)
                nexts.append(dict(nexts[target]))
                link.append(link[target])
                length.append(length[state] + 1)
                while state != -1 and nexts[state].get(word) == target:
                    nexts[state][word] = clone
                    state = link[state]
                link[target] = link[current] = clone
        self._last = current


def _sentences(texts: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The distinct texts that are no run of another text, in order of first occurrence.

    Longest first: a text inside a longer one is inside a sentence found before it, so only the
    sentences go into the index of runs. An empty text counts as a sentence of its own."""
    distinct = list(dict.fromkeys(texts))
    sentences: set[tuple[str, ...]] = set()
    covered = RunIndex()
    for text in sorted(distinct, key=len, reverse=True):
        if not text or text not in covered:
            sentences.add(text)
            covered.add(text)
    return [text for text in distinct if text in sentences]


def carved_splits(files: Collection[str], split_fractions: Mapping[str, float]) -> dict[str, float]:
    """The splits ``files`` (split names) gives no file, each with the fraction of train that
    ``split_fractions`` carves out for it; an unknown split, no train file or a split with neither is
    an :class:`ArgumentError`."""
    unknown = set(files) - set(SPLITS)
    if unknown:
        raise ArgumentError(f"`files`: unknown split(s) {sorted(unknown)}; use {list(SPLITS)}")
    if "train" not in files:
        raise ArgumentError("`files`: no 'train' file; every dataset needs one")
    absent = [name for name in SPLITS if name not in files and name not in split_fractions]
    if absent:
        raise ArgumentError(
            f"no {' or '.join(absent)} split: give `files.{absent[0]}`, or carve it out of train "
            f"with `split_fractions.{absent[0]}` (e.g. 0.1)"
        )
    missing = {name: split_fractions[name] for name in SPLITS if name not in files}
    if sum(missing.values()) >= 1.0:
        raise ArgumentError(f"`split_fractions` {dict(missing)} add up to 1 or more; keep them below 1")
    return missing


def load_files(
    files: Mapping[str, FileSpec],
    *,
    file_format: str,
    text_column: str,
    label_column: str,
    split_fractions: Mapping[str, float],
    split_seed: int,
    label_names: Sequence[str] | None = None,
    label_values: Sequence[str] | None = None,
    split_by: str = "row",
    encoding: str = "utf-8",
    strip_html: bool = False,
) -> Splits:
    """Read a train file and, where given, validation and test files; carve the missing ones out of
    train, by row or by sentence (``split_by``, see :func:`split_off`). Without ``label_names`` the
    classes are the train file's labels (:func:`labels_in`), each file spelling them as they are named.
    See :func:`read_labelled_file` for the rest."""
    missing = carved_splits(files, split_fractions)
    if label_names is None and label_values is not None:
        raise ArgumentError(
            "`label_values` is given without `label_names`; give both (the names, in the values' order), or "
            "neither to take the train file's labels as they are spelled"
        )
    columns = {name: spec.label_column or label_column for name, spec in files.items()}

    def rows_of(name: str) -> list[Row]:
        return read_rows(
            files[name], file_format=file_format, text_column=text_column, label_column=label_column, encoding=encoding
        )

    train_rows = rows_of("train")
    if label_names is None:
        label_names = labels_in(train_rows, Path(files["train"].path), columns["train"])
    read = {  # file by file: the first problem reported is the first file's
        name: label_rows(
            train_rows if name == "train" else rows_of(name),
            Path(spec.path),
            columns[name],
            label_names,
            label_values,
            strip_html=strip_html,
        )
        for name, spec in files.items()
    }
    train, carved = split_off(read["train"], missing, split_seed, by=split_by) if missing else (read["train"], {})
    read.update(carved, train=train)
    return Splits(read["train"], read["validation"], read["test"], tuple(label_names))


def load_text(paths: Sequence[str], *, split_fractions: Mapping[str, float], encoding: str = "utf-8") -> Corpus:
    """Plain text for a language model: ``paths`` end to end, cut at character positions.

    The last ``split_fractions["test"]`` of the text is the test split and the
    ``split_fractions["validation"]`` before it the validation split; the rest, from the start,
    trains. Nothing is shuffled across a cut, so no sentence is on both sides. Line endings are
    read as ``\\n``.
    """
    if not paths:
        raise ArgumentError("`paths`: no files; list the plain-text files to read, e.g. [corpus.txt]")
    unknown = set(split_fractions) - {"validation", "test"}
    if unknown or not all(0.0 < split_fractions.get(name, 0.0) < 1.0 for name in ("validation", "test")):
        raise ArgumentError(
            f"`split_fractions` = {dict(split_fractions)}: plain text needs validation and test, each in (0, 1), "
            "and nothing else, e.g. {validation: 0.05, test: 0.1}"
        )
    if sum(split_fractions.values()) >= 1.0:
        raise ArgumentError(f"`split_fractions` {dict(split_fractions)} add up to 1 or more; keep them below 1")
    text = "".join(read_text(Path(path), encoding) for path in paths)
    test_start = round(len(text) * (1.0 - split_fractions["test"]))
    validation_start = test_start - round(len(text) * split_fractions["validation"])
    pieces = text[:validation_start], text[validation_start:test_start], text[test_start:]
    return Corpus(*pieces)


def read_text(path: Path, encoding: str, argument: str = "paths") -> str:
    """The text of the file at ``path`` (plain or gzip), line endings read as ``\\n``; a missing,
    unreadable, undecodable or empty file raises :class:`TextrnnError` naming it and the caller's
    ``argument`` that lists it."""
    if path.is_dir():
        raise ArgumentError(f"{path}: is a directory; list the text files in it in `{argument}`")
    try:
        with open_file(path, "r", encoding=encoding, newline=None) as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ArgumentError(f"{path}: no such file; fix `{argument}` or create the file") from None
    except UnicodeDecodeError as err:
        raise TextrnnError(decode_error(path, encoding, err)) from None
    except (OSError, EOFError) as err:  # EOFError, gzip.BadGzipFile: a damaged gzip file
        reason = getattr(err, "strerror", None) or err
        raise TextrnnError(f"{path}: cannot read it ({reason}); check that it is a readable file") from None
    if not text.strip():
        raise ArgumentError(f"{path}: holds no text; give it some or leave it out of `{argument}`")
    return text


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def load_tfds(
    name: str,
    *,
    data_dir: str | None,
    splits: Mapping[str, str],
    text_key: str,
    label_key: str,
    download: bool,
) -> Splits:
    """Read a TFDS text-classification dataset; ``splits`` maps ours to TFDS split specs."""
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:  # TFDS raises several types for unknown names
        raise ArgumentError(
            f"`name`: no TFDS dataset {name!r} ({type(err).__name__}); check the name "
            f"against `tfds.list_builders()` or use a files dataset"
        ) from None
    if not builder.is_prepared():
        if not download:
            raise ArgumentError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir}; set `download` to true "
                f"or point `data_dir` at a prepared copy"
            )
        offline_hint = (
            f"offline, prepare it on a machine with internet (`tfds build {name}`) and point "
            f"`data_dir` at the copy, or use a files dataset"
        )
        hosts = sorted({urlparse(url).hostname or "" for url in builder.url_infos or {}} - {""})
        if hosts and not any(_resolves(host) for host in hosts):  # TFDS would retry for minutes
            raise ArgumentError(
                f"cannot download TFDS dataset {name!r}: no address for {', '.join(hosts)}; {offline_hint}"
            )
        try:
            builder.download_and_prepare()
        except Exception as err:  # connection, DNS or download errors
            raise ArgumentError(
                f"could not download TFDS dataset {name!r} ({type(err).__name__}); {offline_hint}"
            ) from None
    features = builder.info.features
    for key, field in ((text_key, "text_key"), (label_key, "label_key")):
        if key not in features:
            raise ArgumentError(f"`{field}`: TFDS dataset {name!r} has no feature {key!r} (it has {list(features)})")
    label_names = tuple(features[label_key].names)
    loaded = {}
    for ours, spec in splits.items():
        try:
            dataset = builder.as_dataset(split=spec)
        except Exception as err:
            raise ArgumentError(f"`splits.{ours}`: TFDS cannot read split {spec!r} of {name!r}: {err}") from None
        loaded[ours] = [(row[text_key].decode("utf-8"), int(row[label_key])) for row in tfds.as_numpy(dataset)]
    for ours, examples in loaded.items():
        if any(label < 0 for _, label in examples):
            raise ArgumentError(
                f"`splits.{ours}`: TFDS split {splits[ours]!r} of {name!r} is unlabelled (label -1); "
                f"use a labelled split"
            )
    missing = [s for s in SPLITS if s not in loaded]
    if missing:
        raise ArgumentError(f"`splits`: give a TFDS split for {missing}, e.g. train: 'train[:90%]'")
    return Splits(loaded["train"], loaded["validation"], loaded["test"], label_names)
