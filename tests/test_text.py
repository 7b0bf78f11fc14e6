"""Real-text options: length bucketing, pooling over time, word dropout, weight decay, WordPiece."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pipelines import export, ingest, tokenize_text, train
from pipelines.common import ROOT

import keras
import mlflow
import numpy as np
import pytest
import tensorflow as tf
from omegaconf import DictConfig

from tests.conftest import tiny_config
from tests.test_pipeline import _without_textrnn
from textrnn import choices, models, pooling, tokenized, training, vectorize

OPTIONS = (
    "tokenizer=wordpiece",
    "tokenizer.max_tokens=600",
    "model.pooling=attention",
    "model.embedding_dropout=0.2",
    "trainer.optimizer=adamw",
    "trainer.weight_decay=0.01",
    "trainer.label_smoothing=0.1",
)


@pytest.fixture(scope="module")
def options_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DictConfig, Path]]:
    """The stages these tests read (not baseline, evaluate) once with this issue's options on, composed
    from conf/ like any run."""
    workdir = tmp_path_factory.mktemp("options")
    with contextlib.chdir(workdir):
        cfg = tiny_config(workdir, *OPTIONS)
        for stage in (ingest, tokenize_text, train, export):
            stage.main(cfg)
    yield cfg, workdir


def _rows(lengths: list[int]) -> tf.data.Dataset:
    tokens = tf.ragged.constant([[index + 1] * length for index, length in enumerate(lengths)], dtype=tf.int32)
    rows = tf.data.Dataset.from_tensor_slices({"tokens": tokens, "label": np.arange(len(lengths))})
    return rows.map(lambda row: {"tokens": row["tokens"], "label": row["label"]})


def test_length_boundaries_are_quantiles_of_the_lengths():
    lengths = np.array([1] * 50 + [2] * 25 + [10] * 25)
    assert tokenized.length_boundaries(lengths, 4) == [2, 3]  # quartiles 1, 2, 10: the top one is no boundary
    assert tokenized.length_boundaries(lengths, 1) == []
    with pytest.raises(ValueError, match="buckets must be a positive integer, got 0"):
        tokenized.length_boundaries(lengths, 0)


def test_bucketing_batches_every_row_once_and_pads_less():
    lengths = [1, 9, 2, 8, 1, 9, 2, 8, 3, 7, 1, 9]
    plain = tokenized.batches(_rows(lengths), 4)
    bucketed = tokenized.batches(_rows(lengths), 4, bucket_boundaries=[5])
    labels = sorted(int(label) for _, batch in bucketed for label in batch)
    assert labels == list(range(len(lengths)))
    for tokens, batch in bucketed:  # each row intact: its id repeated its length, then padding
        for row, label in zip(tokens.numpy(), batch.numpy(), strict=True):
            assert list(row[row > 0]) == [label + 1] * lengths[label]
    assert int(bucketed.cardinality()) == len(list(bucketed)) == 4  # 6 short rows, 6 long: 2 batches each
    for batches, cells in ((plain, 4 * (9 + 9 + 9)), (bucketed, 4 * 2 + 2 * 3 + 4 * 9 + 2 * 9)):
        statistics = training.EpochStatistics()
        statistics.on_epoch_begin(0)
        for _ in statistics.counting(batches):
            pass
        logs: dict[str, float] = {}
        statistics.on_epoch_end(0, logs)
        assert logs["padded_fraction"] == pytest.approx(1 - sum(lengths) / cells)
    with pytest.raises(ValueError, match="bucket_boundaries must be increasing"):
        tokenized.batches(_rows(lengths), 4, bucket_boundaries=[5, 5])


def test_mean_and_max_pooling_ignore_padded_steps_and_give_zeros_for_an_empty_text():
    states = np.array(
        [[[1.0, -1.0], [5.0, 5.0], [9.0, 9.0]], [[-3.0, -2.0], [-4.0, -1.0], [0.0, 0.0]], [[7.0] * 2] * 3]
    )
    mask = np.array([[True, True, False], [True, True, False], [False, False, False]])
    maximum, mean = pooling.MaskedGlobalPooling1D("max"), pooling.MaskedGlobalPooling1D("mean")
    np.testing.assert_allclose(maximum(states, mask=mask), [[5.0, 5.0], [-3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(mean(states, mask=mask), [[3.0, 2.0], [-3.5, -1.5], [0.0, 0.0]])
    np.testing.assert_allclose(maximum(states[:1]), [[9.0, 9.0]])  # no mask: every step
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'max', got 'sum'"):
        pooling.MaskedGlobalPooling1D("sum")


def test_attention_pooling_gives_padded_steps_no_weight_and_round_trips(tmp_path):
    layer = pooling.AttentionPooling1D(4)
    states = np.random.default_rng(0).normal(size=(2, 3, 2)).astype("float32")
    mask = np.array([[True, True, False], [True, False, False]])
    pooled = keras.ops.convert_to_numpy(layer(states, mask=mask))
    changed = states.copy()
    changed[0, 2], changed[1, 1:] = 100.0, -100.0  # what padding holds must not matter
    np.testing.assert_allclose(layer(changed, mask=mask), pooled, atol=1e-6)
    np.testing.assert_allclose(pooled[1], states[1, 0], atol=1e-6)  # one step: all the weight on it
    assert np.all(np.min(states[0, :2], 0) <= pooled[0]) and np.all(pooled[0] <= np.max(states[0, :2], 0))
    model = models.build_classifier(vocab_size=20, num_classes=2, units=4, embedding_dim=3, pooling="attention")
    model.save(tmp_path / "model.keras")
    batch = np.array([[3, 4, 0], [5, 0, 0]])
    np.testing.assert_allclose(models.load(tmp_path / "model.keras")(batch), model(batch), atol=1e-6)


@pytest.mark.parametrize("pool", choices.POOLINGS)
def test_every_pooling_reads_each_text_to_its_end_and_no_further(pool):
    keras.utils.set_random_seed(1)
    model = models.build_classifier(vocab_size=20, num_classes=2, units=4, embedding_dim=3, pooling=pool, seed=1)
    short, padded = np.array([[3, 4, 5]]), np.array([[3, 4, 5, 0, 0, 0]])
    np.testing.assert_allclose(model(padded), model(short), atol=1e-6)
    assert np.all(np.isfinite(model(np.array([[0, 0, 0]]))))  # an empty text
    assert not np.allclose(model(np.array([[6, 4, 5]])), model(short))  # a first word reaches every step


def test_word_dropout_drops_whole_words_in_training_only():
    model = models.build_classifier(vocab_size=20, num_classes=2, embedding_dropout=0.5, seed=3)
    embedded = model.get_layer("embedding")(np.arange(1, 19)[None])
    dropped = keras.ops.convert_to_numpy(model.get_layer("word_dropout")(embedded, training=True))[0]
    zero_rows = np.all(dropped == 0, axis=1)
    assert 0 < zero_rows.sum() < 18 and np.all(dropped[~zero_rows] != 0)  # a word is dropped whole or kept
    np.testing.assert_array_equal(model.get_layer("word_dropout")(embedded, training=False), embedded)


def test_weight_decay_reaches_the_optimizer():
    optimizer = training.make_optimizer(name="adamw", learning_rate=0.1, weight_decay=0.5)
    assert isinstance(optimizer, keras.optimizers.AdamW) and optimizer.weight_decay == 0.5
    weight = keras.Variable(np.ones(3, dtype="float32"))
    optimizer.apply_gradients([(np.zeros(3, dtype="float32"), weight)])
    np.testing.assert_allclose(weight.numpy(), 1.0 - 0.1 * 0.5)  # a zero gradient: decay alone moved it


def test_options_train_and_log_padding_and_throughput_per_epoch(options_run):
    cfg, workdir = options_run
    with open(Path(cfg.paths.plots) / "training.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == cfg.trainer.epochs
    for row in rows:
        assert 0.0 <= float(row["padded_fraction"]) < 0.5 and float(row["tokens_per_second"]) > 0
    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    run = client.get_run(json.loads((Path(cfg.paths.models) / "mlflow_run.json").read_text())["run_id"])
    history = client.get_metric_history(run.info.run_id, "padded_fraction")
    assert sorted((m.step, m.value) for m in history) == [
        (i + 1, pytest.approx(float(row["padded_fraction"]))) for i, row in enumerate(rows)
    ]
    assert run.data.params["model.pooling"] == "attention" and run.data.params["tokenizer.split"] == "wordpiece"
    model = models.load(Path(cfg.paths.models) / "model.keras")
    assert {"word_dropout", "attention_pooling"} <= {layer.name for layer in model.layers}
    compiled = keras.saving.load_model(Path(cfg.paths.models) / "model.keras")  # models.load skips the optimizer
    assert isinstance(compiled.optimizer, keras.optimizers.AdamW) and compiled.optimizer.weight_decay == 0.01


SERVE_ONE = """
import json, sys
import tensorflow as tf, tensorflow_text
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
print(json.dumps({
    "textrnn_imported": any(m.split(".")[0] == "textrnn" for m in sys.modules),
    "probabilities": serve(texts=tf.constant(sys.argv[2:]))["probabilities"].numpy().tolist(),
}))
"""


def test_wordpiece_reads_an_unseen_word_as_its_pieces_in_the_saved_model(options_run, tmp_path):
    cfg, _ = options_run
    directory = cfg.paths.tokenized
    layer = vectorize.TokenizerSpec.load(directory).layer(tokenized.vocabulary(directory))
    vocabulary = layer.get_vocabulary()
    assert vocabulary[:2] == ["[PAD]", "[UNK]"] and len(vocabulary) <= 600
    assert (Path(cfg.paths.tokenized) / "vocabulary.txt").read_text().splitlines() == vocabulary
    word = max((w for w in vocabulary if w.isalpha() and w.isascii()), key=len)
    unseen = f"{word}{word}"
    assert unseen not in vocabulary
    ids = layer(tf.constant([f"{word} {unseen}"]))[0].numpy().tolist()
    pieces = [vocabulary[i] for i in ids]
    assert pieces[0] == word and pieces[1] == word and "".join(p.removeprefix("##") for p in pieces[1:]) == unseen
    assert vectorize.OOV_ID not in ids
    model = models.load(Path(cfg.paths.models) / "model.keras")
    expected = model(np.array([ids]), training=False)
    unknown = model(np.array([[ids[0], vectorize.OOV_ID]]), training=False)
    answer = _without_textrnn(SERVE_ONE, cfg.paths.saved_model, f"{word} {unseen.upper()}", cwd=tmp_path)
    np.testing.assert_allclose(answer["probabilities"], expected, atol=1e-5)  # lower-cased, then the same pieces
    assert not np.allclose(answer["probabilities"], unknown, atol=1e-5)


# `textrnn predict` where tensorflow-text is not installed (an entry of None in sys.modules makes its import fail)
WITHOUT_TENSORFLOW_TEXT = """
import sys
sys.modules["tensorflow_text"] = None
from textrnn import cli
cli.main(["predict", "--model", sys.argv[1], "a great film"])
"""


def test_predict_needs_tensorflow_text_for_a_wordpiece_model_only(options_run, pipeline_run, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", WITHOUT_TENSORFLOW_TEXT]
    words = subprocess.run([*command, pipeline_run[0].paths.saved_model], env=env, capture_output=True, text=True)
    assert words.returncode == 0 and words.stdout.endswith("\ta great film\n"), words.stderr
    pieces = options_run[0].paths.saved_model
    wordpiece = subprocess.run([*command, pieces], env=env, capture_output=True, text=True)
    assert wordpiece.returncode == 2
    assert wordpiece.stderr == (
        f"textrnn: error: --model {pieces}: its WordPiece tokenizer needs the package tensorflow-text; install it "
        "with pip install --no-deps 'tensorflow-text>=2.21,<2.22'\n"
    )
