"""Training across machines: a cluster of workers on localhost, TF_CONFIG, the custom loop
(`textrnn.custom_loop`, where Keras's fit cannot run: keras-team/keras#20585)."""

from __future__ import annotations

import csv
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines import train
from pipelines.common import ROOT
from pipelines.task import task_of

import keras
import mlflow
import pytest
import tensorflow as tf

from tests.conftest import finish, free_port, mlflow_runs, tokenized_config, train_cli
from textrnn import custom_loop, distribute, training
from textrnn.errors import TextrnnError
from textrnn.tokenized import EpochShuffle


def test_the_custom_loop_follows_fit_on_one_device(tokenized, tmp_path):
    """The multi-worker loop under the default strategy: the same epochs as ``fit``, logs and early stopping alike."""
    cfg = tokenized_config(tmp_path, tokenized, "model.dropout=0")  # fit draws its dropout masks in another order
    runs = _fit_and_loop(cfg, tmp_path)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "padded_fraction"):
        assert runs["loop"][key] == pytest.approx(runs["fit"][key], rel=1e-6), key
    assert [int(row["epoch"]) for row in _rows(tmp_path / "loop" / "training.csv")] == [1, 2]
    assert sorted(path.name for path in (tmp_path / "loop" / "backup").iterdir()) == [
        "callbacks.json",
        "checkpoint",
        "ckpt-1.data-00000-of-00001",
        "ckpt-1.index",
        "ckpt-2.data-00000-of-00001",
        "ckpt-2.index",
        "state.0.npz",
        "state.1.npz",
    ]


def test_the_custom_loop_leaves_a_taggers_padding_out_as_fit_does(tmp_path):
    """A loss per token: the loop counts the real tokens only, as Keras's masked loss in ``fit``."""
    from pipelines import ingest, tokenize_text

    from tests.test_tagging import tagging_config

    cfg = tagging_config(
        tmp_path, "model.dropout=0", "model.embedding_dropout=0", "trainer.epochs=2", "trainer.length_buckets=1"
    )  # one bucket: sentences of 3 and 6 tokens share batches, so they hold padding
    for stage in (ingest, tokenize_text):
        stage.main(cfg)
    runs = _fit_and_loop(cfg, tmp_path)
    for key in ("accuracy", "val_accuracy"):  # Keras's metrics count tokens in both
        assert runs["loop"][key] == pytest.approx(runs["fit"][key], rel=1e-5), key
    for key in ("loss", "val_loss"):  # fit's epoch loss weighs each batch by its sentences, the loop's by its tokens
        assert runs["loop"][key] == pytest.approx(runs["fit"][key], rel=1e-2), key


def _fit_and_loop(cfg, tmp_path: Path) -> dict[str, dict[str, list[float]]]:
    """The history of ``fit`` and of the custom loop under the default strategy, each from the same start."""
    runs = {}
    for name, fit in (
        ("fit", training.fit),
        ("loop", functools.partial(custom_loop.train, strategy=tf.distribute.get_strategy())),
    ):
        keras.utils.set_random_seed(cfg.trainer.seed)
        shuffle = EpochShuffle(cfg.trainer.seed)
        task = task_of(cfg)
        train_batches, validation_batches = train.batches(cfg, task, shuffle)
        model = train.build_model(cfg, task, steps_per_epoch=int(train_batches.cardinality()))
        runs[name] = fit(
            model,
            train_batches,
            validation_batches,
            epochs=cfg.trainer.epochs,
            patience=cfg.trainer.early_stopping_patience,
            backup_dir=tmp_path / name / "backup",
            history_csv=tmp_path / name / "training.csv",
            callbacks=[shuffle],
            verbose=0,
        ).history
    return runs


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_chief_is_worker_zero_or_the_chief():
    workers = ["localhost:1", "localhost:2"]
    assert distribute.is_chief(distribute.tf_config(workers, 0)) is True
    assert distribute.is_chief(distribute.tf_config(workers, 1)) is False
    with_chief = {"cluster": {"worker": workers, "chief": ["localhost:3"]}, "task": {"type": "worker", "index": 0}}
    assert distribute.is_chief(with_chief) is False
    assert distribute.is_chief({**with_chief, "task": {"type": "chief", "index": 0}}) is True
    assert distribute.is_chief(None) is True  # no cluster: one process does everything
    with pytest.raises(ValueError, match=r"cluster \(a TF_CONFIG\) is needed for multi_worker"):
        distribute.make_strategy("multi_worker")
    with pytest.raises(ValueError, match="index must be the place of a worker in workers \\(2\\), got 2"):
        distribute.tf_config(workers, 2)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"cluster": {"worker": ["a:1"]}}',  # no task
        '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}',  # no such worker
        '{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}',  # no such job
    ],
)
def test_a_bad_tf_config_is_one_line_naming_it(text):
    with pytest.raises(TextrnnError, match=r"^TF_CONFIG = .*: must be JSON like \{\"cluster\"") as raised:
        distribute.parse_tf_config(text)
    assert "\n" not in str(raised.value)


def test_tf_config_from_the_cluster_or_the_environment():
    resolve = distribute.resolve_cluster
    assert resolve(["h1:10", "h2:10"], 1, None) == distribute.tf_config(["h1:10", "h2:10"], 1)
    environment = json.dumps(distribute.tf_config(["h1:10", "h2:10"], 0))
    assert resolve(None, 0, environment) == distribute.tf_config(["h1:10", "h2:10"], 0)
    with pytest.raises(TextrnnError, match=r"^`cluster` is set and so is the TF_CONFIG environment variable"):
        resolve(["h1:10", "h2:10"], 1, environment)
    with pytest.raises(TextrnnError, match=r"^`strategy`=multi_worker needs the cluster: set `cluster`"):
        resolve(None, 0, None)


def test_the_train_stage_names_the_trainer_keys(tmp_path):
    """The stage shows the library's arguments as the config keys."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    # the tokenized data need only exist: the cluster is checked before any of it is read
    overrides = ["trainer.strategy=multi_worker", f"paths.tokenized={tmp_path}", f"paths.models={tmp_path / 'models'}"]
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.train", *overrides], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: trainer.strategy=multi_worker needs the cluster: set trainer.cluster (the workers' host:port) and "
        "trainer.task_index (this machine's place), or the TF_CONFIG environment variable"
    )


def _cluster(
    tmp_path: Path, tokenized: Path, *overrides: str, workers: range = range(2), elsewhere: int | None = None
) -> list[subprocess.Popen]:
    """A cluster of two workers on localhost, each in a directory of its own (``worker<i>``); they
    share the checkpoints' directory, as two machines share a bucket or NFS — but worker
    ``elsewhere``, which has a directory of its own."""
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    return [
        train_cli(
            tmp_path / f"worker{index}",
            tokenized,
            "trainer.strategy=multi_worker",
            *overrides,
            checkpoints=tmp_path / ("checkpoints" if index != elsewhere else f"checkpoints{index}"),
            env={"TF_CONFIG": json.dumps(distribute.tf_config(addresses, index))},
        )
        for index in workers
    ]


def _losses(workdir: Path) -> list[float]:
    """Each epoch's training and validation loss, in turn."""
    with open(workdir / "plots" / "training.csv") as handle:
        return [float(row[key]) for row in csv.DictReader(handle) for key in ("loss", "val_loss")]


@pytest.mark.slow
def test_two_worker_cluster_follows_one_device_and_only_the_chief_writes(tokenized, tmp_path):
    same = ["trainer.epochs=2", "model.dropout=0"]  # dropout draws other masks on each replica
    processes = [train_cli(tmp_path / "single", tokenized, *same), *_cluster(tmp_path, tokenized, *same)]
    outputs = [finish(process) for process in processes]
    chief, other = tmp_path / "worker0", tmp_path / "worker1"
    assert "Epoch 2/2" in outputs[2]
    # each step sums the gradients of the same global batch one device sees, in another order
    assert _losses(chief) == pytest.approx(_losses(tmp_path / "single"), rel=1e-5)
    assert len(_losses(chief)) == 4
    assert (chief / "models" / "model.keras").exists() and len(mlflow_runs(chief)) == 1
    assert list(other.iterdir()) == []  # no model, history, MLflow data or checkpoints
    assert not (tmp_path / "checkpoints").exists()  # the chief's, deleted when training ended


@pytest.mark.slow
def test_cluster_killed_mid_training_resumes_in_one_mlflow_run(tokenized, tmp_path):
    settings = ["trainer.epochs=2", "trainer.batch_size=8", "trainer.peer_timeout=20"]
    chief, other = _cluster(tmp_path, tokenized, *settings)
    history = tmp_path / "checkpoints" / "training.csv"
    deadline = time.time() + 300
    while not (history.exists() and len(history.read_text().splitlines()) >= 2):  # header + epoch 1
        assert chief.poll() is None and time.time() < deadline, "training ended before epoch 2"
        time.sleep(0.02)
    other.send_signal(signal.SIGKILL)
    other.wait()
    output, _ = chief.communicate(timeout=120)  # its next collective waits trainer.peer_timeout, then gives up
    assert chief.returncode == 2
    assert output.strip().splitlines()[-1].startswith("error: training stopped at epoch 2: a worker of the cluster")
    assert len(history.read_text().splitlines()) == 2 and not (tmp_path / "worker0" / "models").exists()

    for process in _cluster(tmp_path, tokenized, *settings, elsewhere=1):  # worker 1 cannot see the checkpoints
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 2
        assert output.strip().splitlines()[-1].startswith("error: the workers found different checkpoints")

    outputs = [finish(process) for process in _cluster(tmp_path, tokenized, *settings)]
    assert "resuming MLflow run" in outputs[0]
    assert all("Epoch 2/2" in output and "Epoch 1/2" not in output for output in outputs)
    [run] = mlflow_runs(tmp_path / "worker0")
    assert run.info.status == "FINISHED"
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'worker0' / 'mlflow.db'}")
    assert sorted(m.step for m in client.get_metric_history(run.info.run_id, "val_loss")) == [1, 2]
    assert len(_losses(tmp_path / "worker0")) == 4


@pytest.mark.slow
def test_a_worker_whose_peer_never_comes_up_exits_with_one_line(tokenized, tmp_path):
    started = time.time()
    [lone] = _cluster(tmp_path, tokenized, "trainer.peer_timeout=5", workers=range(1, 2))
    output, _ = lone.communicate(timeout=120)
    assert lone.returncode != 0 and time.time() - started < 60
    [line] = output.strip().splitlines()
    assert line.startswith("error: no answer from the cluster's other workers (127.0.0.1:")
    assert "within peer_timeout = 5 s" in line


# Keras's own fit on a 2-worker cluster, as small as it gets: argv = the workers' addresses, this one's index
FIT_ON_A_CLUSTER = """
import json, os, sys
workers, index = sys.argv[1].split(","), int(sys.argv[2])
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
import keras, numpy as np, tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
data = tf.data.Dataset.from_tensor_slices((np.ones((64, 4), "float32"), np.zeros(64, "int64"))).batch(16)
model.fit(data, epochs=1, verbose=0)
print("fit ran")
"""


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="keras-team/keras#20585: Keras 3.15's fit cannot convert the first distributed batch (PerReplica) "
    "under MultiWorkerMirroredStrategy. Strict: once Keras fixes it this fails, and fit can train multi_worker "
    "in place of textrnn.custom_loop.",
)
def test_keras_fit_on_a_cluster_still_fails_upstream(tmp_path):
    workers = ",".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", FIT_ON_A_CLUSTER, workers, str(index)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index in range(2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs[0][-2000:]
    assert all("fit ran" in output for output in outputs)
