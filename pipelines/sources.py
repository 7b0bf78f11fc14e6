"""Stage `sources`: the fingerprint (MD5) of each data file the config names outside DVC's sight —
the dataset's files, the pretrained vectors file, the pretraining corpus — so that editing one
reruns the stages that read it and what follows.

DVC cannot list these files among the stages' deps itself: which files they are depends on the
params (`dataset.files`, `model.pretrained_vectors`, `pretrain.files`), inside the project or
outside it (`../shared`). So this stage runs at every `dvc repro` / `dvc exp run` (DVC's
`always_changed`) and writes one file per kind into `paths.sources`; the stages that read the files
depend on that kind's file — `ingest` on dataset.json, `tokenize` and `train` on vectors.json,
`pretrain` on pretrain.json — and DVC reruns them only when a fingerprint in it changed.

    python -m pipelines.sources [dataset=sst2]

Reads params `dataset`, `model.pretrained_vectors`, `pretrain.files`; writes `paths.sources`/
dataset.json, vectors.json and pretrain.json: `{path as configured: MD5, or null where the file
cannot be read}` (the stage that reads it then says why); `{}` where the config names none.
"""

from __future__ import annotations

import hashlib

from pipelines.common import in_project, log, run

from omegaconf import DictConfig

from textrnn.atomic import replace_directory, write_json


def data_files(dataset: DictConfig) -> list[str]:
    """The files a dataset reads, as its config names them."""
    if dataset.source == "files":
        return [spec.path for spec in dataset.files.values()]
    if dataset.source == "tagged":
        return list(dataset.files.values())
    if dataset.source == "text":
        return list(dataset.files)
    return []


def fingerprint(path: str) -> str | None:
    """The MD5 of the file at ``path``, or None where it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "md5").hexdigest()
    except OSError:
        return None


def main(cfg: DictConfig) -> None:
    vectors = [cfg.model.pretrained_vectors] if cfg.model.pretrained_vectors else []
    with replace_directory(cfg.paths.sources) as out:
        for kind, files in (
            ("dataset", data_files(cfg.dataset)),
            ("vectors", vectors),
            ("pretrain", cfg.pretrain.files),
        ):
            write_json(out / f"{kind}.json", {path: fingerprint(in_project(path)) for path in files})
    log.info("fingerprinted the files the config names into %s", cfg.paths.sources)


if __name__ == "__main__":
    run(main, __doc__, writes=("sources",))
