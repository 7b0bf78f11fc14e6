"""TensorFlow's oneDNN rewrites on against off (``TF_ENABLE_ONEDNN_OPTS``), training the default
pipeline's model: what textrnn's default (off: quiet and the same kernels on every CPU) costs.

The variable is read when TensorFlow loads, so each setting trains in a fresh Python process: per
round, one process per setting in turn, each a fresh model trained ``--epochs`` epochs with Keras's
``fit`` on the default data (the synthetic dataset, ingested and tokenized once by the pipeline's
stages), its last epoch timed. Reported per setting: the median seconds per epoch and tokens/s, the
fastest epoch, every round's seconds, the ratio to off from the same run, the last epoch's loss, and
how many lines TensorFlow wrote to stderr. Timings on a shared 2-core VM vary by ±15 %: read the ratios.

    python benchmarks/onednn.py                 # --rounds 3 --epochs 2

Results are written to benchmarks/results/onednn.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from pipelines import ingest, tokenize_text
from pipelines.common import ROOT, compose_config

from environment import write_results

RESULTS = Path(__file__).parent / "results" / "onednn.json"
SETTINGS = {"off": "0", "on": "1"}


def measure(tokenized_dir: str, epochs: int) -> None:
    """In the child process: train and print the last epoch's measurements as one JSON line."""
    import training_loop

    from textrnn import training

    cfg = compose_config([])
    cfg.paths.tokenized = tokenized_dir
    print(json.dumps(training_loop.last_epoch(cfg, training.fit, epochs)))


def run_setting(setting: str, tokenized_dir: str, epochs: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", tokenized_dir, "--epochs", str(epochs)],
        env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": SETTINGS[setting], "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return {**json.loads(result.stdout.splitlines()[-1]), "stderr_lines": len(result.stderr.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N")
    parser.add_argument("--epochs", type=int, default=2, choices=range(2, 100), metavar="N (≥ 2)")
    parser.add_argument("--measure", metavar="TOKENIZED", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.epochs)
        return
    cfg = compose_config([])
    runs: dict[str, list[dict[str, float]]] = {setting: [] for setting in SETTINGS}
    with tempfile.TemporaryDirectory() as workdir:
        cfg.paths.ingested, cfg.paths.tokenized = f"{workdir}/ingested", f"{workdir}/tokenized"
        ingest.main(cfg)
        tokenize_text.main(cfg)
        for _ in range(args.rounds):
            for setting in SETTINGS:
                runs[setting].append(run_setting(setting, cfg.paths.tokenized, args.epochs))
                print(setting, runs[setting][-1], flush=True)
    seconds = {setting: median(r["epoch_seconds"] for r in measured) for setting, measured in runs.items()}
    records = [
        {
            "onednn": setting,
            "TF_ENABLE_ONEDNN_OPTS": SETTINGS[setting],
            "epoch_seconds": round(seconds[setting], 3),
            "tokens_per_second": round(median(r["tokens_per_second"] for r in measured)),
            "seconds_vs_off": round(seconds[setting] / seconds["off"], 3),
            "fastest_epoch_seconds": round(min(r["epoch_seconds"] for r in measured), 3),
            "rounds_seconds": [round(r["epoch_seconds"], 3) for r in measured],
            "last_loss": [r["loss"] for r in measured][-1],
            "stderr_lines": max(int(r["stderr_lines"]) for r in measured),
        }
        for setting, measured in runs.items()
    ]
    write_results(RESULTS, cfg, epochs=args.epochs, rounds=args.rounds, records=records)


if __name__ == "__main__":
    main()
