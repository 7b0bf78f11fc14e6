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

from pipelines.common import log, run

from omegaconf import DictConfig, OmegaConf

from textrnn import vectorize
from textrnn.data import store
from textrnn.data.sources import SPLITS
from textrnn.io import replace_directory, write_json


def main(cfg: DictConfig) -> None:
    spec = vectorize.TokenizerSpec(**OmegaConf.to_container(cfg.tokenizer))  # type: ignore[arg-type]
    ingested = cfg.paths.ingested
    layer = vectorize.adapt(spec, store.load_split(ingested, "train").map(lambda row: row["text"]))
    statistics = {}
    with replace_directory(cfg.paths.tokenized) as out:
        vectorize.save(layer, spec, out)
        for split in SPLITS:
            encoded = vectorize.encode(layer, store.load_split(ingested, split)).cache()  # one pass for both uses
            statistics[split] = vectorize.split_statistics(encoded, spec.max_length)
            vectorize.save_encoded(vectorize.truncate(encoded, spec.max_length), out / split)
        meta = {"label_names": store.label_names(ingested), "vocab_size": layer.vocabulary_size()}
        write_json(out / "meta.json", meta)
        write_json(out / "statistics.json", statistics)
    log.info("vocabulary of %d tokens; train OOV rate %.4f", meta["vocab_size"], statistics["train"]["oov_rate"])


if __name__ == "__main__":
    run(main, __doc__)
