"""Keras's ``fit`` against textrnn's custom loop (``textrnn.custom_loop``, what ``multi_worker`` trains
with) on one device, in one run: does the loop cost time, and should it serve every strategy?

The default pipeline's data and model (conf/ as composed, the synthetic dataset), built by the train
stage's own steps; per round, a fresh model trained ``--epochs`` epochs by each way in turn, the
last epoch timed (the first includes tracing). Reported per way: seconds per epoch (training and
validation) and tokens/s, the medians over rounds, the fastest epoch, every round's seconds, and
the loop's ratios to ``fit`` from the same run. Timings on a shared 2-core VM vary by ±15 % and
more: read the ratios, and the fastest epochs.

    python benchmarks/training_loop.py                 # --rounds 3 --epochs 2

Results are written to benchmarks/results/training_loop.json.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from pipelines import train
from pipelines.common import compose_config
from pipelines.task import task_of

import keras
import tensorflow as tf
from environment import write_results
from turns import measure_in_turns

from textrnn import custom_loop, tokenized, training

RESULTS = Path(__file__).parent / "results" / "training_loop.json"


def last_epoch(cfg: Any, fit: Callable[..., keras.callbacks.History], epochs: int) -> dict[str, float]:
    """Train a fresh model ``epochs`` epochs with ``fit``; the last epoch's time and throughput."""
    keras.utils.set_random_seed(cfg.trainer.seed)
    shuffle = tokenized.EpochShuffle(cfg.trainer.seed)
    task = task_of(cfg)
    train_batches, validation = train.batches(cfg, task, shuffle)
    model = train.build_model(cfg, task, steps_per_epoch=int(train_batches.cardinality()))
    with tempfile.TemporaryDirectory() as backup:
        history = fit(
            model,
            train_batches,
            validation,
            epochs=epochs,
            patience=epochs,
            backup_dir=Path(backup),
            history_csv=None,
            callbacks=[shuffle],
            verbose=0,
        ).history
    return {key: history[key][-1] for key in ("epoch_seconds", "tokens_per_second", "loss")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N")
    parser.add_argument("--epochs", type=int, default=2, choices=range(2, 100), metavar="N (≥ 2)")
    args = parser.parse_args()
    cfg = compose_config([])
    ways = {
        "fit": training.fit,
        "custom_loop": functools.partial(custom_loop.train, strategy=tf.distribute.get_strategy()),
    }
    runs = measure_in_turns(
        cfg, {way: functools.partial(last_epoch, cfg, fit, args.epochs) for way, fit in ways.items()}, args.rounds
    )
    medians = {way: {key: median(r[key] for r in measured) for key in measured[0]} for way, measured in runs.items()}
    fastest = {way: min(r["epoch_seconds"] for r in measured) for way, measured in runs.items()}
    records = [
        {
            "way": way,
            "epoch_seconds": round(m["epoch_seconds"], 3),
            "tokens_per_second": round(m["tokens_per_second"]),
            "seconds_vs_fit": round(m["epoch_seconds"] / medians["fit"]["epoch_seconds"], 3),
            "fastest_epoch_seconds": round(fastest[way], 3),
            "fastest_vs_fit": round(fastest[way] / fastest["fit"], 3),
            "rounds_seconds": [round(r["epoch_seconds"], 3) for r in runs[way]],
        }
        for way, m in medians.items()
    ]
    write_results(RESULTS, cfg, epochs=args.epochs, rounds=args.rounds, records=records)


if __name__ == "__main__":
    main()
