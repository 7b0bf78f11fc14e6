"""Serving latency and throughput of the exported model: the SavedModel in-process and over REST.

For each way of serving — the SavedModel's ``serving_default`` signature called in this process,
and the MLflow model that export logged, served by ``mlflow models serve --env-manager local``
(the command in docs/serving.md) and called with HTTP POSTs from this process — the p50 and p99 latency of
one request holding one 50-word text, and texts/s at batch 256. Both run in one invocation, on
the same machine; the REST server and this client share its cores.

    dvc repro                      # trains and exports the model first
    python benchmarks/serving.py   # [--requests 300 --batches 20 --model saved_model]

Results are written to benchmarks/results/serving.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from statistics import quantiles

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import mlflow
import numpy as np
import tensorflow as tf
from environment import environment

RESULTS = Path(__file__).parent / "results" / "serving.json"
# 50 words, as a review reads; the default model's vocabulary knows some of them, not all
TEXT = (
    "we bought popcorn and sat down although the story begins slowly the villain felt hardly fantastic "
    "and the soundtrack seemed never poor there is a scene with a toad that the whole cinema loved "
    "but the ending was not good and we left before the credits the cast was great"
)
BATCH = 256
WARM_UP = 20


def timed(call: Callable[[list[str]], object], texts: list[str], repeats: int) -> list[float]:
    """Seconds per call of ``call(texts)``, ``repeats`` times after a warm-up."""
    for _ in range(WARM_UP):
        call(texts)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(texts)
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(single: list[float], batches: list[float]) -> dict[str, float]:
    percentiles = quantiles(single, n=100, method="inclusive")
    return {
        "p50_ms": round(percentiles[49] * 1000, 2),
        "p99_ms": round(percentiles[98] * 1000, 2),
        "texts_per_second_at_256": round(BATCH * len(batches) / sum(batches), 1),
    }


def saved_model_call(path: Path) -> Callable[[list[str]], object]:
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    return lambda texts: serve(texts=tf.constant(texts))["probabilities"].numpy()


def rest_call(url: str) -> Callable[[list[str]], object]:
    def call(texts: list[str]) -> object:
        body = json.dumps({"dataframe_records": [{"text": text} for text in texts]}).encode()
        request = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["predictions"]

    return call


def start_server(model_uri: str, tracking_uri: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mlflow_cli = str(Path(sys.executable).parent / "mlflow")
    command = [mlflow_cli, "models", "serve", "-m", model_uri, "--env-manager", "local"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        # the venv's bin first: `mlflow models serve` starts `uvicorn` from PATH
        env={
            **os.environ,
            "PATH": f"{Path(mlflow_cli).parent}{os.pathsep}{os.environ['PATH']}",
            "MLFLOW_TRACKING_URI": tracking_uri,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise SystemExit(f"mlflow models serve -m {model_uri} did not start") from None
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("saved_model"), help="the exported SavedModel")
    parser.add_argument("--run", type=Path, default=Path("models/mlflow_run.json"), help="the run export logged to")
    parser.add_argument("--requests", type=int, default=300, help="single-text requests timed per way")
    parser.add_argument("--batches", type=int, default=20, help="batches of 256 timed per way")
    args = parser.parse_args()
    if not (args.model / "saved_model.pb").is_file() or not args.run.is_file():
        raise SystemExit(f"{args.model} or {args.run} missing: run `dvc repro` first")
    run = json.loads(args.run.read_text())
    single, batch = [TEXT], [TEXT] * BATCH

    results = {}
    in_process = saved_model_call(args.model)
    results["saved_model"] = summary(timed(in_process, single, args.requests), timed(in_process, batch, args.batches))
    print("saved_model", results["saved_model"], flush=True)
    process, url = start_server(f"runs:/{run['run_id']}/model", run["tracking_uri"])
    try:
        over_rest = rest_call(url)
        served = np.array([[v for k, v in row.items() if k.startswith("probability_")] for row in over_rest(single)])
        assert np.allclose(served, in_process(single), atol=1e-6), "the REST endpoint answers differently"
        results["rest"] = summary(timed(over_rest, single, args.requests), timed(over_rest, batch, args.batches))
        print("rest", results["rest"], flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    setup = {
        "model": str(args.model),
        "text_words": len(TEXT.split()),
        "requests": args.requests,
        "batches": args.batches,
        **environment(),
        "mlflow": mlflow.__version__,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"setup": setup, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
