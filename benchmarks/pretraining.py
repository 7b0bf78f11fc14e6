"""Language-model pretraining throughput: the full softmax over the vocabulary against the sampled
softmax that stage `pretrain` trains with (``pretrain.num_sampled``), in one run.

The model is the IMDB preset's (an LSTM of 128 units on a 128-dimensional embedding, textrnn's own
cells) over a 20,000-token vocabulary, reading windows of 64 tokens in batches of 64 — stage
`pretrain`'s defaults. The token stream is drawn from a Zipf distribution over the vocabulary (as
words are), so that the sampled softmax's log-uniform candidates meet a realistic frequency profile.
Per round, each route trains a fresh model for ``--steps`` steps after a warm-up of 20 (tracing),
timed; reported per route: the median tokens/s over rounds, every round's, and the ratio to the full
softmax from the same run. Timings on a shared 2-core VM vary by ±15 %: read the ratio.

    python benchmarks/pretraining.py            # --rounds 3 --steps 100

Results are written to benchmarks/results/pretraining.json.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from statistics import median

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as textrnn/__init__.py sets them, before TensorFlow loads
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
from environment import write_records

from textrnn import language_model, models, pretraining, tokenized, training

RESULTS = Path(__file__).parent / "results" / "pretraining.json"
VOCABULARY, EMBEDDING, UNITS, WINDOW, BATCH, SAMPLED = 20_000, 128, 128, 64, 64, 1024
WARM_UP = 20


def tokens_per_second(num_sampled: int, stream: np.ndarray, steps: int) -> float:
    """Train a fresh language model ``steps`` steps (after the warm-up) on ``stream``; tokens/s."""
    keras.utils.set_random_seed(0)
    model = models.build_language_model(vocab_size=VOCABULARY, embedding_dim=EMBEDDING, units=UNITS, seed=0)
    trainer = pretraining.SampledSoftmaxTrainer(model, num_sampled)  # 0: the full softmax
    trainer.compile(optimizer=training.make_optimizer(learning_rate=0.002))
    batches = tokenized.batches(language_model.windows(stream, WINDOW), BATCH).repeat()
    trainer.fit(batches, steps_per_epoch=WARM_UP, epochs=1, verbose=0)
    started = time.perf_counter()
    trainer.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * BATCH * WINDOW / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N")
    parser.add_argument("--steps", type=int, default=100, choices=range(10, 100_000), metavar="N (≥ 10)")
    args = parser.parse_args()
    ranks = np.random.default_rng(0).zipf(1.2, size=(args.steps + WARM_UP) * BATCH * WINDOW + 1)
    stream = np.where(ranks < VOCABULARY - 2, ranks + 1, 1).astype(np.int32)  # ids ≥ 2 by frequency; [UNK] past
    routes = {"full softmax": 0, f"sampled softmax ({SAMPLED})": SAMPLED}
    measured: dict[str, list[float]] = {route: [] for route in routes}
    for _ in range(args.rounds):
        for route, num_sampled in routes.items():
            measured[route].append(tokens_per_second(num_sampled, stream, args.steps))
            print(route, round(measured[route][-1]), flush=True)
    full = median(measured["full softmax"])
    records = [
        {
            "route": route,
            "num_sampled": num_sampled,
            "tokens_per_second": round(median(measured[route])),
            "vs_full_softmax": round(median(measured[route]) / full, 2),
            "rounds_tokens_per_second": [round(value) for value in measured[route]],
        }
        for route, num_sampled in routes.items()
    ]
    setup = {
        "vocabulary": VOCABULARY,
        "model": f"lstm, embedding {EMBEDDING}, units {UNITS}",
        "window": WINDOW,
        "batch_size": BATCH,
        "steps": args.steps,
        "rounds": args.rounds,
    }
    write_records(RESULTS, setup, records)


if __name__ == "__main__":
    main()
