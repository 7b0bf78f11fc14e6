"""Stage `ingest`: read the configured dataset into a TFDS dataset on disk (train / validation / test):
labelled texts, a plain text cut into three (a language model's) or tagged sentences (a tagger's).

    python -m pipelines.ingest [dataset=sst2] [dataset.sizes.train=1000 ...]

Reads params `dataset` (and, through stage `sources`, the fingerprints of the files it names);
writes `paths.ingested` and `paths.metrics`/ingest.json: how many texts are empty or whitespace
only, and how many splits miss a class — both trained on, and warned about — and the label names
(a files dataset without `label_names` takes the train file's labels).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.common import in_project, log, run

import tensorflow_datasets as tfds
from omegaconf import DictConfig, OmegaConf

from textrnn.atomic import write_json
from textrnn.data import store
from textrnn.data.sources import SPLITS, Corpus, FileSpec, Splits, load_files, load_text, load_tfds
from textrnn.data.synthetic import LABEL_NAMES, SyntheticReviews
from textrnn.data.tagged import TaggedSplits, load_tagged
from textrnn.errors import TextrnnError


def read(dataset: DictConfig) -> Splits | Corpus | TaggedSplits:
    """The dataset's three splits, from whichever source `dataset.source` names: labelled texts,
    plain text (source `text`) or tagged sentences (source `tagged`)."""
    source = dataset.get("source")
    if source == "synthetic":
        generator = SyntheticReviews(
            **{k: tuple(v) if OmegaConf.is_list(v) else v for k, v in dataset.generator.items()}
        )
        return Splits(
            *(list(generator.generate(dataset.sizes[split], seed=dataset.seed + i)) for i, split in enumerate(SPLITS)),
            label_names=LABEL_NAMES,
        )
    if source == "files":
        return load_files(
            {split: FileSpec(**{**spec, "path": in_project(spec.path)}) for split, spec in dataset.files.items()},
            label_names=dataset.get("label_names"),  # null: the train file's labels
            split_fractions=dict(dataset.get("split_fractions") or {}),
            split_seed=dataset.split_seed,
            split_by=dataset.get("split_by", "row"),
            file_format=dataset.format,
            text_column=dataset.text_column,
            label_column=dataset.label_column,
            label_values=dataset.get("label_values"),
            encoding=dataset.get("encoding", "utf-8"),
            strip_html=dataset.get("strip_html", False),
        )
    if source == "tfds":
        return load_tfds(
            dataset.tfds_name,
            data_dir=dataset.data_dir and in_project(dataset.data_dir),
            splits=dict(dataset.splits),
            text_key=dataset.text_key,
            label_key=dataset.label_key,
            download=dataset.get("download", True),
        )
    if source == "text":
        files = [in_project(path) for path in dataset.files]
        return load_text(files, split_fractions=dict(dataset.split_fractions), encoding=dataset.encoding)
    if source == "tagged":
        return load_tagged(
            {split: in_project(path) for split, path in dataset.files.items()},
            file_format=dataset.format,
            column=dataset.column,
            tag_names=dataset.tag_names,  # null: the train file's tags
            split_fractions=dict(dataset.split_fractions),
            split_seed=dataset.split_seed,
            encoding=dataset.encoding,
        )
    raise TextrnnError(f"dataset.source: unknown source {source!r}; use synthetic, files, tfds, text or tagged")


def main(cfg: DictConfig) -> None:
    if not sys.stdout.isatty():
        tfds.disable_progress_bar()  # under DVC or CI: no carriage-return bars in the log
    splits = read(cfg.dataset)
    splits.check_not_empty(f"dataset {cfg.dataset.name!r}")
    description = f"textrnn ingest of {cfg.dataset.name!r} (source: {cfg.dataset.source})"
    store.save_splits(splits, cfg.paths.ingested, name=cfg.dataset.name, description=description)
    counts = {name: len(examples) for name, examples in splits.items()}
    log.info("ingested %s into %s: %s", cfg.dataset.name, cfg.paths.ingested, counts)
    quality = splits.quality()
    for name, found in quality.items():
        if found["blank_texts"]:
            log.warning("warning: split '%s' has %d empty or whitespace-only texts", name, found["blank_texts"])
        if found["classes"] < len(splits.label_names):
            log.warning(
                "warning: split '%s' holds %d of the %d classes; its macro-F1 counts each absent class as 0",
                name,
                found["classes"],
                len(splits.label_names),
            )
    write_json(
        Path(cfg.paths.metrics) / "ingest.json",
        {
            "blank_texts": sum(found["blank_texts"] for found in quality.values()),
            "splits_missing_a_class": sum(found["classes"] < len(splits.label_names) for found in quality.values()),
            "label_names": list(splits.label_names),
        },
    )


if __name__ == "__main__":
    run(
        main,
        __doc__,
        writes=("ingested",),
        section="dataset",
        renamed={"file_format": "format", "name": "tfds_name", "paths": "files"},  # the library's arguments
    )
