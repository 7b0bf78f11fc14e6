"""Reading labelled text from files and TFDS, and what bad input gets told."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipelines.common import compose_config
from pipelines.ingest import read

import pytest
import tensorflow_datasets as tfds

from tests.conftest import SST2, requires_sst2
from textrnn.data import store
from textrnn.data.sources import FileSpec, Splits, load_files, load_tfds, read_labelled_file, split_off
from textrnn.errors import TextrnnError

LABELS = ["negative", "positive"]


def _write(path: Path, text: str) -> FileSpec:
    path.write_text(text, encoding="utf-8")
    return FileSpec(str(path))


def _read(spec: FileSpec, file_format: str = "csv", **kwargs) -> list:
    args = dict(text_column="text", label_column="label", label_names=LABELS) | kwargs
    return read_labelled_file(spec, file_format=file_format, **args)


def test_csv_tsv_and_jsonl_read_the_same_examples(tmp_path):
    csv_spec = _write(tmp_path / "a.csv", 'label,text\npositive,"fine, really"\nnegative,bad\n')
    tsv_spec = _write(tmp_path / "a.tsv", "label\ttext\r\npositive\tfine, really\r\nnegative\tbad\r\n")
    jsonl_spec = _write(
        tmp_path / "a.jsonl", '{"label": "positive", "text": "fine, really"}\n\n{"label": "negative", "text": "bad"}\n'
    )
    expected = [("fine, really", 1), ("bad", 0)]
    assert _read(csv_spec) == _read(tsv_spec, "tsv") == _read(jsonl_spec, "jsonl") == expected


def test_label_values_map_file_spellings_to_label_names(tmp_path):
    spec = _write(tmp_path / "a.tsv", "label\ttext\n1\tgood\n0\tbad\n")
    assert _read(spec, "tsv", label_values=["0", "1"]) == [("good", 1), ("bad", 0)]


def test_tsv_keeps_quotes_as_text(tmp_path):
    spec = _write(tmp_path / "a.tsv", 'label\ttext\npositive\tthe " best " film\n')
    assert _read(spec, "tsv") == [('the " best " film', 1)]


@pytest.mark.parametrize(
    ("content", "file_format", "kwargs", "message"),
    [
        ("label,words\npositive,x\n", "csv", {}, r"a\.csv:1: no column 'text' \(the header has \['label', 'words'\]\)"),
        ("label,text\npositive,x\nmaybe,y\n", "csv", {}, r"a\.csv:3: unknown label 'maybe' in column 'label'"),
        ("label,text\npositive,x\npositive,x,extra\n", "csv", {}, r"a\.csv:3: malformed row: 3 fields"),
        ("", "csv", {}, r"a\.csv: the file is empty"),
        ('{"label": "positive", "text": "x"}\n{oops\n', "jsonl", {}, r"a\.jsonl:2: malformed JSON"),
        ('{"label": "positive"}\n', "jsonl", {}, r"a\.jsonl:1: no field 'text'"),
        ("label,text\n", "xml", {}, r"`file_format`: unknown format 'xml'"),
        ("label,text\n1,x\n", "csv", {"label_values": ["1"]}, r"`label_values` has 1 entries"),
    ],
    ids=["missing_column", "unknown_label", "malformed_row", "empty_file", "bad_json", "missing_field",
         "unknown_format", "label_values_length"],
)  # fmt: skip
def test_bad_files_get_errors_naming_file_line_and_field(tmp_path, content, file_format, kwargs, message):
    suffix = "jsonl" if file_format == "jsonl" else "csv"
    spec = _write(tmp_path / f"a.{suffix}", content)
    with pytest.raises(TextrnnError, match=message):
        _read(spec, file_format, **kwargs)


def test_missing_file_and_wrong_encoding(tmp_path):
    with pytest.raises(TextrnnError, match=r"nope\.csv: no such file; fix `files` or create the file"):
        _read(FileSpec(str(tmp_path / "nope.csv")))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("label,text\npositive,caf\xe9\n".encode("latin-1"))
    with pytest.raises(
        TextrnnError, match=r"latin\.csv:2: not valid utf-8 \(.* at byte 23 of the file\); set `encoding` to"
    ):
        _read(FileSpec(str(latin)))
    assert _read(FileSpec(str(latin)), encoding="latin-1") == [("café", 1)]


def test_invalid_utf8_deep_in_a_large_file_is_reported_at_its_line_and_byte(tmp_path):
    rows = [f"positive,review number {i} was fine" for i in range(2000)]  # about 60 KB: past the decoder's chunk
    content = ("label,text\n" + "\n".join(rows) + "\n").encode()
    bad_line = 1500
    offset = len(("label,text\n" + "\n".join(rows[: bad_line - 2]) + "\n").encode()) + len("positive,")
    spec = FileSpec(str(tmp_path / "big.csv"))
    Path(spec.path).write_bytes(content[:offset] + b"\xff" + content[offset:])
    with pytest.raises(
        TextrnnError, match=rf"big\.csv:{bad_line}: not valid utf-8 \(invalid start byte at byte {offset} "
    ):
        _read(spec)


def test_long_fields_and_a_byte_order_mark_are_read_as_written(tmp_path):
    long_text = "word " * 40_000  # 200,000 characters: past csv's default field size limit
    spec = FileSpec(str(tmp_path / "a.csv"))
    Path(spec.path).write_text(f"label,text\npositive,{long_text}\n", encoding="utf-8-sig")  # with a BOM
    assert _read(spec) == [(long_text, 1)]
    tsv = _write(tmp_path / "a.tsv", f"label\ttext\nnegative\t{long_text}\n")
    assert _read(tsv, "tsv") == [(long_text, 0)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'label,text\npositive,"a stray quote\nnegative,bad\npositive,good"\nnegative,worse\n',
            r"a\.csv:2: a quote opens a field on this line and closes on line 4, merging lines 2–4 into one row",
        ),
        (
            'label,text\npositive,fine\nnegative,"never closed\npositive,good\n',
            r"a\.csv:3: a quote opens a field on this line and is never closed",
        ),
        ("label,text\n", r"a\.csv: a header but no examples"),
    ],
    ids=["stray_quote", "unclosed_quote", "header_only"],
)
def test_quotes_that_swallow_rows_and_header_only_files_are_refused(tmp_path, content, message):
    with pytest.raises(TextrnnError, match=message):
        _read(_write(tmp_path / "a.csv", content))


def test_a_quoted_newline_inside_one_text_is_kept(tmp_path):
    spec = _write(tmp_path / "a.csv", 'label,text\npositive,"two\nlines"\nnegative,bad\n')
    assert _read(spec) == [("two\nlines", 1), ("bad", 0)]


@pytest.mark.parametrize("value", ["null", "3", '["a", "list"]'])
def test_a_jsonl_text_that_is_not_a_string_is_refused(tmp_path, value):
    spec = _write(
        tmp_path / "a.jsonl", f'{{"label": "positive", "text": "ok"}}\n{{"label": "positive", "text": {value}}}\n'
    )
    with pytest.raises(TextrnnError, match=rf"a\.jsonl:2: field 'text' is {re.escape(value)}, not a string"):
        _read(spec, "jsonl")


def test_a_directory_is_named_as_one(tmp_path):
    with pytest.raises(TextrnnError, match=r": is a directory; point `files` at a file"):
        _read(FileSpec(str(tmp_path)))


def test_a_split_with_neither_file_nor_fraction_is_refused(tmp_path):
    spec = _write(tmp_path / "a.csv", "label,text\npositive,good\nnegative,bad\n")
    with pytest.raises(TextrnnError, match=r"^no test split: give `files\.test`, or carve it out"):
        load_files(
            {"train": spec},
            label_names=LABELS,
            split_fractions={"validation": 0.5},
            split_seed=0,
            file_format="csv",
            text_column="text",
            label_column="label",
        )


def test_seeded_split_carves_validation_and_test_out_of_train(tmp_path):
    rows = "".join(f"{LABELS[i % 2]},text {i}\n" for i in range(100))
    spec = _write(tmp_path / "all.csv", "label,text\n" + rows)

    def load(seed):
        return load_files(
            {"train": spec}, label_names=LABELS, split_fractions={"validation": 0.1, "test": 0.2}, split_seed=seed,
            file_format="csv", text_column="text", label_column="label",
        )  # fmt: skip

    splits = load(3)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (70, 10, 20)
    assert sorted(splits.train + splits.validation + splits.test) == sorted(_read(spec))
    assert load(3) == splits and load(4) != splits


def test_split_by_sentence_holds_out_whole_sentences_and_the_phrases_only_they_contain():
    """SST-like rows: ten sentences, a phrase of each that only it contains, and one shared phrase."""
    sentences = [(f"s{i} one two", i % 2) for i in range(10)]
    own_phrases = [(f"s{i} one", i % 2) for i in range(10)]
    shared = [("one two", 1)]
    rows = sentences + own_phrases + shared
    rest, carved = split_off(rows, {"validation": 0.2}, seed=3, by="sentence")
    validation = carved["validation"]
    assert len(validation) == 2 and set(validation) <= set(sentences)  # whole sentences only
    held = {text.split()[0] for text, _ in validation}
    assert sorted(rest) == sorted(
        [row for row in sentences + own_phrases if row[0].split()[0] not in held] + shared
    )  # the held sentences' own phrases are dropped; the phrase kept sentences share stays
    assert split_off(rows, {"validation": 0.2}, seed=3, by="sentence") == (rest, carved)
    assert split_off(rows, {"validation": 0.2}, seed=4, by="sentence")[1] != carved


def test_split_by_row_and_sentence_agree_where_no_row_contains_another():
    rows = [(f"text {i} words", i % 2) for i in range(50)]
    by_row, by_sentence = (split_off(rows, {"validation": 0.1, "test": 0.2}, 7, by=by) for by in ("row", "sentence"))
    for name in ("validation", "test"):
        assert sorted(by_row[1][name]) == sorted(by_sentence[1][name])
    assert sorted(by_row[0]) == sorted(by_sentence[0])


def test_without_label_names_the_classes_are_the_train_files_labels(tmp_path):
    train = _write(tmp_path / "train.csv", "review,sentiment\ngood,pos\nbad,neg\nso so,neutral\nfine,pos\n")
    test = _write(tmp_path / "test.csv", "review,sentiment\ngreat,pos\nawful,neg\n")

    def load(files, **kwargs):
        return load_files(
            files, split_fractions={"validation": 0.25}, split_seed=0, file_format="csv",
            text_column="review", label_column="sentiment", **kwargs,
        )  # fmt: skip

    splits = load({"train": train, "test": test})
    assert splits.label_names == ("neg", "neutral", "pos")  # in text order
    assert splits.test == [("great", 2), ("awful", 0)]
    assert sorted(splits.train + splits.validation) == [("bad", 0), ("fine", 2), ("good", 2), ("so so", 1)]
    numbers = _write(tmp_path / "stars.csv", "review,sentiment\na,10\nb,2\nc,1\nd,2\n")
    assert load({"train": numbers, "test": numbers}).label_names == ("1", "2", "10")  # integers: in numeric order
    unseen = _write(tmp_path / "unseen.csv", "review,sentiment\ngreat,pos\nodd,mixed\n")
    with pytest.raises(TextrnnError, match=r"unseen\.csv:3: unknown label 'mixed' in column 'sentiment'"):
        load({"train": train, "test": unseen})
    single = _write(tmp_path / "single.csv", "review,sentiment\ngood,pos\nfine,pos\n")
    with pytest.raises(TextrnnError, match=r"single\.csv: column 'sentiment' holds one label, 'pos'; a classifier"):
        load({"train": single, "test": test})
    with pytest.raises(TextrnnError, match=r"^`label_values` is given without `label_names`; give both"):
        load({"train": train, "test": test}, label_values=["0", "1"])


def test_empty_split_is_refused(tmp_path):
    spec = _write(tmp_path / "train.csv", "label,text\npositive,a\nnegative,b\n")
    splits = load_files(
        {"train": spec}, label_names=LABELS, split_fractions={"validation": 0.1, "test": 0.5}, split_seed=0,
        file_format="csv", text_column="text", label_column="label",
    )  # fmt: skip
    with pytest.raises(TextrnnError, match="split 'validation' is empty"):  # 10 % of two examples
        splits.check_not_empty("dataset 'x'")


def test_unknown_source_and_unknown_dataset_choice():
    cfg = compose_config()
    cfg.dataset.source = "ftp"
    with pytest.raises(TextrnnError, match=r"dataset\.source: unknown source 'ftp'"):
        read(cfg.dataset)
    with pytest.raises(TextrnnError, match=r"conf/dataset/nope\.yaml: no such dataset; use one of ag_news_subset, "):
        compose_config(["dataset=nope"])


@requires_sst2
def test_sst2_preset_reads_the_shared_files():
    cfg = compose_config(["dataset=sst2", f"dataset.files.train.path={SST2 / 'train.tsv'}",
                          f"dataset.files.test.path={SST2 / 'dev.tsv'}"])  # fmt: skip
    splits = read(cfg.dataset)
    assert len(splits.validation) == 689  # 10 % of train.tsv's 6,886 sentences (rows no other row contains)
    assert len(splits.train) == 67349 - 689 - 5792  # less the phrases only held-out sentences contain
    assert not {text for text, _ in splits.validation} & {text for text, _ in splits.train}
    assert len(splits.test) == 872
    assert splits.test[0] == ("one long string of cliches .", 0)
    assert not any(text.endswith("\r") for text, _ in splits.train)  # CRLF handled


def test_tfds_source_reads_a_prepared_dataset(tmp_path):
    """imdb_reviews, prepared locally in TFDS's own on-disk format, read through tfds.builder."""
    label = tfds.features.ClassLabel(names=["neg", "pos"])
    features = tfds.features.FeaturesDict({"text": tfds.features.Text(), "label": label})
    rows = [(i, {"text": f"review {i}", "label": i % 2}) for i in range(20)]
    tfds.dataset_builders.store_as_tfds_dataset(
        name="imdb_reviews", config="plain_text", version="1.0.0", features=features,
        split_datasets={"train": rows, "test": rows[:6]}, data_dir=tmp_path,
    )  # fmt: skip
    ours = {"train": "train[:75%]", "validation": "train[75%:]", "test": "test"}
    splits = load_tfds(
        "imdb_reviews", data_dir=str(tmp_path), splits=ours, text_key="text", label_key="label", download=False
    )
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (15, 5, 6)
    assert splits.label_names == ("neg", "pos")
    assert sorted(splits.test) == sorted((f"review {i}", i % 2) for i in range(6))
    with pytest.raises(TextrnnError, match=r"`text_key`: TFDS dataset 'imdb_reviews' has no feature 'body'"):
        load_tfds("imdb_reviews", data_dir=str(tmp_path), splits={}, text_key="body", label_key="label", download=False)


def test_tfds_offline_and_unknown_names_fail_fast_with_a_fix(tmp_path):
    with pytest.raises(TextrnnError, match=r"imdb_reviews.*point `data_dir` at"):
        load_tfds("imdb_reviews", data_dir=str(tmp_path), splits={}, text_key="text", label_key="label", download=True)
    with pytest.raises(TextrnnError, match="not prepared in"):
        load_tfds("imdb_reviews", data_dir=str(tmp_path), splits={}, text_key="text", label_key="label", download=False)
    with pytest.raises(TextrnnError, match="no TFDS dataset 'no_such_set'"):
        load_tfds("no_such_set", data_dir=str(tmp_path), splits={}, text_key="text", label_key="label", download=False)


def test_store_round_trip_keeps_splits_and_label_names(tmp_path):
    splits = Splits([("a b", 0), ("c", 1)], [("d", 1)], [("e", 0)], ("neg", "pos"))
    store.save_splits(splits, tmp_path / "ds", name="tiny", description="test")
    assert json.loads((tmp_path / "ds" / "dataset_info.json").read_text())["name"] == "tiny"
    assert store.label_names(tmp_path / "ds") == ["neg", "pos"]
    for name, examples in splits.items():
        read_back = [
            (r["text"].decode(), int(r["label"])) for r in tfds.as_numpy(store.load_split(tmp_path / "ds", name))
        ]
        assert read_back == examples


def test_blank_texts_and_a_split_missing_a_class_are_kept_warned_and_counted(tmp_path, caplog):
    from pipelines import ingest

    train = _write(tmp_path / "train.csv", 'label,text\npositive,good\nnegative,"  "\nnegative,bad\npositive,fine\n')
    test = _write(tmp_path / "test.csv", "label,text\npositive,great\npositive,\n")
    cfg = compose_config([
        "dataset=sst2", "dataset.format=csv", "dataset.text_column=text", "dataset.label_values=[negative,positive]",
        f"dataset.files.train.path={train.path}", f"dataset.files.test.path={test.path}",
        "dataset.files.test.text_column=text", "dataset.split_fractions.validation=0.25",
        f"paths.ingested={tmp_path / 'ingested'}", f"paths.metrics={tmp_path / 'metrics'}",
    ])  # fmt: skip
    with caplog.at_level("WARNING", logger="textrnn"):
        ingest.main(cfg)
    assert json.loads((tmp_path / "metrics" / "ingest.json").read_text()) == {
        "blank_texts": 2,  # "  " in train (or validation) and "" in test
        "splits_missing_a_class": 2,  # test holds positives only; validation holds one example
        "label_names": ["negative", "positive"],
    }
    assert "split 'test' holds 1 of the 2 classes" in caplog.text
    stored = [
        row["text"].decode()
        for split in ("train", "validation")
        for row in tfds.as_numpy(store.load_split(tmp_path / "ingested", split))
    ]
    assert sorted(stored) == ["  ", "bad", "fine", "good"]  # kept as the file holds them


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_cannot_be_read_is_one_line(tmp_path):
    """/proc/self/mem opens but refuses reads (EIO) — unreadable even for root, as the tests run in CI."""
    with pytest.raises(TextrnnError, match=r"^/proc/self/mem: cannot read it \(Input/output error\); check that it is"):
        _read(FileSpec("/proc/self/mem"))
