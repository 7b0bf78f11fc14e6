"""Training that scales and survives: strategies, precision, XLA, determinism, divergence, resume."""

from __future__ import annotations

import contextlib
import csv
import signal
import time
from pathlib import Path

from pipelines import train

import keras
import mlflow
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import finish, mlflow_runs, tokenized_config, train_cli
from textrnn import gates, models, tracking, training
from textrnn import layers as textrnn_layers
from textrnn.errors import TextrnnError
from textrnn.tokenized import EpochShuffle, batches


@pytest.fixture(scope="module")
def reference(tokenized, tmp_path_factory):
    """One training run of the tiny config as it is composed, for the runs below to compare with."""
    workdir = tmp_path_factory.mktemp("reference")
    with contextlib.chdir(workdir):
        cfg = tokenized_config(workdir, tokenized)
        train.main(cfg)
    return cfg


def _history(cfg) -> list[dict[str, float]]:
    with open(Path(cfg.paths.plots) / "training.csv") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def test_same_seed_gives_identical_metrics(tokenized, reference, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    again = tokenized_config(tmp_path, tokenized)
    train.main(again)
    histories = [
        [{k: v for k, v in row.items() if "accuracy" in k or "loss" in k} for row in _history(cfg)]
        for cfg in (reference, again)
    ]
    assert histories[0] == histories[1]


def test_a_scheduled_learning_rate_is_logged_per_epoch(tokenized, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tokenized_config(tmp_path, tokenized, "trainer.schedule=warmup_cosine", "trainer.warmup_epochs=1")
    train.main(cfg)
    [run] = mlflow_runs(tmp_path)
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    history = sorted(client.get_metric_history(run.info.run_id, "learning_rate"), key=lambda m: m.step)
    # warm-up to the full rate at the end of epoch 1, cosine decay to 0 by the end of epoch 2
    assert [m.step for m in history] == [1, 2]
    assert history[0].value == pytest.approx(cfg.trainer.learning_rate) and history[1].value == pytest.approx(0.0)


def test_bfloat16_trains_like_float32(tokenized, reference, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    variant = tokenized_config(tmp_path, tokenized, "trainer.precision=mixed_bfloat16")
    try:
        train.main(variant)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    expected, got = _history(reference)[-1], _history(variant)[-1]
    assert got["loss"] == pytest.approx(expected["loss"], abs=0.03)
    model = keras.saving.load_model(Path(variant.paths.models) / "model.keras")
    assert model.layers[-1].compute_dtype == "float32"  # the head stays float32


def test_the_fused_kernel_trains_like_our_cells_and_publishes_our_layers(tokenized, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = ("model.bidirectional=true", "trainer.epochs=1")
    cells = tokenized_config(tmp_path / "cells", tokenized, "model.kernel=cells", *settings)
    fused = tokenized_config(tmp_path / "fused", tokenized, "model.kernel=fused", *settings)
    train.main(cells)
    train.main(fused)
    for expected, got in zip(_history(cells), _history(fused), strict=True):  # same seed: same initial weights
        assert got["loss"] == pytest.approx(expected["loss"], abs=1e-4)
        assert got["val_loss"] == pytest.approx(expected["val_loss"], abs=1e-4)
    published = models.load(Path(fused.paths.models) / "model.keras")
    assert {type(layer) for layer in gates.recurrent_layers(published)} == {textrnn_layers.LSTM}


def test_xla_needs_determinism_off(tokenized, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TextrnnError, match=r"trainer.jit_compile=true needs trainer.deterministic=false"):
        train.main(tokenized_config(tmp_path, tokenized, "trainer.jit_compile=true"))
    assert not (tmp_path / "models").exists()


@pytest.mark.slow
def test_xla_trains_like_the_plain_graph(tokenized, tmp_path):
    # In processes of their own: op determinism, once on in this one, cannot be turned off.
    loss = {}
    for name, xla in (("graph", []), ("xla", ["trainer.jit_compile=true"])):
        workdir = tmp_path / name
        output = finish(
            # one epoch of few, big batches: XLA compiles the step once for each padded length it meets
            train_cli(
                workdir,
                tokenized,
                "trainer.deterministic=false",
                "trainer.epochs=1",
                "trainer.batch_size=400",
                *xla,
                env={"TF_CPP_MIN_LOG_LEVEL": "0"},
            )
        )
        assert ("Compiled cluster using XLA" in output) == bool(xla), output[-3000:]
        with open(workdir / "plots" / "training.csv") as handle:
            loss[name] = float(list(csv.DictReader(handle))[-1]["loss"])
    assert loss["xla"] == pytest.approx(loss["graph"], abs=0.03)


def test_diverging_config_fails_fast_and_marks_the_run_failed(tokenized, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tokenized_config(tmp_path, tokenized, "trainer.learning_rate=1e6")
    with pytest.raises(
        TextrnnError, match=r"training diverged: the loss is \S+ \(it started at 0\.6\d+\) at epoch 1, batch"
    ):
        train.main(cfg)
    [run] = mlflow_runs(tmp_path)
    assert run.info.status == "FAILED"


def test_nan_loss_fails_with_the_same_message():
    callback = training.FailOnDivergence()
    callback.on_epoch_begin(0)
    callback.on_train_batch_end(0, {"loss": 0.7})
    callback.on_train_batch_end(1, {"loss": 2.0})  # bumpy, not diverged
    with pytest.raises(TextrnnError, match=r"the loss is nan \(it started at 0\.7\) at epoch 1, batch 3"):
        callback.on_train_batch_end(2, {"loss": float("nan")})


@pytest.mark.slow
def test_mirrored_over_two_cpu_devices_follows_the_single_device_trajectory(tokenized, tmp_path):
    runs = {}
    for name, strategy in (("single", []), ("mirrored", ["trainer.strategy=mirrored", "trainer.cpu_devices=2"])):
        workdir = tmp_path / name
        # a small learning rate: the two sum gradients in different orders, and float32 rounding
        # differences grow fastest where the loss falls steeply
        finish(
            train_cli(
                workdir,
                tokenized,
                "trainer.epochs=2",
                "model.dropout=0",
                "trainer.learning_rate=0.001",
                "trainer.length_buckets=1",  # not yet under mirrored (see pipelines/schema.py)
                *strategy,
            )
        )
        with open(workdir / "plots" / "training.csv") as handle:
            runs[name] = [float(row["loss"]) for row in csv.DictReader(handle)]
    assert len(runs["mirrored"]) == 2
    assert runs["mirrored"] == pytest.approx(runs["single"], rel=1e-3)


@pytest.mark.slow
def test_sigkill_mid_training_then_rerun_ends_as_if_never_stopped(tokenized, tmp_path):
    """Deterministic mode: the resumed run sees the same shuffles and callback state, so every epoch's
    metrics equal an uninterrupted run's — in one MLflow run, with no temporary directory left."""
    epochs = ["trainer.epochs=5", "trainer.early_stopping_patience=5"]
    uninterrupted = tmp_path / "uninterrupted"
    finish(train_cli(uninterrupted, tokenized, *epochs))

    workdir = tmp_path / "killed"
    process = train_cli(workdir, tokenized, *epochs)
    history = workdir / "checkpoints" / "training.csv"
    deadline = time.time() + 300
    while not (history.exists() and len(history.read_text().splitlines()) >= 2):  # header + epoch 1
        assert process.poll() is None and time.time() < deadline, "training ended before epoch 2"
        time.sleep(0.02)
    time.sleep(0.1)  # into epoch 2
    assert process.poll() is None, "training finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    completed = len(history.read_text().splitlines()) - 1
    assert 1 <= completed < 5 and not (workdir / "models" / "model.keras").exists()

    output = finish(train_cli(workdir, tokenized, *epochs))
    assert "resuming MLflow run" in output and "Epoch 1/5" not in output
    assert f"Epoch {completed + 1}/5" in output  # resumed after the last finished epoch (2, unless the VM was slow)
    clock = {"epoch_seconds", "tokens_per_second"}  # wall time: the one thing a rerun cannot repeat
    with open(workdir / "plots" / "training.csv") as handle:
        resumed = [{k: v for k, v in row.items() if k not in clock} for row in csv.DictReader(handle)]
    with open(uninterrupted / "plots" / "training.csv") as handle:
        reference = [{k: v for k, v in row.items() if k not in clock} for row in csv.DictReader(handle)]
    assert resumed == reference and len(reference) == 5  # every epoch, every metric, to the last digit
    assert "padded_fraction" in reference[0]
    weights = [
        keras.saving.load_model(run / "models" / "model.keras").get_weights() for run in (workdir, uninterrupted)
    ]
    assert all(np.array_equal(a, b) for a, b in zip(*weights, strict=True))  # the best epoch's, restored alike
    [run] = mlflow_runs(workdir)
    assert run.info.status == "FINISHED"
    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    steps = sorted(m.step for m in client.get_metric_history(run.info.run_id, "val_loss"))
    assert steps == [int(row["epoch"]) for row in reference]
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []  # no .models.* left
    assert not (workdir / "checkpoints").exists()


@pytest.mark.slow
def test_ctrl_c_marks_the_run_killed(tokenized, tmp_path):
    process = train_cli(tmp_path, tokenized, "trainer.epochs=50", "trainer.early_stopping_patience=50")
    history = tmp_path / "checkpoints" / "training.csv"
    deadline = time.time() + 300
    while not history.exists():  # the first epoch is done: training is under way
        assert process.poll() is None and time.time() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode != 0
    [run] = mlflow_runs(tmp_path)
    assert run.info.status == "KILLED"


def test_each_epochs_shuffle_depends_on_the_seed_and_the_epoch_alone():
    """What makes a resumed run see the orders an uninterrupted one saw."""
    rows = tf.data.Dataset.from_tensor_slices(
        {"tokens": tf.ragged.constant([[i + 1] for i in range(20)]), "label": list(range(20))}
    )
    rows = rows.map(lambda row: {"tokens": row["tokens"], "label": row["label"]})

    def order(shuffle: EpochShuffle, epoch: int) -> list[int]:
        shuffle.on_epoch_begin(epoch)
        return [int(label) for _, labels in batches(rows, 8, shuffle=shuffle) for label in labels]

    first, again = EpochShuffle(seed=3), EpochShuffle(seed=3)
    orders = [order(first, epoch) for epoch in range(3)]
    assert all(sorted(o) == list(range(20)) for o in orders) and len({tuple(o) for o in orders}) == 3
    assert order(again, 2) == orders[2]  # a fresh object, as in a resumed process, straight at epoch 2
    assert order(EpochShuffle(seed=4), 0) != orders[0]


@pytest.mark.parametrize(
    ("uri", "anchored"),
    [
        ("sqlite:///mlflow.db", ("sqlite:////project/mlflow.db", "file:///project/mlruns")),
        ("sqlite:///stores/runs.db", ("sqlite:////project/stores/runs.db", "file:///project/mlruns")),
        ("sqlite:////srv/mlflow.db", ("sqlite:////srv/mlflow.db", None)),
        ("http://127.0.0.1:5000", ("http://127.0.0.1:5000", None)),
    ],
)
def test_a_relative_sqlite_store_is_anchored_at_the_project(uri, anchored):
    assert tracking.anchored(uri, "/project") == anchored


def test_sparse_crossentropy_is_keras_cross_entropy_with_label_smoothing():
    probabilities = keras.ops.softmax(np.random.default_rng(0).normal(size=(6, 3)).astype("float32"))
    labels = np.array([0, 1, 2, 2, 1, 0])
    plain = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    assert float(training.SparseCrossentropy()(labels, probabilities)) == pytest.approx(float(plain), rel=1e-6)
    one_hot = np.eye(3, dtype="float32")[labels]
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(one_hot, probabilities)
    ours = training.SparseCrossentropy(label_smoothing=0.1)(labels, probabilities)
    assert float(ours) == pytest.approx(float(smoothed), rel=1e-6) and float(ours) != pytest.approx(float(plain))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\), got 1.0"):
        training.SparseCrossentropy(label_smoothing=1.0)
