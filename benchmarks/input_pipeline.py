"""End-to-end training throughput on SST-2 with and without length bucketing, in one run.

One epoch of the `sst2` preset's model (conf/experiment/sst2.yaml) over SST-2's train split per
setting of ``trainer.length_buckets`` — 1 (today's batches: shuffled, each padded to its
longest) and the preset's — built by the train stage's own steps (``train.batches``,
``train.build_model``) and timed by ``training.EpochStatistics`` as ``training.fit`` uses it, the
settings taking turns for ``--rounds``. Reported per
setting: the padded fraction of the batches' cells, seconds per epoch (training and validation),
and tokens/s (real tokens of the train split per second); the median over rounds, and the ratio to
``length_buckets=1`` measured in the same run. Timings on a shared 2-core VM vary by ±15 %: read
the ratios.

    python benchmarks/input_pipeline.py                        # needs ../shared/data/sst2
    python benchmarks/input_pipeline.py --buckets 1 8 16 --rounds 2

Ingest and tokenize run first (the pipeline's own stages, into a temporary directory).
Results are written to benchmarks/results/input_pipeline.json.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path
from statistics import median
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from pipelines import train
from pipelines.common import compose_config
from pipelines.task import task_of

import keras
from environment import write_records
from omegaconf import OmegaConf
from turns import measure_in_turns

from textrnn import tokenized, training

RESULTS = Path(__file__).parent / "results" / "input_pipeline.json"


def epoch(cfg: Any, buckets: int) -> dict[str, float]:
    """One training epoch of the preset's model with ``length_buckets=buckets``: EpochStatistics' numbers."""
    cfg = OmegaConf.merge(cfg, {"trainer": {"length_buckets": buckets}})
    keras.utils.set_random_seed(cfg.trainer.seed)
    shuffle = tokenized.EpochShuffle(cfg.trainer.seed)
    task = task_of(cfg)
    train_batches, validation = train.batches(cfg, task, shuffle)
    model = train.build_model(cfg, task, steps_per_epoch=int(train_batches.cardinality()))
    timer = training.EpochStatistics()
    history = model.fit(
        timer.counting(train_batches),
        validation_data=validation,
        epochs=1,
        shuffle=False,
        callbacks=[timer, shuffle],
        verbose=0,
    )
    return {key: history.history[key][0] for key in ("epoch_seconds", "tokens_per_second", "padded_fraction")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, nargs="+", default=None, help="length_buckets settings; 1 is first")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    cfg = compose_config(["experiment=sst2"])
    settings = args.buckets or sorted({1, cfg.trainer.length_buckets})
    runs = measure_in_turns(cfg, {b: functools.partial(epoch, cfg, b) for b in settings}, args.rounds)
    base = {key: median(r[key] for r in runs[settings[0]]) for key in runs[settings[0]][0]}
    records = []
    for buckets, measured in runs.items():
        medians = {key: median(r[key] for r in measured) for key in measured[0]}
        records.append(
            {
                "length_buckets": buckets,
                **{key: round(value, 4) for key, value in medians.items()},
                "seconds_ratio": round(medians["epoch_seconds"] / base["epoch_seconds"], 3),
                "padding_cut": round(1 - medians["padded_fraction"] / base["padded_fraction"], 3),
            }
        )
    setup = {"model": OmegaConf.to_container(cfg.model), "batch_size": cfg.trainer.batch_size, "rounds": args.rounds}
    write_records(RESULTS, setup, records)


if __name__ == "__main__":
    main()
