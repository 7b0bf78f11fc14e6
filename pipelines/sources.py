"""Stage `sources`: the fingerprint (MD5) of each data file the dataset names and of the pretrained
vectors file, so that editing one reruns the stages that read it (`ingest`, `tokenize`, `train`) and
what follows.

DVC cannot list these files among `ingest`'s deps itself: which files they are depends on the
`dataset` params (`dataset.files`), inside the project or outside it (`../shared`). So this stage
runs at every `dvc repro` / `dvc exp run` (DVC's `always_changed`) and writes `paths.sources`;
`ingest`, `tokenize` and `train` depend on that file, and DVC reruns them only when a fingerprint
in it changed.

    python -m pipelines.sources [dataset=sst2]

Reads params `dataset`, `model.pretrained_vectors`; writes `paths.sources`: `{path as configured: MD5,
or null where the file cannot be read}` (the stage that reads it then says why). A synthetic or TFDS
dataset without vectors names no files: `{}`.
"""

from __future__ import annotations

import hashlib

from pipelines.common import in_project, log, run

from omegaconf import DictConfig

from textrnn.atomic import write_json


def data_files(dataset: DictConfig) -> list[str]:
    """The files a dataset reads, as its config names them."""
    if dataset.source == "files":
        return [spec.path for spec in dataset.files.values()]
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
    files = [*data_files(cfg.dataset), *([cfg.model.pretrained_vectors] if cfg.model.pretrained_vectors else [])]
    fingerprints = {path: fingerprint(in_project(path)) for path in files}
    write_json(cfg.paths.sources, fingerprints)
    log.info("fingerprinted %d file(s) into %s", len(fingerprints), cfg.paths.sources)


if __name__ == "__main__":
    run(main, __doc__)
