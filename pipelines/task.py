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


# What each dataset source holds (textrnn.choices.DATA_KINDS): the tasks that read it are those whose `reads` it is
DATA_OF_SOURCE = {
    "synthetic": "labelled_texts",
    "files": "labelled_texts",
    "tfds": "labelled_texts",
    "text": "plain_text",
    "tagged": "tagged_tokens",
}


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
    reads = DATA_OF_SOURCE[cfg.dataset.source]
    if task.reads != reads:
        readers = " or ".join(f"task={n}" for n, t in tasks.TASKS.items() if t.reads == reads)
        preset = {"plain_text": " (or experiment=tinyshakespeare)", "tagged_tokens": " (or experiment=ud_ewt_pos)"}
        raise TextrnnError(
            f"task.name = {name!r}: dataset {cfg.dataset.name!r} (source {cfg.dataset.source}) holds "
            f"{reads.replace('_', ' ')}, which {readers} reads{preset.get(reads, '')}; pick that task, or a dataset "
            f"of {task.reads.replace('_', ' ')}"
        )
    if task.cuts_texts and cfg.tokenizer.max_length is None:
        raise TextrnnError(
            f"tokenizer.max_length = None: the {name} task cuts served texts at a length; set a number, e.g. 128"
        )
    if not task.cuts_texts and cfg.tokenizer.max_length is not None:
        raise TextrnnError(
            f"tokenizer.max_length = {cfg.tokenizer.max_length}: the {name} task reads its texts whole; set "
            "tokenizer.max_length=null"
        )
    for key, allowed_values in task.fixed_tokenizer.items():
        if cfg.tokenizer[key] not in allowed_values:
            spelled = ["null" if v is None else str(v) for v in allowed_values]
            raise TextrnnError(
                f"tokenizer.{key} = {cfg.tokenizer[key]!r}: the {name} task needs one token id per tagged token; "
                f"set tokenizer.{key}={spelled[-1]} (allowed: {' or '.join(spelled)})"
            )
    for key, allowed in task.fixed_architecture.items():
        if cfg.model[key] != allowed:
            raise TextrnnError(
                f"model.{key} = {cfg.model[key]!r}: the {name} task allows only {key}={str(allowed).lower()}; "
                f"set model.{key}={str(allowed).lower()}"
            )
    return task
