"""task=language_model: plain text cut from its end, windows, per-token metrics, generation in the graph
and from a SavedModel in a process that cannot import textrnn, every stage on a tiny text."""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from pipelines.common import compose_config
from pipelines.task import task_of

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import STAGE_PATHS
from textrnn import language_model, models, tokenized, vectorize
from textrnn.atomic import MARKER
from textrnn.data import store
from textrnn.data.sources import load_text
from textrnn.errors import TextrnnError


def verse(lines: int, seed: int = 0) -> str:
    """A tiny play: speakers' names on their own line, then a line of words, as Tiny Shakespeare lays it out."""
    rng = np.random.default_rng(seed)
    speakers = ["ROMEO", "JULIET", "NURSE"]
    words = ["the", "night", "is", "young", "and", "my", "love", "true", "but", "day", "will", "come", "soon"]
    return "".join(
        f"{speakers[rng.integers(3)]}:\n{' '.join(rng.choice(words, rng.integers(3, 9)))}.\n\n" for _ in range(lines)
    )


# -- plain text ----------------------------------------------------------------------------------
def test_plain_text_is_cut_from_its_end_in_order(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("0123456789" * 5)
    second.write_text("abcdefghij" * 5)
    corpus = load_text([str(first), str(second)], split_fractions={"validation": 0.1, "test": 0.2})
    assert corpus.label_names == ()  # plain text has no classes
    train, validation, test = corpus.train, corpus.validation, corpus.test
    assert train + validation + test == first.read_text() + second.read_text()
    assert (len(train), len(validation), len(test)) == (70, 10, 20)
    assert test == "abcdefghij" * 2


@pytest.mark.parametrize(
    ("content", "fractions", "message"),
    [
        (None, {"validation": 0.1, "test": 0.1}, "no such file; fix `paths`"),
        (" \n\n", {"validation": 0.1, "test": 0.1}, "holds no text"),
        ("text", {"validation": 0.1}, "needs validation and test, each in (0, 1)"),
        ("text", {"validation": 0.1, "test": 0.1, "dev": 0.1}, "and nothing else"),
        ("text", {"validation": 0.6, "test": 0.5}, "add up to 1 or more"),
        (b"ok\nbad \xff byte\n", {"validation": 0.1, "test": 0.1}, ":2: not valid utf-8"),
    ],
)
def test_bad_plain_text_is_one_line_naming_the_file_or_key(tmp_path, content, fractions, message):
    path = tmp_path / "corpus.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(TextrnnError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        load_text([str(path)], split_fractions=fractions)
    assert "\n" not in str(error.value)


def test_relative_data_paths_are_read_from_the_project_dvc_names(tmp_path, monkeypatch):
    """`dvc exp run --queue` runs ingest in a copy of the project; DVC_ROOT names the project itself."""
    from pipelines.ingest import read

    (tmp_path / "project").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "play.txt").write_text(verse(20))
    copy = tmp_path / "project" / ".dvc" / "tmp" / "exps" / "run"
    copy.mkdir(parents=True)
    monkeypatch.chdir(copy)
    cfg = compose_config(["experiment=tinyshakespeare", "dataset.files=[../shared/play.txt]"])
    monkeypatch.setenv("DVC_ROOT", str(tmp_path / "project"))
    assert "".join(texts[0] for _, texts in read(cfg.dataset).items()) == verse(20)
    monkeypatch.delenv("DVC_ROOT")
    with pytest.raises(TextrnnError, match=r"^\.\./shared/play.txt: no such file"):
        read(cfg.dataset)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["task=language_model"],
            "holds labelled texts, which task=classification reads; pick that task, or a dataset of plain text",
        ),
        (["dataset=tinyshakespeare"], "which task=language_model reads (or experiment=tinyshakespeare)"),
        (
            ["experiment=tinyshakespeare", "model.bidirectional=true"],
            "model.bidirectional = True: the language_model task allows only bidirectional=false",
        ),
        (
            ["experiment=tinyshakespeare", "model.pooling=max"],
            "model.pooling = 'max': the language_model task allows only pooling=last",
        ),
        (
            ["experiment=tinyshakespeare", "tokenizer.max_length=100"],
            "reads its texts whole; set tokenizer.max_length=null",
        ),
        (["tokenizer.max_length=null"], "the classification task cuts served texts at a length"),
        (["experiment=tinyshakespeare", "task.window=1"], "task.window must be an integer ≥ 2, got 1"),
    ],
)
def test_configs_a_language_model_cannot_run_are_one_line(overrides, message):
    with pytest.raises(TextrnnError, match=message.replace("(", r"\(").replace(")", r"\)")):
        task_of(compose_config(overrides))


# -- windows and metrics -------------------------------------------------------------------------
def test_windows_are_consecutive_and_their_labels_the_next_tokens():
    ids = np.arange(2, 25)  # 23 tokens: 3 windows of 7 and their next tokens use 22
    rows = list(language_model.windows(ids, 7).as_numpy_iterator())
    assert [row["tokens"].tolist() for row in rows] == [list(range(2, 9)), list(range(9, 16)), list(range(16, 23))]
    assert all((row["label"] == row["tokens"] + 1).all() for row in rows)
    with pytest.raises(ValueError, match="fewer than one window"):
        language_model.windows(ids[:7], 7)


def test_bits_per_token_and_perplexity_are_the_cross_entropy_in_bits_and_its_exp():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(5), size=(3, 4)).astype("float32")
    labels = rng.integers(0, 5, size=(3, 4))
    nats = -np.mean(np.log(np.take_along_axis(probabilities, labels[..., None], -1)))
    bits, perplexity = language_model.BitsPerToken(), language_model.Perplexity()
    for metric in (bits, perplexity):
        metric.update_state(labels[:2], probabilities[:2])
        metric.update_state(labels[2:], probabilities[2:])
    assert float(bits.result()) == pytest.approx(nats / math.log(2), rel=1e-5)
    assert float(perplexity.result()) == pytest.approx(math.exp(nats), rel=1e-5)


# -- generation ----------------------------------------------------------------------------------
VOCABULARY = ["", "[UNK]", *"abcdefgh \n"]


def char_generator(family: str, num_layers: int = 1) -> language_model.Generator:
    keras.utils.set_random_seed(1)
    model = models.build_language_model(
        vocab_size=len(VOCABULARY), family=family, embedding_dim=6, units=8, num_layers=num_layers
    )
    model.get_layer("head").bias.assign(np.linspace(-1, 1, len(VOCABULARY)))  # a sharper distribution than at init
    spec = vectorize.TokenizerSpec(split="character", standardize=None, max_tokens=None, max_length=None)
    return language_model.Generator(model, spec.layer(VOCABULARY), VOCABULARY, split="character")


def generate(generator: language_model.Generator, prompt: str, length: int, temperature: float, top_k=0, seed=0):
    out = generator.generate(tf.constant(prompt), length, temperature, top_k, tf.constant(seed, tf.int64))
    return out["text"].numpy().decode(), out["token_ids"].numpy().tolist()


def greedy_by_full_forward(model: keras.Model, ids: list[int], length: int) -> list[int]:
    """The greedy continuation the slow way: the whole sequence through the model for every token."""
    ids, generated = list(ids), []
    for _ in range(length):
        last = model.predict(np.array([ids], "int32"), verbose=0)[0, -1]
        last[: language_model.PADDING_AND_UNKNOWN] = -1.0
        generated.append(int(last.argmax()))
        ids.append(generated[-1])
    return generated


@pytest.mark.parametrize(("family", "num_layers"), [("lstm", 2), ("gru", 1), ("simple_rnn", 1)])
def test_stepping_the_cells_gives_the_layers_probabilities_and_greedy_continuation(family, num_layers):
    generator = char_generator(family, num_layers)
    prompt = [VOCABULARY.index(c) for c in "bad cafe"]
    states = [cell.get_initial_state(1) for cell in generator.cells]
    for token in prompt:
        stepped, states = generator.next_token_probabilities(tf.constant([token]), states)
    whole = generator.model.predict(np.array([prompt], "int32"), verbose=0)[0, -1]
    np.testing.assert_allclose(stepped.numpy()[0], whole, atol=1e-6)
    text, ids = generate(generator, "bad cafe", 12, 0.0)
    assert ids == greedy_by_full_forward(generator.model, prompt, 12)
    assert text == "".join(VOCABULARY[i] for i in ids)


def test_sampling_is_seeded_temperature_to_zero_is_greedy_and_top_1_is_greedy():
    generator = char_generator("lstm")
    greedy = generate(generator, "abc", 40, 0.0)
    assert len(greedy[1]) == 40 and min(greedy[1]) >= language_model.PADDING_AND_UNKNOWN
    assert generate(generator, "abc", 40, 1e-4, seed=5) == greedy
    assert generate(generator, "abc", 40, 1.5, top_k=1, seed=5) == greedy
    hot = generate(generator, "abc", 40, 1.5, seed=5)
    assert hot == generate(generator, "abc", 40, 1.5, seed=5)
    assert hot != generate(generator, "abc", 40, 1.5, seed=6) and hot != greedy
    wild = generate(generator, "abc", 40, 5.0, seed=5)[1]
    top_3 = generate(generator, "abc", 40, 5.0, top_k=3, seed=5)[1]
    assert len(set(wild)) > 3
    states = [cell.get_initial_state(1) for cell in generator.cells]
    for token in [VOCABULARY.index(c) for c in "ab"]:
        _, states = generator.next_token_probabilities(tf.constant([token]), states)
    previous = VOCABULARY.index("c")
    for drawn in top_3:  # each drawn token is among the 3 likeliest (padding and [UNK] left out) of its step
        probabilities, states = generator.next_token_probabilities(tf.constant([previous]), states)
        likeliest = np.argsort(-probabilities.numpy()[0, language_model.PADDING_AND_UNKNOWN :])[:3]
        assert drawn - language_model.PADDING_AND_UNKNOWN in likeliest
        previous = drawn


def test_a_word_model_generates_words_joined_by_spaces():
    vocabulary = ["", "[UNK]", "the", "night", "is", "young"]
    spec = vectorize.TokenizerSpec(split="whitespace", standardize="lower", max_tokens=None, max_length=None)
    keras.utils.set_random_seed(2)
    model = models.build_language_model(vocab_size=len(vocabulary), family="gru", embedding_dim=4, units=4)
    generator = language_model.Generator(model, spec.layer(vocabulary), vocabulary, split="whitespace")
    text, ids = generate(generator, "The NIGHT", 7, 1.0, seed=1)
    assert len(ids) == 7 and text == " ".join(vocabulary[i] for i in ids)
    states = [cell.get_initial_state(1) for cell in generator.cells]
    for token in (2, 3):  # "The NIGHT", standardized, is "the night": the greedy text follows from those ids
        probabilities, states = generator.next_token_probabilities(tf.constant([token]), states)
    assert generate(generator, "The NIGHT", 1, 0.0)[1] == [int(probabilities.numpy()[0, 2:].argmax()) + 2]


def test_an_empty_prompt_is_refused_in_the_graph():
    with pytest.raises(tf.errors.InvalidArgumentError, match="the prompt has no tokens"):
        generate(char_generator("gru"), "", 5, 0.0)


# -- every stage on a tiny text ------------------------------------------------------------------
@pytest.fixture(scope="module")
def language_model_run(tmp_path_factory):
    from pipelines import baseline, evaluate, export, ingest, tokenize_text, train

    workdir = tmp_path_factory.mktemp("language_model")
    corpus = workdir / "play.txt"
    corpus.write_text(verse(600))
    cfg = compose_config(
        [
            "experiment=tinyshakespeare",
            f"dataset.files=[{corpus}]",
            "model.units=32",
            "model.embedding_dim=16",
            "model.dropout=0.0",
            "task.window=32",
            "task.samples=1",
            "task.sample_length=50",
            "trainer.epochs=3",
            "trainer.batch_size=16",
            "trainer.learning_rate=0.01",
            f"tracking.tracking_uri=sqlite:///{workdir / 'mlflow.db'}",
            *(f"paths.{name}={workdir / name}" for name in STAGE_PATHS),
        ]
    )
    with contextlib.chdir(workdir):  # MLflow puts artifacts under ./mlruns
        for stage in (ingest, tokenize_text, baseline, train, evaluate, export):
            stage.main(cfg)
    return cfg, workdir, corpus.read_text()


def test_the_loss_falls_below_the_unigram_entropy_within_three_epochs(language_model_run):
    _, workdir, text = language_model_run
    counts = np.array(list(Counter(text).values()), dtype=float)
    unigram = -np.sum(counts / counts.sum() * np.log(counts / counts.sum()))  # nats per character
    metrics = json.loads((workdir / "metrics" / "evaluate.json").read_text())
    assert metrics["loss"] < unigram - 0.3, (metrics, unigram)
    assert metrics["bits_per_token"] == pytest.approx(metrics["loss"] / math.log(2))
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]))
    history = (workdir / "plots" / "training.csv").read_text().splitlines()
    assert {"bits_per_token", "perplexity", "val_bits_per_token", "val_perplexity"} <= set(history[0].split(","))
    assert len(history) == 1 + 3
    baseline = json.loads((workdir / "metrics" / "baseline.json").read_text())
    assert metrics["loss"] < baseline["bigram_loss"] < baseline["unigram_loss"] < unigram + 0.05
    # no bag of words to compare with, text by text: textrnn's directory holds its marker only
    assert [p.name for p in (workdir / "baseline").iterdir()] == [MARKER]


def test_plain_text_is_stored_and_tokenized_without_labels(language_model_run):
    cfg, workdir, text = language_model_run
    assert store.label_names(cfg.paths.ingested) == []  # no stand-in class
    splits = ("train", "validation", "test")
    assert "".join(t for split in splits for t in store.texts(cfg.paths.ingested, split)) == text
    for split in splits:
        assert sorted(p.name for p in (Path(cfg.paths.tokenized) / split).iterdir()) == [
            "row_lengths.npy",
            "token_ids.npy",
        ]
    assert json.loads((workdir / "metrics" / "ingest.json").read_text()) == {
        "blank_texts": 0,
        "splits_missing_a_class": 0,
        "label_names": [],
    }


def test_ngram_baselines_count_the_train_stream():
    from textrnn.evaluation import ngram_cross_entropy

    train, test = np.array([2, 3, 2, 3, 2, 3]), np.array([2, 3, 2, 4])
    # unigram: p(3) = (3 + 1) / (6 + 5), p(2) = 4 / 11, p(4) = 1 / 11
    assert ngram_cross_entropy(train, test, order=1, vocab_size=5) == pytest.approx(
        -np.mean(np.log([4 / 11, 4 / 11, 1 / 11]))
    )
    # bigram: p(3 | 2) = (3 + 1) / (3 + 5), p(2 | 3) = (2 + 1) / (2 + 5), p(4 | 2) = 1 / 8
    assert ngram_cross_entropy(train, test, order=2, vocab_size=5) == pytest.approx(
        -np.mean(np.log([4 / 8, 3 / 7, 1 / 8]))
    )


def test_the_run_holds_a_generated_sample_per_epoch_and_the_vocabulary_keeps_the_newline(language_model_run):
    import mlflow

    cfg, workdir, text = language_model_run
    assert "\n" in tokenized.vocabulary(workdir / "tokenized")
    assert set(tokenized.vocabulary(workdir / "tokenized")[2:]) == set(text)
    mlflow.set_tracking_uri(cfg.tracking.tracking_uri)
    (run,) = mlflow.search_runs(experiment_names=[cfg.tracking.experiment_name], output_format="list")
    samples = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "samples")]
    assert samples == [f"samples/epoch_00{epoch}.txt" for epoch in (1, 2, 3)]
    assert run.data.metrics["test_bits_per_token"] > 0 and "val_perplexity" in run.data.metrics


GENERATE_WITHOUT_TEXTRNN = """
import json, sys
sys.modules["textrnn"] = None  # any import of textrnn fails
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
def text(temperature, seed, length=120):
    out = serve(prompt=tf.constant("ROMEO:"), length=tf.constant(length), temperature=tf.constant(temperature),
                top_k=tf.constant(0), seed=tf.constant(seed, tf.int64))
    return out["text"].numpy().decode()
print(json.dumps({"hot": [text(1.0, 1), text(1.0, 1), text(1.0, 2)], "cold": [text(0.0, 0), text(1e-4, 7)]}))
"""


def test_the_saved_model_generates_in_a_process_that_cannot_import_textrnn(language_model_run):
    _, workdir, _ = language_model_run
    result = subprocess.run(
        [sys.executable, "-c", GENERATE_WITHOUT_TEXTRNN, str(workdir / "saved_model")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.splitlines()[-1])
    assert [len(text) for text in out["hot"] + out["cold"]] == [120] * 5  # characters: one per token
    assert out["hot"][0] == out["hot"][1] != out["hot"][2]
    assert out["cold"][0] == out["cold"][1]  # temperature → 0 is the greedy continuation
    model = models.load(workdir / "models" / "model.keras")
    vocabulary = tokenized.vocabulary(workdir / "tokenized")
    greedy = greedy_by_full_forward(model, [vocabulary.index(c) for c in "ROMEO:"], 30)
    assert out["cold"][0][:30] == "".join(vocabulary[i] for i in greedy)


def test_textrnn_generate_and_predict_tell_the_two_kinds_of_model_apart(language_model_run, pipeline_run, capsys):
    from textrnn import cli

    _, workdir, _ = language_model_run
    _, classifier_dir = pipeline_run
    cli.main(
        ["generate", "--prompt", "NURSE:", "--length", "40", "--seed", "3", "--model", str(workdir / "saved_model")]
    )
    first = capsys.readouterr().out
    assert first.startswith("NURSE:") and len(first) == len("NURSE:") + 40 + 1  # and print's newline
    cli.main(
        ["generate", "--prompt", "NURSE:", "--length", "40", "--seed", "3", "--model", str(workdir / "saved_model")]
    )
    assert capsys.readouterr().out == first
    for arguments, message in (
        (
            ["predict", "--model", workdir / "saved_model", "hi"],
            "is a language model, not a classifier; use textrnn generate",
        ),
        (
            ["generate", "--prompt", "a", "--model", classifier_dir / "saved_model"],
            "is a classifier, not a language model",
        ),
        (["generate", "--prompt", "", "--model", workdir / "saved_model"], "--prompt: empty"),
        (
            ["generate", "--prompt", "a", "--length", "-1", "--model", workdir / "saved_model"],
            "--length -1: must be from 0 to 100,000",
        ),
        (  # hours of generating with no output
            ["generate", "--prompt", "a", "--length", "10000000", "--model", workdir / "saved_model"],
            "--length 10000000: must be from 0 to 100,000",
        ),
        (  # was sampled greedily
            ["generate", "--prompt", "a", "--temperature", "nan", "--model", workdir / "saved_model"],
            "--temperature nan: must be from 0 to 100",
        ),
        (  # was an OverflowError traceback
            ["generate", "--prompt", "a", "--seed", str(2**70), "--model", workdir / "saved_model"],
            f"--seed {2**70}: must be from 0 to {2**63 - 1:,}",
        ),
    ):
        with pytest.raises(SystemExit) as exited:
            cli.main([str(argument) for argument in arguments])
        stderr = capsys.readouterr().err
        assert exited.value.code == 2 and len(stderr.strip().splitlines()) == 1, stderr
        assert stderr.startswith("textrnn: error: --") and message in stderr, stderr
