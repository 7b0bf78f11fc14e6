"""Shared fixtures: the real config from conf/, shrunk to tiny data, writing into a temporary directory."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pipelines import ingest, schema, tokenize_text
from pipelines.common import ROOT, compose_config

import mlflow
import pytest
from omegaconf import DictConfig

CHROMIUM = shutil.which("chromium")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots the tests keep for a person to look at (git-ignored)
SST2 = ROOT.parent / "shared" / "data" / "sst2"
STAGE_PATHS = tuple(field.name for field in dataclasses.fields(schema.Paths))  # each in a test's workdir
TINY_OVERRIDES = (
    "++dataset.sizes.train=400",
    "++dataset.sizes.validation=80",
    "++dataset.sizes.test=80",
    "trainer.epochs=2",
    "trainer.batch_size=32",
    "model.units=8",
    "model.embedding_dim=8",
    "baseline.epochs=1",
)


def tiny_config(workdir: Path, *overrides: str) -> DictConfig:
    """conf/ composed as `dvc repro` would, then shrunk: tiny data, one small model, paths in ``workdir``."""
    paths = [f"paths.{name}={workdir / name}" for name in STAGE_PATHS]
    return compose_config(
        [*overrides, *TINY_OVERRIDES, f"tracking.tracking_uri=sqlite:///{workdir / 'mlflow.db'}", *paths]
    )


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DictConfig, Path]]:
    """Every stage once, in order, on the composed config shrunk; yield (config, workdir)."""
    from pipelines import baseline, evaluate, export, ingest, tokenize_text, train

    workdir = tmp_path_factory.mktemp("pipeline")
    with contextlib.chdir(workdir):  # MLflow puts artifacts under ./mlruns
        cfg = tiny_config(workdir)
        for stage in (ingest, tokenize_text, baseline, train, evaluate, export):
            stage.main(cfg)
    yield cfg, workdir


requires_sst2 = pytest.mark.skipif(not SST2.is_dir(), reason=f"SST-2 not found at {SST2}")


requires_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")


def chromium(url: str, *args: str, cwd: Path) -> str:
    """Headless Chromium, offline as this machine is: every background connection switched off; its stdout."""
    flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    flags += " --disable-component-update --disable-sync --hide-scrollbars --virtual-time-budget=15000"
    profile = f"--user-data-dir={cwd / 'chromium-profile'}"
    result = subprocess.run([CHROMIUM, *flags.split(), profile, *args, url], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def tokenized(tmp_path_factory) -> Path:
    """Ingested and tokenized tiny synthetic data, shared by a test file's training runs."""
    workdir = tmp_path_factory.mktemp("data")
    cfg = tiny_config(workdir, "++dataset.sizes.train=1200")
    ingest.main(cfg)
    tokenize_text.main(cfg)
    return workdir


def tokenized_config(workdir: Path, tokenized: Path, *overrides: str) -> DictConfig:
    """:func:`tiny_config` reading the data ``tokenized`` (the fixture) holds."""
    cfg = tiny_config(workdir, *overrides)
    cfg.paths.ingested, cfg.paths.tokenized = str(tokenized / "ingested"), str(tokenized / "tokenized")
    return cfg


def mlflow_runs(workdir: Path) -> list:
    """The MLflow runs in ``workdir``'s mlflow.db."""
    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def train_cli(
    workdir: Path,
    tokenized: Path,
    *overrides: str,
    env: dict[str, str] | None = None,
    checkpoints: Path | None = None,
) -> subprocess.Popen:
    paths = [f"paths.{name}={workdir / name}" for name in ("models", "metrics", "plots", "saved_model")]
    args = [
        f"paths.checkpoints={checkpoints or workdir / 'checkpoints'}",
        f"paths.ingested={tokenized / 'ingested'}",
        f"paths.tokenized={tokenized / 'tokenized'}",
        *paths,
        f"tracking.tracking_uri=sqlite:///{workdir / 'mlflow.db'}",
        "trainer.batch_size=32",
        "model.units=8",
        "model.embedding_dim=8",
        *overrides,
    ]
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.train", *args],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C as in a shell: pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored
        # in a child (Python then installs no KeyboardInterrupt handler)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output
    return output


def free_port() -> int:
    """A TCP port on localhost that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
