"""Nothing lost, nothing silently wrong, quiet on every CPU: the cases a hostile-but-fair user tried."""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from pipelines import common
from pipelines.common import ROOT, compose_config

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from tests.conftest import mlflow_runs
from textrnn import atomic, tokenized
from textrnn.atomic import MARKER, exclusive, refusal, replace_directory
from textrnn.data.sources import FileSpec, RunIndex, read_labelled_file, split_off
from textrnn.errors import MAX_MESSAGE, TextrnnError

# TensorFlow's start-up lines: Abseil's (I0000 00:00:1796586852.523141  2390 port.cc:153] …), its notice
# that they go to stderr, and TensorFlow's own format (2026-01-30 22:44:42.456316: I tensorflow/…)
TF_STARTUP = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog|[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ |"
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] )",
    re.M,
)


def _python(code: str, *, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``python -c code`` as a user's shell starts it: none of TensorFlow's variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)}, input=stdin, capture_output=True
    )


def test_tensorflow_says_nothing_at_start_up_or_in_bool_ops_once_textrnn_is_imported(tmp_path):
    """On CPUs with AVX-512 VNNI / BF16 (Intel's Xeons, AMD's EPYCs) TensorFlow turned oneDNN on and said so
    on stderr, through Abseil, whatever TF_CPP_MIN_LOG_LEVEL said; and its bool ops logged E0000 lines."""
    code = textwrap.dedent(
        """
        import textrnn, keras, tensorflow as tf
        print(bool(tf.reduce_any(tf.constant([True, False])).numpy()), keras.layers.Dense(2)(tf.ones((1, 3))).shape)
        """
    )
    result = _python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().split() == ["True", "(1,", "2)"]
    assert not TF_STARTUP.search(result.stderr.decode()), result.stderr.decode()
    assert result.stderr == b""


def test_a_refused_stage_and_textrnn_print_their_one_line_and_no_tensorflow_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.train", "trainer.seed=-1"],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("TF_")}, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == "error: trainer.seed = -1: must be an integer from 0 to 4,294,967,295\n"
    corrupt = tmp_path / "saved_model"
    corrupt.mkdir()
    (corrupt / "saved_model.pb").write_bytes(b"\x00\x01 not a protocol buffer")
    result = _python(
        f"from textrnn import cli; cli.main(['predict', '--model', {str(corrupt)!r}, 'a film'])", cwd=tmp_path
    )
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()  # was a DecodeError traceback
    assert line.startswith(f"textrnn: error: --model {corrupt}: not a SavedModel TensorFlow can load (")
    assert line.endswith("); export it again (`dvc repro`)")


# --- textrnn deletes only what it wrote


def test_refusal_takes_textrnns_own_empty_or_absent_directories_only(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(notes)
    with replace_directory(tmp_path / "ours") as out:
        (out / "a").write_text("1")
    assert refusal(tmp_path / "absent") is None
    assert refusal(tmp_path / "empty") is None
    assert refusal(tmp_path / "ours") is None and (tmp_path / "ours" / MARKER).is_file()
    assert refusal(notes) == f"holds files textrnn did not write (no {MARKER} marker in it)"
    assert (
        refusal(tmp_path / "file")
        == refusal(tmp_path / "link")
        == "is not a directory textrnn wrote (it is a file or a link)"
    )
    assert refusal(tmp_path) is not None  # a project or data folder: files of others


def _train(workdir: Path, tokenized: Path, *overrides: str) -> subprocess.CompletedProcess:
    given = {override.partition("=")[0] for override in overrides}
    paths = [
        f"paths.{k}={workdir / k}" for k in ("models", "metrics", "plots", "checkpoints") if f"paths.{k}" not in given
    ]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.train",
            f"paths.tokenized={tokenized / 'tokenized'}",
            *paths,
            f"tracking.tracking_uri=sqlite:///{workdir / 'mlflow.db'}",
            "trainer.epochs=1",
            "model.units=8",
            "model.embedding_dim=8",
            *overrides,
        ],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )


def test_checkpoints_or_models_naming_a_directory_of_other_files_is_refused_and_kept(tokenized, tmp_path):
    """`paths.checkpoints=../notes` deleted ../notes and everything in it, and the run exited 0."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "plan.md").write_text("my notes")
    for key in ("checkpoints", "models"):
        result = _train(tmp_path, tokenized, f"paths.{key}={notes}")
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"error: paths.{key} = '{notes}': {notes} holds files textrnn did not write (no {MARKER} marker in it), "
            f"and the stage would replace it; point paths.{key} at a new or empty directory, or one textrnn wrote\n"
        )
        assert [p.name for p in notes.iterdir()] == ["plan.md"] and (notes / "plan.md").read_text() == "my notes"
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "checkpoints").exists()


def test_a_second_training_in_the_same_place_stops_at_once_and_touches_nothing(tokenized, tmp_path):
    """Two `train` runs in one checkout: the second deleted the first's staging and checkpoints."""
    checkpoints = tmp_path / "checkpoints"
    atomic.own_directory(checkpoints)
    (checkpoints / "backup").mkdir()
    with exclusive(checkpoints):  # as a training running in another process holds it
        result = _train(tmp_path, tokenized)
        assert (checkpoints / "backup").is_dir()  # the other run's checkpoints are still there
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line == (
        f"error: {checkpoints}: another run is writing it (process {os.getpid()}); wait for it to end, or write "
        "elsewhere"
    )
    assert not any((tmp_path / name).exists() for name in ("models", "metrics", "plots", "mlflow.db"))
    assert not any(tmp_path.glob(".*.lock"))  # let go: the lock files are gone with their holders
    assert _train(tmp_path, tokenized).returncode == 0  # and the place is free again
    assert [run.info.status for run in mlflow_runs(tmp_path)] == ["FINISHED"]


def test_a_lock_is_one_holder_at_a_time_and_its_file_goes_with_it(tmp_path):
    code = f"from textrnn.atomic import exclusive\nwith exclusive({str(tmp_path / 'out')!r}): pass"
    with exclusive(tmp_path / "out"):
        assert (tmp_path / ".out.lock").read_text() == f"{os.getpid()}\n"
        busy = _python(code, cwd=tmp_path)
        assert busy.returncode == 1 and b"another run is writing it" in busy.stderr
    assert not (tmp_path / ".out.lock").exists()
    assert _python(code, cwd=tmp_path).returncode == 0


# --- sentence splitting in linear memory


def test_the_sentence_split_of_a_40000_word_text_stays_within_100_mb(tmp_path):
    """Listing every run of every text took 728 MB for one 800-word text, and grew with the cube of its length."""
    code = textwrap.dedent(
        """
        import random, resource
        from textrnn.data.sources import split_off
        rng = random.Random(0)
        words = [f"w{rng.randrange(5000)}" for _ in range(40_000)]
        examples = [(" ".join(words), 1), (" ".join(words[100:200]), 0), *((f"s{i} t{i}", i % 2) for i in range(50))]
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        train, carved = split_off(examples, {"validation": 0.2}, 1, by="sentence")
        print(len(train), len(carved["validation"]), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    result = _python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    kept, held, grown_kib = map(int, result.stdout.split())
    assert kept + held == 52  # every sentence in one split or the other; the phrase stays with its sentence
    assert grown_kib < 100 * 1024


def test_the_run_index_answers_as_listing_every_run_would():
    texts = [("a", "b", "a", "c"), ("b", "b"), ()]
    index = RunIndex(texts)
    runs = {t[i:j] for t in texts for i in range(len(t)) for j in range(i + 1, len(t) + 1)}
    words = ("a", "b", "c", "d")
    candidates = {(x,) for x in words} | {(x, y) for x in words for y in words}
    candidates |= {(x, y, z) for x in words for y in words for z in words} | {("a", "b", "a", "c")}
    for candidate in candidates:
        assert (candidate in index) == (candidate in runs), candidate
    assert ("c", "b") not in index  # no run crosses from one text into the next


def test_sentence_split_holds_out_whole_sentences_without_their_phrases():
    examples = [("a good film", 1), ("good film", 1), ("a bad plot", 0), ("bad", 0), ("a", 1)]
    train, carved = split_off(examples, {"validation": 0.5}, 0, by="sentence")
    [held] = carved["validation"]
    assert held in (examples[0], examples[2])
    other = examples[2] if held == examples[0] else examples[0]
    held_only = [e for e in examples[1:4:2] if e[0] in held[0] and e[0] not in other[0]]
    assert other in train and ("a", 1) in train and not set(held_only) & set(train)


# --- silently wrong, unbounded, unreadable


def test_a_served_text_that_is_not_a_string_is_refused_not_coerced(pipeline_run):
    cfg, workdir = pipeline_run
    run_id = json.loads((Path(cfg.paths.models) / "mlflow_run.json").read_text())["run_id"]
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    assert model.predict(pd.DataFrame({"text": ["a fine film"]})).columns[0] == "label"
    with pytest.raises(MlflowException, match=r"column 'text', row 1: 42 is not a string; send each text as a JSON"):
        model.predict(pd.DataFrame({"text": ["a fine film", 42]}))


def test_an_error_quoting_a_huge_field_is_cut_to_a_readable_line(tmp_path):
    """A file of one 50 MB line gave a 52 MB error line."""
    wide = tmp_path / "wide.csv"
    wide.write_text("x" * 1_000_000 + ",label\n")
    with pytest.raises(TextrnnError) as raised:
        read_labelled_file(
            FileSpec(str(wide)), file_format="csv", text_column="text", label_column="label", label_names=["a", "b"]
        )
    message = str(raised.value)
    assert len(message) <= MAX_MESSAGE and "\n" not in message
    assert message.startswith(f"{wide}:1: no column 'text'") and message.endswith("or this file's own in `files`")


def test_a_loop_of_links_is_named_as_such_not_as_a_missing_file(tmp_path):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(TextrnnError, match=r"loop\.csv: cannot read it \(Too many levels of symbolic links\)"):
        read_labelled_file(
            FileSpec(str(loop)), file_format="csv", text_column="t", label_column="l", label_names=["a", "b"]
        )


def test_predict_on_binary_stdin_or_into_a_closed_pipe_ends_without_a_traceback(pipeline_run, tmp_path):
    cfg, _ = pipeline_run
    predict = f"from textrnn import cli; cli.main(['predict', '--model', {cfg.paths.saved_model!r}])"
    binary = _python(predict, cwd=tmp_path, stdin=b"\xff\xfe\x00 not text\n")
    assert binary.returncode == 2
    assert binary.stderr.decode() == (
        "textrnn: error: standard input: not UTF-8 text (invalid start byte at byte 0); give text, one per line\n"
    )
    many = "\n".join(f"review {i}" for i in range(3000)).encode()
    pipe = subprocess.Popen(
        [sys.executable, "-c", predict],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pipe.stdin.write(many)
    pipe.stdin.close()
    assert pipe.stdout.readline().endswith(b"\treview 0\n")
    pipe.stdout.close()  # as `| head -1` does
    assert pipe.wait(timeout=120) == 1
    assert pipe.stderr.read() == b""  # was a BrokenPipeError traceback


def test_a_yaml_syntax_error_in_conf_is_one_line_naming_file_and_line(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    shutil.copytree(common.CONF_DIR, conf)
    (conf / "model" / "broken.yaml").write_text("family: lstm\nunits: [1, 2\n")
    monkeypatch.setattr(common, "CONF_DIR", conf)
    with pytest.raises(TextrnnError) as raised:
        compose_config(["model=broken"])
    assert str(raised.value) == (
        f"{conf}/model/broken.yaml:3: not valid YAML (expected ',' or ']', but got '<stream end>'); fix the file's "
        "syntax"
    )


def test_the_configured_files_are_fingerprinted_for_ingest(tmp_path):
    from pipelines import sources

    data = tmp_path / "reviews.csv"
    data.write_text("label,text\npositive,fine\nnegative,dull\n")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("fine 0.1 0.2\n")  # 2-dimensional: the embedding takes its size (model.embedding_dim=null)
    cfg = compose_config(
        [
            "dataset=sst2",
            f"dataset.files.train.path={data}",
            f"paths.sources={tmp_path / 'sources'}",
            f"model.pretrained_vectors={vectors}",
            "model.embedding_dim=null",
            f"pretrain.files=[{tmp_path / 'corpus.txt'}]",
        ]
    )
    sources.main(cfg)
    first = json.loads((Path(cfg.paths.sources) / "dataset.json").read_text())
    assert set(first) == {str(data), cfg.dataset.files.test.path}
    assert list(json.loads((Path(cfg.paths.sources) / "vectors.json").read_text())) == [str(vectors)]
    assert json.loads((Path(cfg.paths.sources) / "pretrain.json").read_text()) == {str(tmp_path / "corpus.txt"): None}
    with data.open("a") as handle:
        handle.write("positive,great\n")
    sources.main(cfg)
    second = json.loads((Path(cfg.paths.sources) / "dataset.json").read_text())
    assert second[str(data)] != first[str(data)] and len(second[str(data)]) == 32


# --- real data as it comes: gzip JSON Lines with HTML line breaks (IMDB); evaluation that scales


def test_gzip_json_lines_are_read_and_html_tags_dropped(tmp_path):
    path = tmp_path / "reviews.jsonl.gz"  # IMDB's form
    rows = [{"text": "Great film.<br /><br />Loved it", "label": 1}, {"text": "Dull <i>and</i> long", "label": 0}]
    path.write_bytes(gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode()))
    read = functools.partial(
        read_labelled_file,
        FileSpec(str(path)),
        file_format="jsonl",
        text_column="text",
        label_column="label",
        label_names=["negative", "positive"],
        label_values=["0", "1"],
    )
    assert read() == [("Great film.<br /><br />Loved it", 1), ("Dull <i>and</i> long", 0)]
    assert read(strip_html=True) == [("Great film.  Loved it", 1), ("Dull  and  long", 0)]
    path.write_bytes(gzip.compress(b'{"text": "a", "label": 1}\n')[:-12])  # cut short
    with pytest.raises(TextrnnError, match=r"reviews\.jsonl\.gz: cannot read it \(.+\); check that it is a readable"):
        read()


def test_the_gradient_by_lag_reads_a_seeded_sample_of_a_large_test_split(pipeline_run, monkeypatch):
    from textrnn.tasks import base

    cfg, _ = pipeline_run
    test = tokenized.split(cfg.paths.tokenized, "test")
    count = len(tokenized.labels(cfg.paths.tokenized, "test"))
    assert sum(len(b) for b in base.analysis_batches(test, count, 16)) == count  # all of a small split
    monkeypatch.setattr(base, "ANALYSIS_TEXTS", 30)
    first, again = ([row for batch in base.analysis_batches(test, count, 16) for row in batch] for _ in range(2))
    assert len(first) == 30 and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    every = [row for batch in tokenized.batches(test, 16).as_numpy_iterator() for row in batch[0]]
    assert not all(np.array_equal(a, b[: len(a)]) for a, b in zip(first, every, strict=False))  # not the first 30
