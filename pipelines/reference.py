"""Every config key with its type, its range or choices, its value and what conf/ says of it — read
from the schema (:mod:`pipelines.schema`, the tasks' fields) and the comments in conf/, so that it
cannot drift from them. Each stage's ``--help`` lists the keys it reads; the documentation's
configuration reference is :func:`markdown`.

    python -m pipelines.reference > configuration.md
    python -m pipelines.reference --keys=dataset dataset=csv    # what `python -m pipelines.ingest --help` lists
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import MISSING as MISSING_FACTORY
from dataclasses import dataclass, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pipelines import schema
from pipelines.common import CONF_DIR, cli, compose_config

from omegaconf import DictConfig, OmegaConf

from textrnn.params import flatten

# Where a files dataset's splits are: `dataset.files.<split>.path`
EACH = "<split>"


@dataclass(frozen=True)
class Key:
    """One config key: ``name`` (dotted), ``type`` and ``allowed`` (what the schema takes), ``value``
    (in the composition it was read from) and ``comment`` (conf/'s, where it has one)."""

    name: str
    type: str
    allowed: str
    value: Any
    comment: str


def describe_type(hint: Any) -> str:
    """A type annotation in words: ``int | None`` → ``integer or null``."""
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "one of " + ", ".join(hint.__members__)
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(describe_type(a) for a in arguments)
    if origin is list:
        return f"list of {describe_type(arguments[0])}"
    if origin is dict:
        return f"mapping to {describe_type(arguments[1])}"
    return {int: "integer", float: "number", str: "string", bool: "true or false", type(None): "null"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def schema_keys(section: type, prefix: str) -> Iterator[tuple[str, str, str, Any]]:
    """``(key, type, allowed, default)`` for each leaf of the dataclass ``section`` (``default``:
    what a config without the key gets, else :data:`MISSING`); a mapping of dataclasses (``files``)
    as ``files.<split>.…``."""
    for f, hint in schema.typed_fields(section):
        name = f"{prefix}{f.name}"
        if is_dataclass(hint):
            yield from schema_keys(hint, f"{name}.")
            continue
        if typing.get_origin(hint) is dict and is_dataclass(value := typing.get_args(hint)[1]):
            yield from schema_keys(value, f"{name}.{EACH}.")
            continue
        allowed = f.metadata["check"][1] if "check" in f.metadata else ""
        default = f.default_factory() if f.default_factory is not MISSING_FACTORY else f.default
        yield name, describe_type(hint), allowed, default.name if isinstance(default, Enum) else default


def sections(cfg: DictConfig) -> Iterator[tuple[str, type]]:
    """The schema of each section of ``cfg``: ``dataset`` by its source, ``task`` by its name."""
    from pipelines.task import task_schema

    from textrnn import tasks

    yield "dataset.", schema.DATASETS[cfg.dataset.source]
    yield "task.", task_schema(tasks.TASKS[cfg.task.name])
    for f, hint in schema.typed_fields(schema.Config):
        if is_dataclass(hint):
            yield f"{f.name}.", hint


def comments(chosen: Sequence[Path] = ()) -> dict[str, str]:
    """The comment beside (or under) each key in conf/'s files, by dotted key (a group's file's keys
    under the group's name). A dataset's or a task's keys are commented by the ``chosen`` file of
    their group alone (a key means another thing for another source or task); another group's by
    the first of its files that comments the key. Presets (conf/experiment/) are left out: their
    comments are about their values."""
    found: dict[str, str] = {}
    for path in [*chosen, *sorted(CONF_DIR.rglob("*.yaml"))]:
        group = path.parent.relative_to(CONF_DIR).as_posix()
        if group == "experiment" or (group in OWN_COMMENTS and path not in chosen):
            continue
        for key, comment in _commented_keys(path.read_text(), "" if group == "." else f"{group}."):
            found.setdefault(key, comment)
    return found


OWN_COMMENTS = ("dataset", "task")  # groups whose files hold different keys (a dataset's source, a task's kind)


KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_]\w*):(?P<value>[^#]*?)(?:\s+#\s?(?P<comment>.*))?$")
COMMENT_LINE = re.compile(r"^(?P<indent> *)#\s?(?P<comment>.*)$")


def _commented_keys(text: str, prefix: str) -> Iterator[tuple[str, str]]:
    """``(dotted key, comment)`` of a YAML file's block-style keys; a comment line indented under a
    key's own comment continues it."""
    stack: list[tuple[int, str]] = []
    last: tuple[str, int, list[str]] | None = None  # the key a comment may continue, its comment column
    for line in text.splitlines():
        if (match := COMMENT_LINE.match(line)) and last and last[2] and len(match["indent"]) == last[1]:
            last[2].append(match["comment"].strip())
            continue
        if last and last[2]:
            yield last[0], " ".join(last[2])
        last = None
        match = KEY_LINE.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        key = prefix + ".".join(name for _, name in stack)
        last = (key, line.find("#"), [match["comment"].strip()] if match["comment"] else [])
    if last and last[2]:
        yield last[0], " ".join(last[2])


def keys(cfg: DictConfig) -> list[Key]:
    """Every key of the schema for ``cfg``, with its value in ``cfg`` (or the schema's default) and
    conf/'s comment (its dataset's and task's files first)."""
    known = comments([CONF_DIR / "dataset" / f"{cfg.dataset.name}.yaml", CONF_DIR / "task" / f"{cfg.task.name}.yaml"])
    values = flatten(OmegaConf.to_container(cfg))
    result = []
    for prefix, section in sections(cfg):
        for name, kind, allowed, default in schema_keys(section, prefix):
            names = [name]
            if EACH in name:
                head, _, leaf = name.partition(f".{EACH}.")
                splits = sorted({k[len(head) + 1 :].partition(".")[0] for k in values if k.startswith(f"{head}.")})
                names = [f"{head}.{split}.{leaf}" for split in splits or [EACH]]
            for each in names:
                value = OmegaConf.select(cfg, each, default=default)
                value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
                result.append(Key(each, kind, allowed, value, known.get(each, "")))
    return result


def _shown(value: Any) -> str:
    """``value`` as YAML writes it: null, true, [0, 2]."""
    return "null" if value is None else json.dumps(value) if isinstance(value, bool | list | dict) else str(value)


def help_lines(cfg: DictConfig, params: Sequence[str]) -> list[str]:
    """The keys of ``cfg`` under ``params`` (a stage's, in dvc.yaml), one line each, for ``--help``."""
    chosen = [k for k in keys(cfg) if any(k.name == p or k.name.startswith(f"{p}.") for p in params)]
    width = max((len(k.name) for k in chosen), default=0)
    lines = []
    for key in chosen:
        takes = key.allowed or key.type
        note = f"  # {key.comment}" if key.comment else ""
        lines.append(f"  {key.name.ljust(width)} = {_shown(key.value)}  ({takes}){note}")
    return lines


# Which composition each section of the reference is read from: a dataset of each source, each task
REPRESENTATIVES = {
    "dataset": {"synthetic": "dataset=synthetic", "files": "dataset=csv", "tfds": "dataset=imdb_reviews",
                "text": "dataset=tinyshakespeare", "tagged": "experiment=ud_ewt_pos"},
    "task": {"classification": "task=classification", "language_model": "experiment=tinyshakespeare",
             "tagging": "experiment=ud_ewt_pos"},
}  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def _any_split(key: Key) -> Key:
    """A key of the train file's (``dataset.files.train.path``, or ``dataset.files.train`` where a split's
    file is its path alone) as the key of any split's."""
    head, dot, leaf = key.name.partition(".files.train")
    if not dot:
        return key
    name = f"{head}.files.{EACH}{leaf}"
    return Key(name, key.type, key.allowed, key.value, key.comment or FILE_KEYS[leaf.lstrip(".") or "path"])


FILE_KEYS = {
    "path": "the file of split train, validation or test (train is required; the others are carved out of it "
    "by split_fractions where they have no file)",
    "text_column": "this file's own name for the text column, where it differs from the dataset's",
    "label_column": "this file's own name for the label column, where it differs from the dataset's",
}


def markdown() -> str:
    """The configuration reference: a table per section (per dataset source, per task)."""
    default = compose_config()
    out = [
        "# Configuration reference",
        "",
        "Every key of `conf/`, generated from the schema (`pipelines/schema.py` and the tasks' fields) and "
        "the comments in `conf/`. **Value** is the value in the default composition (for a dataset "
        "source or a task other than the default's, in the config named).",
    ]
    tables: dict[str, list[tuple[str, list[Key]]]] = {}
    for key in keys(default):
        section = key.name.partition(".")[0]
        if section not in REPRESENTATIVES:
            tables.setdefault(section, [("", [])])[0][1].append(key)
    for section, representatives in REPRESENTATIVES.items():
        for kind, override in representatives.items():
            composed = compose_config([override])
            rows = [_any_split(k) for k in keys(composed) if k.name.startswith(f"{section}.")]
            tables.setdefault(section, []).append((f"{kind} (`{override}`)", rows))
    for section in sorted(tables):
        out += ["", f"## `{section}`"]
        for title, rows in tables[section]:
            if title:
                out += ["", f"### {title}"]
            out += ["", "| Key | Type | Allowed | Value | What it is |", "|---|---|---|---|---|"]
            out += [
                f"| `{k.name}` | {_cell(k.type)} | {_cell(k.allowed)} | `{_cell(_shown(k.value))}` | "
                f"{_cell(k.comment)} |"
                for k in rows
            ]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    """``--keys=a,b`` and overrides: the help lines of those keys (a stage's ``--help``); else the reference."""
    if argv and argv[0].startswith("--keys="):
        lines = help_lines(compose_config(argv[1:]), argv[0].removeprefix("--keys=").split(","))
        example = lines[0].split()[0] if lines else "key"
        print(f"\nKeys it reads (override with key=value, e.g. {example}=…):\n" + "\n".join(lines))
    else:
        print(markdown(), end="")


if __name__ == "__main__":
    cli(main, __doc__)
