"""Stage `pretrain`: a recurrent language model on unlabelled text, with the classifier's tokenizer
and architecture, for the classifier to start from (Dai & Le 2015); nothing where `pretrain.files`
is empty and `pretrain.train_split` false (conf/pretrain/none.yaml, the default).

    python -m pipelines.pretrain pretrain=imdb_unlabelled [pretrain.epochs=2 ...]

Reads params `pretrain` and the architecture keys of `model` (`family`, `embedding_dim`, `units`,
`num_layers`, `pretrained_vectors`: the language model's embedding starts from them too); reads
`paths.tokenized` (the vocabulary and tokenizer), `paths.ingested` (the train split's texts where
`pretrain.train_split`; the validation split's, always, to validate on — never the test split's)
and the files of `pretrain.files`. Writes `paths.pretrained` (model.keras, the language model at
its best validation epoch; vocabulary.txt and tokenizer.json, the tokenizer it was trained with) and
`paths.metrics`/pretrain.json (tokens, validation loss and perplexity, tokens per second).

Its params are not the classifier's trainer's: changing `trainer.seed`, the head or the
classifier's learning rate reruns `train` and what follows, not this stage.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from pipelines.common import in_project, log, run

import keras
from omegaconf import DictConfig

from textrnn import language_model, models, pretraining, tokenized, training, vectorize, vectors
from textrnn.atomic import replace_directory, write_json
from textrnn.data import store
from textrnn.errors import TextrnnError


def main(cfg: DictConfig) -> None:
    settings, directory = cfg.pretrain, cfg.paths.tokenized
    if not (settings.files or settings.train_split):
        write_json(Path(cfg.paths.metrics) / "pretrain.json", {})
        with replace_directory(cfg.paths.pretrained):
            log.info("no pretraining (pretrain.files is empty and pretrain.train_split false)")
        return
    missing = [path for path in settings.files if not Path(in_project(path)).is_file()]
    if missing:
        raise TextrnnError(f"pretrain.files: {missing[0]} does not exist; point pretrain.files at your corpus")
    texts = pretraining.read_corpus(
        [in_project(path) for path in settings.files],
        text_field=settings.text_field,
        strip_html=settings.strip_html,
        share=settings.share,
        seed=settings.seed,
    )
    if settings.train_split:
        texts += store.texts(cfg.paths.ingested, "train")
    vocabulary = tokenized.vocabulary(directory)
    tokenizer = vectorize.TokenizerSpec.load(directory).layer(vocabulary)
    stream = pretraining.token_stream(texts, tokenizer)
    if len(stream) <= settings.window:
        raise TextrnnError(
            f"pretrain.files: the corpus holds {len(stream)} tokens, not one window of pretrain.window = "
            f"{settings.window}; give more text"
        )
    validation_texts = store.texts(cfg.paths.ingested, "validation")
    log.info("pretraining on %d texts, %d tokens", len(texts), len(stream))
    keras.utils.set_random_seed(settings.seed)
    model = build(cfg, vocab_size=len(vocabulary))
    trainer = pretraining.SampledSoftmaxTrainer(model, settings.num_sampled)
    trainer.compile(optimizer=training.make_optimizer(learning_rate=settings.learning_rate, global_clipnorm=1.0))
    shuffle = tokenized.EpochShuffle(settings.seed)
    train = tokenized.batches(language_model.windows(stream, settings.window), settings.batch_size, shuffle=shuffle)
    validation_stream = pretraining.token_stream(validation_texts, tokenizer)
    validation = tokenized.batches(language_model.windows(validation_stream, settings.window), settings.batch_size)
    checkpoints = Path(cfg.paths.checkpoints) / "pretrain"
    history = training.fit(
        trainer,
        train,
        validation,
        epochs=settings.epochs,
        patience=settings.epochs,
        backup_dir=checkpoints,
        history_csv=None,
        callbacks=[shuffle],
        verbose=2,
    )
    shutil.rmtree(checkpoints, ignore_errors=True)
    loss = min(history.history["val_loss"])
    metrics = {
        "tokens": len(stream),
        "val_loss": loss,
        "val_perplexity": math.exp(loss),
        "tokens_per_second": sum(history.history["tokens_per_second"]) / len(history.history["tokens_per_second"]),
    }
    write_json(Path(cfg.paths.metrics) / "pretrain.json", metrics)
    with replace_directory(cfg.paths.pretrained) as out:
        model.save(out / "model.keras")
        tokenized.write_tokenizer(out, vocabulary, tokenized.tokenizer_settings(directory))
    log.info("pretrained language model in %s: %s", cfg.paths.pretrained, metrics)


def build(cfg: DictConfig, *, vocab_size: int) -> keras.Model:
    """The language model the classifier's architecture keys describe, its embedding started from
    ``model.pretrained_vectors`` where set."""
    model, weights = cfg.model, None
    embedding_dim = model.embedding_dim
    if model.pretrained_vectors is not None:
        words = tokenized.vocabulary(cfg.paths.tokenized)
        weights = vectors.embedding_matrix(in_project(model.pretrained_vectors), words, seed=cfg.pretrain.seed).matrix
        embedding_dim = weights.shape[1]
    return models.build_language_model(
        vocab_size=vocab_size,
        family=model.family,
        embedding_dim=embedding_dim,
        units=model.units,
        num_layers=model.num_layers,
        dropout=cfg.pretrain.dropout,
        seed=cfg.pretrain.seed,
        embedding_weights=weights,
    )


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested", "tokenized"), writes=("pretrained",), section="pretrain")
