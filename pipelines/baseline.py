"""Stage `baseline`: what order-blind models reach — majority class and a bag-of-words model; for a
language model, add-one smoothed unigram and bigram models (test cross-entropy in nats per token).

    python -m pipelines.baseline [baseline.epochs=3]

Reads params `task.name`, `baseline`; reads `paths.tokenized`; writes `paths.metrics`/baseline.json
and `paths.baseline`: the bag-of-words model (model.keras), which evaluate compares the trained
model with text by text; empty for a language model.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.common import log, run

import keras
from omegaconf import DictConfig

from textrnn import evaluation, models, tokenized, training
from textrnn.atomic import replace_directory, write_json


def main(cfg: DictConfig) -> None:
    if cfg.task.name == "language_model":
        metrics, model = ngram_baselines(cfg.paths.tokenized), None
        log.info("n-gram baselines on test (nats per token): %s", metrics)
    else:
        metrics, model = classification_baselines(cfg.paths.tokenized, cfg.baseline)
        log.info("baselines on test: %s", metrics)
    write_json(Path(cfg.paths.metrics) / "baseline.json", metrics)
    with replace_directory(cfg.paths.baseline) as out:
        if model is not None:
            model.save(out / "model.keras")


def ngram_baselines(directory: str) -> dict[str, float]:
    """Add-one smoothed unigram and bigram models' test cross-entropy."""
    train, test = tokenized.token_ids(directory, "train"), tokenized.token_ids(directory, "test")
    vocab_size = tokenized.meta(directory).vocab_size
    return {
        f"{name}_loss": evaluation.ngram_cross_entropy(train, test, order=order, vocab_size=vocab_size)
        for order, name in ((1, "unigram"), (2, "bigram"))
    }


def classification_baselines(directory: str, settings: DictConfig) -> tuple[dict[str, float], keras.Model]:
    """The majority class's and the trained bag-of-words model's test accuracy; the bag-of-words model."""
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
    return metrics, model


if __name__ == "__main__":
    run(main, __doc__, reads=("tokenized",), writes=("baseline",))
