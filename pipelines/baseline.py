"""Stage `baseline`: what order-blind models reach on the test split — for a classifier, the majority
class and a bag-of-words model; for a language model, add-one smoothed unigram and bigram models
(cross-entropy in nats per token).

    python -m pipelines.baseline [baseline.epochs=3]

Reads params `task`, `baseline`; reads `paths.tokenized`; writes `paths.metrics`/baseline.json
and `paths.baseline`: the bag-of-words model (model.keras), which evaluate compares the trained
model with text by text; empty for a language model.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.common import log, run
from pipelines.task import task_of

from omegaconf import DictConfig

from textrnn.atomic import replace_directory, write_json


def main(cfg: DictConfig) -> None:
    task, settings = task_of(cfg), cfg.baseline
    metrics, model = task.baselines(
        cfg.paths.tokenized,
        seed=settings.seed,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
    )
    log.info("baselines on test: %s", metrics)
    write_json(Path(cfg.paths.metrics) / "baseline.json", metrics)
    with replace_directory(cfg.paths.baseline) as out:
        if model is not None:
            model.save(out / "model.keras")


if __name__ == "__main__":
    run(main, __doc__, reads=("tokenized",), writes=("baseline",), section="baseline")
