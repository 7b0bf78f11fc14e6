"""What every benchmark's results file records of the machine and software it was measured on."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from pipelines.common import ROOT, git_commit

import keras
import tensorflow as tf
from omegaconf import OmegaConf


def environment() -> dict[str, str | None]:
    """When, at which commit (``+changes`` where the checkout differs from it) and on what."""
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    commit = git_commit()
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return {
        "date": datetime.date.today().isoformat(),
        "commit": commit and commit[:7] + ("+changes" if changed.stdout.strip() else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "cpu": cpu,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def write_records(path: Path, setup: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """A benchmark's results file: its ``setup`` and the machine's, and its records; the records printed."""
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"setup": {**setup, **environment()}, "results": records}, indent=2) + "\n")
    for record in records:
        print(record)


def write_results(path: Path, cfg: Any, *, epochs: int, rounds: int, records: list[dict[str, Any]]) -> None:
    """A training benchmark's results file: what was trained, on what, and its records."""
    setup = {
        "dataset": cfg.dataset.name,
        "model": OmegaConf.to_container(cfg.model),
        "batch_size": cfg.trainer.batch_size,
        "epochs": epochs,
        "rounds": rounds,
    }
    write_records(path, setup, records)
