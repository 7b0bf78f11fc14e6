"""MLflow over HTTP: a remote tracking server; `mlflow ui` showing what the pipeline logged, through
its API and in a browser; the logged model answering POSTs from `mlflow models serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines import baseline, evaluate, export, ingest, tokenize_text, train

import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf
from omegaconf import DictConfig

from tests.conftest import ARTIFACTS, chromium, free_port, requires_chromium, tiny_config

MLFLOW = str(Path(sys.executable).parent / "mlflow")


@contextmanager
def serving(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `mlflow <args>` on a free loopback port until the block ends; yield its URL once /health answers."""
    port = free_port()
    with tempfile.TemporaryFile() as log:  # the server's output, shown if it does not start
        process = subprocess.Popen(
            [MLFLOW, *args, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            # the venv's bin first: `mlflow models serve` starts `uvicorn` from PATH
            env={**os.environ, "PATH": f"{Path(MLFLOW).parent}{os.pathsep}{os.environ['PATH']}", **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if process.poll() is not None or time.time() > deadline:
                        log.seek(0)
                        pytest.fail(f"mlflow {' '.join(args)} did not start:\n{log.read().decode()[-3000:]}")
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _get(url: str, path: str, **query: str) -> dict:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    with urllib.request.urlopen(f"{url}/ajax-api/2.0/mlflow/{path}?{params}", timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/ajax-api/2.0/mlflow/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _check_run_shown(url: str) -> tuple[str, str]:
    """What a person sees in the UI, read through the API the UI itself calls; (experiment id, run id)."""
    [experiment] = [
        e for e in _post(url, "experiments/search", {"max_results": 10})["experiments"] if e["name"] == "textrnn"
    ]
    [run] = _post(url, "runs/search", {"experiment_ids": [experiment["experiment_id"]]})["runs"]
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["model.family"] == "lstm" and params["trainer.epochs"] == "2"
    history = _get(url, "metrics/get-history", run_id=run["info"]["run_id"], metric_key="val_accuracy")["metrics"]
    assert [m["step"] for m in history] == [1, 2]
    metrics = {m["key"] for m in run["data"]["metrics"]}
    assert set(RUN_METRICS) <= metrics
    artifacts = {f["path"] for f in _get(url, "artifacts/list", run_id=run["info"]["run_id"])["files"]}
    assert set(RUN_ARTIFACTS) <= artifacts
    return experiment["experiment_id"], run["info"]["run_id"]


RUN_METRICS = ("test_accuracy", "test_macro_f1", "test_ece", "val_accuracy", "epoch_seconds", "tokens_per_second")
RUN_ARTIFACTS = ("config.yaml", "vocabulary.txt", "training.csv", "confusion.csv", "gates", "saved_model")


def _pipeline(workdir: Path, tracking_uri: str) -> None:
    cfg = tiny_config(workdir)
    cfg.tracking.tracking_uri = tracking_uri
    for stage in (ingest, tokenize_text, baseline, train, evaluate, export):
        stage.main(cfg)


@pytest.mark.slow
def test_remote_tracking_server_works_like_the_local_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path / 'server.db'}"
    with serving(
        "server", "--backend-store-uri", store, "--artifacts-destination", str(tmp_path / "artifacts"), cwd=tmp_path
    ) as url:
        _pipeline(tmp_path / "work", url)
        _check_run_shown(url)


@pytest.fixture(scope="module")
def mlflow_ui(pipeline_run: tuple[DictConfig, Path]) -> Iterator[str]:
    """`mlflow ui` on the tiny pipeline's local store (sqlite:///<dir>/mlflow.db), as the README starts it; its URL."""
    with serving("ui", "--backend-store-uri", "sqlite:///mlflow.db", cwd=pipeline_run[1]) as url:
        yield url


@pytest.mark.slow
def test_mlflow_ui_shows_the_run_from_the_local_store(mlflow_ui):
    _check_run_shown(mlflow_ui)


@pytest.mark.slow
@requires_chromium
def test_the_run_page_shows_its_metrics_and_artifacts_in_a_browser(mlflow_ui, tmp_path):
    """The dashboard as a person opens it: MLflow's React app, rendered by headless Chromium."""
    experiment_id, run_id = _check_run_shown(mlflow_ui)
    page = f"{mlflow_ui}/#/experiments/{experiment_id}/runs/{run_id}"
    overview = chromium(page, "--dump-dom", cwd=tmp_path)
    assert "lstm-8-synthetic" in overview  # the run's name, as its heading
    assert [name for name in RUN_METRICS if f">{name}<" not in overview] == []  # each a cell of the metrics table
    artifacts = chromium(f"{page}/artifacts", "--dump-dom", cwd=tmp_path)
    assert [name for name in RUN_ARTIFACTS if f">{name}<" not in artifacts] == []  # each a node of the file tree
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "mlflow_run.png"
    chromium(page, f"--screenshot={screenshot}", "--window-size=1400,1000", cwd=tmp_path)
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    assert (pixels < 0.9).any(axis=-1).mean() > 0.02  # ink on the page, not a blank white one


@pytest.mark.slow
def test_the_logged_model_served_over_rest_answers_with_the_saved_models_probabilities(pipeline_run):
    """`mlflow models serve` (the README's command) on the logged model; a real POST to /invocations."""
    local_store = pipeline_run[1]
    run_id = json.loads((local_store / "models" / "mlflow_run.json").read_text())["run_id"]
    texts = ["a great film", "", "the plot was not good but the cast was great", "ça ne vaut rien"]
    env = {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}
    with serving(
        "models", "serve", "-m", f"runs:/{run_id}/model", "--env-manager", "local", cwd=local_store, env=env
    ) as url:
        request = urllib.request.Request(
            f"{url}/invocations",
            data=json.dumps({"dataframe_records": [{"text": text} for text in texts]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            predictions = json.loads(response.read())["predictions"]
    serve = tf.saved_model.load(str(local_store / "saved_model")).signatures["serving_default"]
    expected = serve(texts=tf.constant(texts))
    served = np.array([[row["probability_negative"], row["probability_positive"]] for row in predictions])
    np.testing.assert_allclose(served, expected["probabilities"].numpy(), atol=1e-6)
    assert [row["label"] for row in predictions] == [label.decode() for label in expected["label"].numpy()]
