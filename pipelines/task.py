"""The task a config describes: picked by ``task.name`` here and nowhere else, and checked.

Apart from :mod:`pipelines.schema` (which checks the rest of the config without TensorFlow) because
the task's keys and what it needs are its class's (:mod:`textrnn.tasks`): only the stages that
run a task — and `compose`, which checks the whole config first — import them.
"""

from __future__ import annotations

import dataclasses
import typing

from pipelines import schema

from omegaconf import MISSING, DictConfig, OmegaConf

from textrnn import tasks
from textrnn.errors import TextrnnError


def task_schema(task_class: type[tasks.Task]) -> type:
    """The keys of ``task`` for ``task_class``: ``name`` and the class's fields, each mandatory in conf/."""
    types = typing.get_type_hints(task_class)
    keys = [("name", str)] + [
        (f.name, types[f.name], dataclasses.field(default=MISSING)) for f in dataclasses.fields(task_class)
    ]
    return dataclasses.make_dataclass(task_class.__name__, keys)


def task_of(cfg: DictConfig) -> tasks.Task:
    """The task ``task.name`` picks — the one place the pipeline chooses by it — checked: its keys are
    its class's fields (:mod:`textrnn.tasks`), their values what its constructor takes; then what it
    needs of the data, the tokenizer and the model."""
    name = OmegaConf.select(cfg, "task.name")
    if name not in tasks.TASKS:
        choices = ", ".join(tasks.TASKS)
        raise TextrnnError(f"task.name = {name!r}: must be one of {choices}; pick one with task=<name>")
    schema.check_section(task_schema(tasks.TASKS[name]), cfg.task, "task.")
    try:
        task = tasks.make(OmegaConf.to_container(cfg.task))  # type: ignore[arg-type]
    except ValueError as err:
        raise TextrnnError(f"task.{err}") from None
    if task.reads_plain_text != (cfg.dataset.source == "text"):
        plain = " or ".join(f"task={n}" for n, t in tasks.TASKS.items() if t.reads_plain_text)
        fix = "a labelled dataset" if task.reads_plain_text else f"{plain} (or experiment=tinyshakespeare)"
        raise TextrnnError(
            f"task.name = {name!r}: dataset {cfg.dataset.name!r} has source {cfg.dataset.source}, and "
            f"plain text (source text) goes with {plain} only; use {fix}"
        )
    if not task.reads_plain_text and cfg.tokenizer.max_length is None:
        raise TextrnnError(
            "tokenizer.max_length = None: a classifier cuts served texts at a length; set a number, e.g. 128"
        )
    if task.reads_plain_text and cfg.tokenizer.max_length is not None:
        raise TextrnnError(
            f"tokenizer.max_length = {cfg.tokenizer.max_length}: the {name} task reads its corpus whole; set "
            "tokenizer.max_length=null"
        )
    for key, allowed in task.fixed_architecture.items():
        if cfg.model[key] != allowed:
            raise TextrnnError(
                f"model.{key} = {cfg.model[key]!r}: the {name} task allows only {key}={str(allowed).lower()}; "
                f"set model.{key}={str(allowed).lower()}"
            )
    return task
