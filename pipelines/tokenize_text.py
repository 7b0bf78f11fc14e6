"""Stage `tokenize`: adapt TextVectorization on the train split; encode every split.

    python -m pipelines.tokenize_text [tokenizer=char] [tokenizer.max_tokens=5000 ...]

(Not ``tokenize.py``: run as ``python pipelines/<stage>.py``, that file would shadow Python's own
``tokenize`` module.)

Reads params `tokenizer` and `model.pretrained_vectors` (with `tokenizer.vectors_vocabulary`, its most
frequent words join the vocabulary); reads `paths.ingested`; writes `paths.tokenized` (vocabulary.txt,
tokenizer.json, meta.json, statistics.json — length statistics and OOV rate per split — and per
split the token ids, row lengths and labels — a tagged sentence's, one per token — as .npy). The
statistics are plain JSON, not DVC metrics: 21 numbers that would crowd the model's params and
scores out of `dvc exp show`.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from pipelines.common import in_project, log, run

import keras
from omegaconf import DictConfig, OmegaConf

from textrnn import tokenized, vectorize, vectors
from textrnn.atomic import replace_directory
from textrnn.data import store
from textrnn.data.sources import SPLITS


def tokenizer_spec(tokenizer: DictConfig) -> tuple[vectorize.TokenizerSpec, int]:
    """The library's tokenizer from the `tokenizer` params, and how many of the pretrained vectors'
    words join the vocabulary (`tokenizer.vectors_vocabulary`, a key of this stage, not of the tokenizer)."""
    settings = OmegaConf.to_container(tokenizer)
    extra = settings.pop("vectors_vocabulary", 0)  # type: ignore[union-attr]
    return vectorize.TokenizerSpec(**settings), extra  # type: ignore[arg-type]


def main(cfg: DictConfig) -> None:
    spec, extra = tokenizer_spec(cfg.tokenizer)
    ingested = cfg.paths.ingested
    layer = vectorize.adapt(spec, store.load_split(ingested, "train").map(lambda row: row["text"]))
    if extra and cfg.model.pretrained_vectors:
        spec, layer = with_vector_words(spec, layer, in_project(cfg.model.pretrained_vectors), extra)
    statistics = {}
    with replace_directory(cfg.paths.tokenized) as out:
        tokenized.write_tokenizer(out, layer.get_vocabulary(), asdict(spec))
        for split in SPLITS:
            encoded = vectorize.encode(layer, store.load_split(ingested, split)).cache()  # one pass for both uses
            statistics[split] = vectorize.split_statistics(encoded, spec.max_length)
            tokenized.write_split(out, split, vectorize.truncate(encoded, spec.max_length))
        meta = tokenized.Meta(
            label_names=store.label_names(ingested), vocab_size=layer.vocabulary_size(), tagged=store.tagged(ingested)
        )
        tokenized.write_meta(out, meta)
        tokenized.write_statistics(out, statistics)
    log.info("vocabulary of %d tokens; train OOV rate %.4f", meta.vocab_size, statistics["train"]["oov_rate"])


def with_vector_words(
    spec: vectorize.TokenizerSpec, layer: keras.layers.Layer, vectors_file: str, count: int
) -> tuple[vectorize.TokenizerSpec, keras.layers.Layer]:
    """The vocabulary learned from the train split, then the vectors file's ``count`` most frequent words
    it lacks: a test word never seen in training still reads as its pretrained vector, not [UNK]."""
    learned = layer.get_vocabulary()
    known = set(learned)
    vocabulary = learned + [word for word in vectors.frequent_words(vectors_file, count) if word not in known]
    log.info(
        "vocabulary: %d words from the train split, %d more from %s",
        len(learned),
        len(vocabulary) - len(learned),
        vectors_file,
    )
    spec = replace(spec, max_tokens=len(vocabulary))
    return spec, spec.layer(vocabulary)


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested",), writes=("tokenized",))
