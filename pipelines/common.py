"""What every stage shares: the composed config, and turning bad input into one line and exit code 2.

A stage reads ``params.yaml`` — the composition DVC tracks — when it is given no overrides, and
composes ``conf/`` with Hydra when it is (``python -m pipelines.train model=gru trainer.epochs=1``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipelines import schema

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from textrnn import vectors
from textrnn.atomic import refusal
from textrnn.errors import ArgumentError, TextrnnError

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "conf"
PARAMS_FILE = ROOT / "params.yaml"
log = logging.getLogger("textrnn")


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """``conf/config.yaml`` composed with Hydra ``overrides``, interpolations resolved, checked by the schema."""
    try:
        with initialize_config_dir(str(CONF_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=list(overrides))
        OmegaConf.resolve(cfg)
        OmegaConf.set_struct(cfg, False)  # like a config loaded from params.yaml
    except yaml.YAMLError as err:
        raise TextrnnError(yaml_error(err)) from None
    except (HydraException, OmegaConfBaseException) as err:
        refused = " ".join(str(err).split())
    else:
        schema.validate(cfg)
        check_vectors(cfg.model)
        return cfg
    explain_refusal(overrides)
    raise TextrnnError(f"conf/: {refused}")


def explain_refusal(overrides: Sequence[str]) -> None:
    """Where Hydra refused ``overrides``, say why in textrnn's words where an override is the cause: a
    choice that is not a file of its group (the group's files named), or a key the composition lacks
    — one the schema does not know (the near ones named), or one it knows that conf/ leaves out (add
    it with ``+``)."""
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except OverrideParseException:
        return  # Hydra's own message says where the syntax breaks
    groups = config_groups()
    changed = []
    for override in parsed:
        key = override.key_or_group
        if override.is_sweep_override() or override.is_delete():
            continue
        if key in groups:
            choice = override.value()
            if choice is not None and choice not in groups[key]:
                raise TextrnnError(f"conf/{key}/{choice}.yaml: no such {key}; use one of {', '.join(groups[key])}")
        elif not (override.is_add() or override.is_force_add()):
            changed.append(override)
    if not changed:
        return
    keys = {override.key_or_group for override in changed}
    base = compose_config([o.input_line for o in parsed if o.key_or_group not in keys])
    for override in changed:
        key = override.key_or_group
        if OmegaConf.select(base, key, default=ABSENT) is ABSENT:
            schema.validate(OmegaConf.merge(base, OmegaConf.from_dotlist([f"{key}=0"])))  # names the near keys
            raise TextrnnError(f"{key}: not in the composition of conf/; add it with +{override.input_line}")


ABSENT = object()


def check_vectors(model: DictConfig) -> None:
    """``model.embedding_dim`` agrees with ``model.pretrained_vectors``, whose vectors' size it takes where null."""
    if model.pretrained_vectors is None:
        if model.embedding_dim is None:
            raise TextrnnError(
                "model.embedding_dim = None: give the embedding a size, or set model.pretrained_vectors to take theirs"
            )
        return
    size = vectors.dimension(in_project(model.pretrained_vectors))
    if model.embedding_dim not in (None, size):
        raise TextrnnError(
            f"model.embedding_dim = {model.embedding_dim}: model.pretrained_vectors = {model.pretrained_vectors!r} "
            f"holds {size}-dimensional vectors; set model.embedding_dim={size}, or null to take the file's"
        )


def yaml_error(err: yaml.YAMLError) -> str:
    """A YAML syntax error as one line: the file and line where the parser stopped, and what it wanted."""
    mark = getattr(err, "problem_mark", None)
    where = f"{mark.name}:{mark.line + 1}" if mark is not None else "conf/"
    problem = " ".join(str(getattr(err, "problem", None) or err).split())
    return f"{where}: not valid YAML ({problem}); fix the file's syntax"


def conf_digest() -> str:
    """SHA-256 over every file in ``conf/``: which ``conf/`` a ``params.yaml`` was composed from."""
    digest = hashlib.sha256()
    for path in sorted(p for p in CONF_DIR.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(CONF_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def git_commit() -> str | None:
    """The checked-out commit of the repository the stages run in, if it is one."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def in_project(path: str) -> str:
    """``path`` as conf/ means it: relative to the project. `dvc exp run --queue` (and `--temp`) runs
    the stages in a copy of the project under .dvc/tmp, where `../shared` is somewhere else; DVC_ROOT,
    which DVC sets for every stage, names the project itself."""
    root = os.environ.get("DVC_ROOT")
    return path if root is None or os.path.isabs(path) else os.path.join(root, path)


def read_params(path: Path) -> DictConfig:
    """The YAML file at ``path`` (params.yaml, conf/config.yaml) as it is; a syntax error is one line naming
    the file and line."""
    try:
        return OmegaConf.load(path)  # type: ignore[return-value]
    except yaml.YAMLError as err:
        raise TextrnnError(yaml_error(err)) from None


def load_config(overrides: Sequence[str]) -> DictConfig:
    """``conf/`` composed with ``overrides`` if there are any (or no params.yaml yet), else params.yaml."""
    if overrides or not PARAMS_FILE.exists():
        return compose_config(overrides)
    return checked_params(read_params(PARAMS_FILE))


def checked_params(cfg: DictConfig) -> DictConfig:
    """``cfg``, read from params.yaml, if the schema takes it; DVC's Hydra composition is not checked."""
    try:
        schema.validate(cfg)
    except TextrnnError as err:
        raise TextrnnError(f"{PARAMS_FILE.name}: {err}") from None
    check_vectors(cfg.model)
    return cfg


def config_groups() -> dict[str, list[str]]:
    """Each config group in ``conf/`` and its choices (the YAML files in it)."""
    return {
        group.name: sorted(path.stem for path in group.glob("*.yaml"))
        for group in sorted(CONF_DIR.iterdir())
        if group.is_dir()
    }


def stage_params(module: str) -> list[str]:
    """The params (config keys and sections) that dvc.yaml's stage running ``python -m module`` reads."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for stage in stages.values():
        if stage["cmd"] == f"python -m {module}":
            return [param for param in stage.get("params", []) if isinstance(param, str)]
    return []


def usage(doc: str | None) -> str:
    """The stage's docstring and the choices of every config group."""
    groups = "\n".join(f"  {group}: {', '.join(choices)}" for group, choices in config_groups().items())
    return f"{(doc or '').rstrip()}\n\nConfig groups (override with group=choice, e.g. model=gru):\n{groups}"


def cli(main: Callable[[list[str]], None], doc: str | None) -> None:
    """Call ``main(argv)``; bad input exits 2 with a one-line ``error:`` on stderr."""
    argv = sys.argv[1:]
    if {"-h", "--help"} & set(argv):
        print(usage(doc), flush=True)
        module = getattr(sys.modules["__main__"], "__spec__", None)  # None: run as a script, not with -m
        if params := stage_params(module.name) if module else []:
            # the keys it reads, from pipelines.reference: run apart, so that no stage imports what
            # only its help needs (a stage's imports are its DVC deps)
            overrides = [a for a in argv if a not in ("-h", "--help")]
            keys = [sys.executable, "-m", "pipelines.reference", f"--keys={','.join(params)}", *overrides]
            sys.exit(subprocess.run(keys, cwd=ROOT).returncode)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    # Our own log lines only: TFDS narrates every split it reads and warns about its own scratch
    # folders (absl), TensorFlow and MLflow announce every file they write, MLflow draws progress bars.
    for library, level in (("absl", logging.ERROR), ("tensorflow", logging.WARNING), ("mlflow", logging.WARNING)):
        logging.getLogger(library).setLevel(level)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        main(argv)
    except TextrnnError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def config_key(values: DictConfig, section: str, renamed: Mapping[str, str]) -> Callable[[str], str]:
    """How a library argument is shown to a user of ``section``: as its key there (``dataset.encoding``),
    where it has one; else as the argument, in backticks."""

    def key(argument: str) -> str:
        head, dot, rest = argument.partition(".")
        head = renamed.get(head, head)
        return f"{section}.{head}{dot}{rest}" if head in values else f"`{argument}`"

    return key


# The stage that writes each of the paths that later stages read
WRITERS = {
    "ingested": "ingest",
    "tokenized": "tokenize",
    "models": "train",
    "baseline": "baseline",
    "pretrained": "pretrain",
}


def check_inputs(cfg: DictConfig, reads: Sequence[str]) -> None:
    """Stop with one line naming the first of the ``paths`` keys ``reads`` (earlier stages' outputs)
    that is missing — a stage run before the stage it reads — and the stage to run first."""
    for key in reads:
        path = cfg.paths[key]
        if not Path(path).exists():
            writer = WRITERS[key]
            raise TextrnnError(
                f"paths.{key} = {path!r} does not exist: stage `{writer}` writes it; run `dvc repro {writer}` first"
            )


def check_outputs(cfg: DictConfig, writes: Sequence[str]) -> None:
    """Stop with one line naming the first directory of ``writes`` that the stage would replace or delete
    and must not (:func:`textrnn.atomic.refusal`): a file, or a directory of files textrnn did not
    write. Each is a ``paths`` key, or a key and a folder in it (``reports/gates``). The paths
    conf/config.yaml gives are dvc.yaml's outputs, which DVC manages, and always textrnn's."""
    declared = read_params(CONF_DIR / "config.yaml").paths
    for written in writes:
        key, _, folder = written.partition("/")
        value = cfg.paths[key]
        path, default = Path(value, folder), ROOT / declared[key] / folder
        if path.resolve() == default.resolve():
            continue
        if reason := refusal(path):
            raise TextrnnError(
                f"paths.{key} = {value!r}: {path} {reason}, and the stage would replace it; point paths.{key} at a "
                "new or empty directory, or one textrnn wrote"
            )


def run(
    stage: Callable[[DictConfig], None],
    doc: str | None,
    *,
    reads: Sequence[str] = (),
    writes: Sequence[str] = (),
    section: str | None = None,
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Run a stage on params.yaml, or on conf/ composed with the command line's overrides, once the
    earlier stages' outputs it ``reads`` (keys of ``paths``) are there and the directories it
    ``writes`` whole (see :func:`check_outputs`) are its to replace. The library's arguments that
    its errors name are shown as the keys of ``section`` they come from (``renamed`` maps an argument
    to a key of another name: ``file_format`` is ``dataset.format``)."""

    def main(argv: list[str]) -> None:
        cfg = load_config(argv)
        check_inputs(cfg, reads)
        check_outputs(cfg, writes)
        try:
            stage(cfg)
        except ArgumentError as err:
            if section is None:
                raise
            raise err.naming(config_key(cfg[section], section, renamed or {})) from None

    cli(main, doc)
