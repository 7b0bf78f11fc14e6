"""Stage `baseline`: what order-blind models reach — majority class and a bag-of-words model; for a
language model, add-one smoothed unigram and bigram models (test cross-entropy in nats per token).

    python -m pipelines.baseline [baseline.epochs=3]

Reads params `task.name`, `baseline`; reads `paths.tokenized`; writes `paths.metrics`/baseline.json.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.common import log, run

import keras
from omegaconf import DictConfig

from textrnn import evaluation, models, tokenized, training
from textrnn.atomic import write_json


def main(cfg: DictConfig) -> None:
    directory, settings = cfg.paths.tokenized, cfg.baseline
    if cfg.task.name == "language_model":
        train, test = tokenized.token_ids(directory, "train"), tokenized.token_ids(directory, "test")
        vocab_size = tokenized.meta(directory).vocab_size
        metrics = {
            f"{name}_loss": evaluation.ngram_cross_entropy(train, test, order=order, vocab_size=vocab_size)
            for order, name in ((1, "unigram"), (2, "bigram"))
        }
        write_json(Path(cfg.paths.metrics) / "baseline.json", metrics)
        log.info("n-gram baselines on test (nats per token): %s", metrics)
        return
    keras.utils.set_random_seed(settings.seed)
    meta = tokenized.meta(directory)
    train, validation, test = (tokenized.split(directory, name) for name in ("train", "validation", "test"))
    model = models.build_bow_baseline(vocab_size=meta.vocab_size, num_classes=len(meta.label_names))
    training.compile_classifier(model, training.make_optimizer(learning_rate=settings.learning_rate))
    shuffle = tokenized.EpochShuffle(settings.seed)
    model.fit(
        tokenized.batches(train, settings.batch_size, shuffle=shuffle),
        validation_data=tokenized.batches(validation, settings.batch_size),
        epochs=settings.epochs,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        callbacks=[shuffle],
        verbose=2,
    )
    probabilities = model.predict(tokenized.batches(test, settings.batch_size), verbose=0)
    test_labels = tokenized.labels(directory, "test")
    metrics = {
        "bow_accuracy": evaluation.classification_metrics(test_labels, probabilities)["accuracy"],
        "majority_accuracy": evaluation.majority_accuracy(tokenized.labels(directory, "train"), test_labels),
    }
    write_json(Path(cfg.paths.metrics) / "baseline.json", metrics)
    log.info("baselines on test: %s", metrics)


if __name__ == "__main__":
    run(main, __doc__)
