"""MLflow over HTTP: a remote tracking server, and `mlflow ui` showing what the pipeline logged."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines import baseline, evaluate, export, ingest, tokenize_text, train

import pytest

from tests.conftest import tiny_config
from tests.test_training import _free_port

MLFLOW = str(Path(sys.executable).parent / "mlflow")


@contextmanager
def serving(*args: str, cwd: Path) -> Iterator[str]:
    """Run `mlflow <args>` on a free loopback port until the block ends; yield its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [MLFLOW, *args, "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
                assert process.poll() is None and time.time() < deadline, "mlflow did not start"
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


def _check_run_shown(url: str) -> None:
    """What a person sees in the UI, read through the API the UI itself calls."""
    [experiment] = [
        e for e in _post(url, "experiments/search", {"max_results": 10})["experiments"] if e["name"] == "textrnn"
    ]
    [run] = _post(url, "runs/search", {"experiment_ids": [experiment["experiment_id"]]})["runs"]
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["model.family"] == "lstm" and params["trainer.epochs"] == "2"
    history = _get(url, "metrics/get-history", run_id=run["info"]["run_id"], metric_key="val_accuracy")["metrics"]
    assert [m["step"] for m in history] == [1, 2]
    metrics = {m["key"] for m in run["data"]["metrics"]}
    assert {"test_accuracy", "test_macro_f1", "epoch_seconds", "tokens_per_second"} <= metrics
    artifacts = {f["path"] for f in _get(url, "artifacts/list", run_id=run["info"]["run_id"])["files"]}
    assert {"config.yaml", "vocabulary.txt", "training.csv", "confusion.csv", "saved_model"} <= artifacts


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


@pytest.mark.slow
def test_mlflow_ui_shows_the_run_from_the_local_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _pipeline(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}")
    with serving("ui", "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}", cwd=tmp_path) as url:
        _check_run_shown(url)
