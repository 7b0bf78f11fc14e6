"""Stage `tokenize`: adapt TextVectorization on the train split; encode every split.

    python -m pipelines.tokenize_text [tokenizer=char] [tokenizer.max_tokens=5000 ...]

(Not ``tokenize.py``: run as ``python pipelines/<stage>.py``, that file would shadow Python's own
``tokenize`` module.)

Reads params `tokenizer`; reads `paths.ingested`; writes `paths.tokenized` (vocabulary.txt,
tokenizer.json, meta.json, statistics.json — length statistics and OOV rate per split — and per
split the token ids, row lengths and labels as .npy). The statistics are plain JSON, not DVC
metrics: 21 numbers that would crowd the model's params and scores out of `dvc exp show`.
"""

from __future__ import annotations

from dataclasses import asdict

from pipelines.common import log, run

from omegaconf import DictConfig, OmegaConf

from textrnn import tokenized, vectorize
from textrnn.atomic import replace_directory
from textrnn.data import store
from textrnn.data.sources import SPLITS


def main(cfg: DictConfig) -> None:
    spec = vectorize.TokenizerSpec(**OmegaConf.to_container(cfg.tokenizer))  # type: ignore[arg-type]
    ingested = cfg.paths.ingested
    layer = vectorize.adapt(spec, store.load_split(ingested, "train").map(lambda row: row["text"]))
    statistics = {}
    with replace_directory(cfg.paths.tokenized) as out:
        tokenized.write_tokenizer(out, layer.get_vocabulary(), asdict(spec))
        for split in SPLITS:
            encoded = vectorize.encode(layer, store.load_split(ingested, split)).cache()  # one pass for both uses
            statistics[split] = vectorize.split_statistics(encoded, spec.max_length)
            tokenized.write_split(out, split, vectorize.truncate(encoded, spec.max_length))
        meta = tokenized.Meta(label_names=store.label_names(ingested), vocab_size=layer.vocabulary_size())
        tokenized.write_meta(out, meta)
        tokenized.write_statistics(out, statistics)
    log.info("vocabulary of %d tokens; train OOV rate %.4f", meta.vocab_size, statistics["train"]["oov_rate"])


if __name__ == "__main__":
    run(main, __doc__, reads=("ingested",), writes=("tokenized",))
