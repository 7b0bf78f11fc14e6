"""Shared fixtures: the real config from conf/, shrunk to tiny data, writing into a temporary directory."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pipelines.common import ROOT, compose_config

import pytest
from omegaconf import DictConfig

CHROMIUM = shutil.which("chromium")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots the tests keep for a person to look at (git-ignored)
SST2 = ROOT.parent / "shared" / "data" / "sst2"
STAGE_PATHS = ("ingested", "tokenized", "models", "checkpoints", "metrics", "plots", "reports", "saved_model")
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
