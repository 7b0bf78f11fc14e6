"""Stage `compose`: write params.yaml, the Hydra composition of conf/ that the other stages read.

`dvc repro` runs it when a file in conf/ changes, so editing conf/model/lstm.yaml reruns exactly
the stages whose params changed. `dvc exp run -S model=gru` composes params.yaml itself (DVC's
Hydra integration); this stage then keeps that composition, since it was made from the current
conf/. params.yaml records the digest of the conf/ it was composed from; a stale digest means
conf/ was edited since, and conf/ is composed again — with the overrides given here, if any.

    python -m pipelines.compose [hydra overrides]
"""

from __future__ import annotations

from pipelines.common import PARAMS_FILE, checked_params, cli, compose_config, conf_digest, log, read_params
from pipelines.task import task_of

from omegaconf import OmegaConf

from textrnn.atomic import write_text


def main(argv: list[str]) -> None:
    digest = conf_digest()
    current = read_params(PARAMS_FILE) if PARAMS_FILE.exists() else None
    if current is not None and not argv and current.get("conf_digest") in (None, digest):
        cfg = checked_params(current)
        log.info("params.yaml is a composition of the current conf/; keeping it")
    else:
        cfg = compose_config(argv)
        log.info("composed conf/ into params.yaml (overrides: %s)", argv)
    task_of(cfg)  # the task's keys, and what it needs of the rest
    cfg.conf_digest = digest
    header = "# Generated from conf/ by Hydra (stage `compose`, or `dvc exp run`). Edit conf/, not this file.\n"
    write_text(PARAMS_FILE, header + OmegaConf.to_yaml(cfg))


if __name__ == "__main__":
    cli(main, __doc__)
