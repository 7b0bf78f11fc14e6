"""The schema of ``conf/``: every key's type and its range or choices, as OmegaConf structured configs.

:func:`validate` checks a composed config — ``conf/`` with overrides, or ``params.yaml`` — before
a stage reads any data or touches an output, and turns the first problem into one line naming the
key, the value and what is allowed; an unknown key gets the nearest known ones. It runs where our
code runs: DVC's Hydra integration (``dvc exp run -S``) composes ``conf/`` in DVC's own process,
where a schema registered from our code does not exist, and the ``compose`` stage, which runs
first, validates what DVC wrote.
"""

from __future__ import annotations

import codecs
import difflib
import math
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import Field, dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlparse

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, MissingMandatoryValue, OmegaConfBaseException, ValidationError

from textrnn import choices
from textrnn.errors import TextrnnError

Check = tuple[Callable[[Any], bool], str]


def checked(check: Callable[[Any], bool], allowed: str, **default: Any) -> Any:
    """A field whose value must pass ``check``; ``allowed`` says what passes, for the error. Mandatory,
    unless ``default`` gives ``dataclasses.field`` a ``default`` or ``default_factory``."""
    return field(**(default or {"default": MISSING}), metadata={"check": (check, allowed)})


def at_least(low: int) -> Any:
    return checked(lambda v: v is None or v >= low, f"an integer ≥ {low}")


def between(low: int, high: int) -> Any:
    return checked(lambda v: v is None or low <= v <= high, f"an integer from {low:,} to {high:,}")


def seed() -> Any:
    """What Keras's and NumPy's seeding take: an integer from 0 to 2³² − 1."""
    return between(0, 2**32 - 1)


def positive() -> Any:
    return checked(lambda v: v is None or (v > 0 and math.isfinite(v)), "a finite number > 0")


def encoding() -> Any:
    return checked(_known_encoding, "an encoding Python knows, e.g. utf-8, latin-1 or cp1252")


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def non_empty() -> Any:
    return checked(lambda v: bool(v and v.strip()), "a non-empty path")


def split_fractions(splits: tuple[str, ...], **default: Any) -> Any:
    """Fractions carved out of the text for ``splits``: each in (0, 1), together below 1."""
    return checked(
        lambda v: set(v) <= set(splits) and all(0 < f < 1 for f in v.values()) and sum(v.values()) < 1,
        f"fractions for {' and '.join(splits)} only, each in (0, 1) and together below 1, e.g. {{validation: 0.1}}",
        **default,
    )


# The stores MLflow's tracking client opens: a local path, a database (SQLAlchemy's dialect[+driver]) or a server
# (not a directory: MLflow 3's file store takes no new runs unless MLFLOW_ALLOW_FILE_STORE is set)
TRACKING_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks")


def _known_tracking_uri(uri: str) -> bool:
    return urlparse(uri).scheme.partition("+")[0] in TRACKING_SCHEMES


def fraction() -> Any:
    return checked(lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")


def probability() -> Any:
    return checked(lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")


def int_range() -> Any:
    return checked(lambda v: len(v) == 2 and 0 <= v[0] <= v[1], "[low, high] with 0 ≤ low ≤ high")


# Choices are Enums: OmegaConf refuses any other string and lists the members in its message.
Family = Enum("Family", choices.FAMILIES)
Pooling = Enum("Pooling", choices.POOLINGS)
Kernel = Enum("Kernel", ("auto", *choices.KERNELS))  # auto: decided by the train stage (fused on a GPU)
Split = Enum("Split", choices.SPLITS)
Standardize = Enum("Standardize", choices.STANDARDIZE)
OptimizerName = Enum("OptimizerName", choices.OPTIMIZERS)
Schedule = Enum("Schedule", choices.SCHEDULES)
Strategy = Enum("Strategy", choices.STRATEGIES)
Precision = Enum("Precision", choices.PRECISIONS)
Source = Enum("Source", "synthetic files tfds text tagged")
FileFormat = Enum("FileFormat", choices.FILE_FORMATS)
TaggedFormat = Enum("TaggedFormat", choices.TAGGED_FORMATS)
SplitBy = Enum("SplitBy", choices.SPLIT_BY)


@dataclass
class Tokenizer:
    split: Split = MISSING
    standardize: Standardize | None = MISSING
    max_tokens: int | None = at_least(3)  # padding, [UNK] and at least one word
    max_length: int | None = at_least(1)  # null: never cut (a language model or tagger reads texts whole)
    vectors_vocabulary: int = checked(lambda v: v >= 0, "an integer ≥ 0", default=0)


@dataclass
class Model:
    family: Family = MISSING
    embedding_dim: int | None = between(1, 4096)
    units: int = between(1, 4096)
    num_layers: int = at_least(1)
    bidirectional: bool = MISSING
    dropout: float = fraction()
    recurrent_dropout: float = fraction()
    embedding_dropout: float = fraction()
    pooling: Pooling = MISSING
    kernel: Kernel = MISSING
    pretrained_vectors: str | None = None
    freeze_vectors: bool = False


@dataclass
class Trainer:
    seed: int = seed()
    epochs: int = between(1, 100_000)
    batch_size: int = at_least(1)
    optimizer: OptimizerName = MISSING
    learning_rate: float = positive()
    schedule: Schedule = MISSING
    warmup_epochs: int = at_least(0)
    clipnorm: float | None = positive()
    global_clipnorm: float | None = positive()
    weight_decay: float | None = positive()
    label_smoothing: float = checked(lambda v: 0 <= v < 1, "a number in [0, 1)")
    length_buckets: int = at_least(1)
    early_stopping_patience: int = at_least(0)
    strategy: Strategy = MISSING
    cpu_devices: int | None = at_least(1)
    precision: Precision = MISSING
    jit_compile: bool = MISSING
    deterministic: bool = MISSING
    checkpoint_every_n_steps: int | None = at_least(1)
    cluster: list[str] | None = checked(
        lambda v: v is None or (bool(v) and all(re.fullmatch(r"[^\s:]+:\d+", a) for a in v)),
        "null or a list of host:port addresses",
    )
    task_index: int = at_least(0)
    peer_timeout: float = positive()


@dataclass
class Tracking:
    tracking_uri: str = checked(
        _known_tracking_uri,
        f"a URI MLflow opens ({', '.join(s + ':' for s in TRACKING_SCHEMES)}); for a local store, "
        "sqlite:///<directory>/mlflow.db (MLflow 3 keeps no new runs in a plain directory)",
    )
    experiment_name: str = checked(bool, "a non-empty name")
    run_name: str | None = MISSING


@dataclass
class Export:
    log_to_mlflow: bool = MISSING


@dataclass
class Baseline:
    seed: int = seed()
    epochs: int = between(1, 100_000)
    batch_size: int = at_least(1)
    learning_rate: float = positive()


@dataclass
class Pretrain:
    files: list[str] = MISSING
    text_field: str = checked(bool, "a non-empty field name")
    strip_html: bool = MISSING
    train_split: bool = MISSING
    share: float = checked(lambda v: 0.0 < v <= 1.0, "a number in (0, 1]")
    window: int = between(2, 100_000)
    epochs: int = between(1, 100_000)
    batch_size: int = at_least(1)
    learning_rate: float = positive()
    dropout: float = fraction()
    num_sampled: int = at_least(0)
    seed: int = seed()


@dataclass
class Paths:
    sources: str = non_empty()
    pretrained: str = non_empty()
    ingested: str = non_empty()
    tokenized: str = non_empty()
    models: str = non_empty()
    baseline: str = non_empty()
    checkpoints: str = non_empty()
    metrics: str = non_empty()
    plots: str = non_empty()
    reports: str = non_empty()
    saved_model: str = non_empty()


@dataclass
class Sizes:
    train: int = at_least(1)
    validation: int = at_least(1)
    test: int = at_least(1)


@dataclass
class Generator:
    short_rate: float = probability()
    contrast_rate: float = probability()
    negation_rate: float = probability()
    intensifier_rate: float = probability()
    leading_clauses: list[int] = int_range()
    trailing_clauses: list[int] = int_range()


@dataclass
class Dataset:
    """What every dataset has; its ``source`` picks the rest (:data:`DATASETS`)."""

    name: str = MISSING
    source: Source = MISSING


@dataclass
class SyntheticDataset(Dataset):
    seed: int = seed()
    label_names: list[str] = MISSING
    sizes: Sizes = MISSING
    generator: Generator = MISSING


@dataclass
class DataFile:
    path: str = MISSING
    text_column: str | None = None
    label_column: str | None = None


@dataclass
class FilesDataset(Dataset):
    format: FileFormat = MISSING
    encoding: str = encoding()
    text_column: str = MISSING
    label_column: str = MISSING
    label_names: list[str] | None = checked(
        lambda v: v is None or (len(v) >= 2 and len(set(v)) == len(v)),
        "null (the train file's labels) or two or more distinct names",
        default=None,
    )
    label_values: list[str] | None = checked(
        lambda v: v is None or len(set(v)) == len(v), "null or distinct values", default=None
    )
    files: dict[str, DataFile] = MISSING
    split_fractions: dict[str, float] = split_fractions(("validation", "test"), default_factory=dict)
    split_seed: int = seed()
    split_by: SplitBy = SplitBy.row
    strip_html: bool = False


@dataclass
class TfdsDataset(Dataset):
    tfds_name: str = MISSING
    data_dir: str | None = MISSING
    download: bool = MISSING
    text_key: str = MISSING
    label_key: str = MISSING
    splits: dict[str, str] = MISSING


@dataclass
class TextDataset(Dataset):
    files: list[str] = checked(bool, "a list of one or more text files")
    encoding: str = encoding()
    split_fractions: dict[str, float] = split_fractions(("validation", "test"))


@dataclass
class TaggedDataset(Dataset):
    format: TaggedFormat = MISSING
    encoding: str = encoding()
    column: str = checked(
        lambda v: v in choices.CONLLU_FIELDS[1:], f"a CoNLL-U field: {', '.join(choices.CONLLU_FIELDS[1:])}"
    )
    tag_names: list[str] | None = checked(
        lambda v: v is None or (len(v) >= 2 and len(set(v)) == len(v)),
        "null (the train file's tags) or two or more distinct names",
        default=None,
    )
    files: dict[str, str] = MISSING
    split_fractions: dict[str, float] = split_fractions(("validation", "test"), default_factory=dict)
    split_seed: int = seed()


DATASETS: dict[str, type] = {
    "synthetic": SyntheticDataset,
    "files": FilesDataset,
    "tfds": TfdsDataset,
    "text": TextDataset,
    "tagged": TaggedDataset,
}


@dataclass
class Config:
    """Everything but ``dataset`` and ``task``, whose keys depend on their ``source`` and ``name``
    (see :data:`DATASETS`; ``task`` is checked by :func:`pipelines.task.task_of`)."""

    tokenizer: Tokenizer = MISSING
    model: Model = MISSING
    trainer: Trainer = MISSING
    tracking: Tracking = MISSING
    export: Export = MISSING
    baseline: Baseline = MISSING
    pretrain: Pretrain = MISSING
    paths: Paths = MISSING
    conf_digest: str | None = None  # params.yaml: which conf/ it was composed from


def validate(cfg: DictConfig) -> None:
    """Raise :class:`TextrnnError` naming the first key of ``cfg`` that the schema refuses."""
    source = OmegaConf.select(cfg, "dataset.source")
    if source not in DATASETS:
        raise TextrnnError(f"dataset.source = {source!r}: must be one of {', '.join(DATASETS)}")
    rest = OmegaConf.masked_copy(cfg, [key for key in cfg if key not in ("dataset", "task")])
    check_section(Config, rest, "")
    check_section(DATASETS[source], cfg.dataset, "dataset.")
    if cfg.trainer.jit_compile and cfg.trainer.deterministic:
        # Keras would quietly train without XLA: it turns jit_compile off under op determinism.
        raise TextrnnError(
            "trainer.jit_compile=true needs trainer.deterministic=false (Keras does not compile with XLA while "
            "TensorFlow's op determinism is on); set trainer.deterministic=false, or use trainer=gpu"
        )
    if cfg.tokenizer.split == "wordpiece" and cfg.tokenizer.standardize not in ("lower", None):
        raise TextrnnError(
            f"tokenizer.standardize = {cfg.tokenizer.standardize!r}: with tokenizer.split=wordpiece it must be "
            "lower or null (WordPiece splits punctuation off as tokens of its own); use tokenizer=wordpiece"
        )
    if cfg.model.kernel == "fused" and (cfg.model.family not in choices.FUSED_FAMILIES or cfg.model.recurrent_dropout):
        setting = (
            f"model.family={cfg.model.family}"
            if cfg.model.family not in choices.FUSED_FAMILIES
            else f"model.recurrent_dropout={cfg.model.recurrent_dropout}"
        )
        raise TextrnnError(
            f"model.kernel = 'fused': Keras's fused (cuDNN) layers cannot run {setting}; they are LSTM and GRU "
            "without recurrent dropout; set model.kernel=auto (our cells where fusing cannot run) or cells"
        )
    _check_cluster(cfg.trainer)
    if (cfg.pretrain.files or cfg.pretrain.train_split) and cfg.model.bidirectional:
        raise TextrnnError(
            "model.bidirectional = True: a pretrained language model reads forwards only, and the classifier "
            "starts from it; set model.bidirectional=false, or pretrain=none"
        )
    if cfg.trainer.length_buckets > 1 and cfg.trainer.strategy == "mirrored":
        # measured: Keras's fit under MirroredStrategy (2 logical CPUs) stopped with an AddN shape error
        # ([3,2] against [2,2]) on bucketed batches, whose partial batches split unevenly over replicas
        raise TextrnnError(
            f"trainer.length_buckets = {cfg.trainer.length_buckets}: length bucketing does not yet work with "
            f"trainer.strategy={cfg.trainer.strategy}; set trainer.length_buckets=1"
        )
    if cfg.trainer.warmup_epochs > cfg.trainer.epochs:
        raise TextrnnError(
            f"trainer.warmup_epochs = {cfg.trainer.warmup_epochs}: must be at most trainer.epochs "
            f"({cfg.trainer.epochs})"
        )


def _check_cluster(trainer: DictConfig) -> None:
    """What a cluster of workers needs; its keys do nothing without ``trainer.strategy=multi_worker``."""
    if trainer.cluster is not None and trainer.task_index >= len(trainer.cluster):
        raise TextrnnError(
            f"trainer.task_index = {trainer.task_index}: trainer.cluster has {len(trainer.cluster)} workers; give "
            f"each machine its place, 0 to {len(trainer.cluster) - 1}"
        )
    if trainer.strategy == "multi_worker" and trainer.jit_compile:
        raise TextrnnError(
            "trainer.jit_compile = True: trainer.strategy=multi_worker does not compile with XLA; "
            "set trainer.jit_compile=false"
        )
    if trainer.strategy == "multi_worker" and trainer.checkpoint_every_n_steps is not None:
        raise TextrnnError(
            f"trainer.checkpoint_every_n_steps = {trainer.checkpoint_every_n_steps}: trainer.strategy=multi_worker "
            "checkpoints after every epoch only; set trainer.checkpoint_every_n_steps=null"
        )


def check_section(schema: type, cfg: DictConfig, prefix: str) -> None:
    """Types, unknown and missing keys (OmegaConf), then each field's range."""
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), cfg)
        OmegaConf.to_container(merged, throw_on_missing=True)
    except ConfigKeyError as err:
        key = f"{prefix}{err.full_key}"
        known = [f"{prefix}{name}" for name in _keys(schema)]
        leaf = key.rpartition(".")[2]  # `seed` → `trainer.seed`, `dataset.seed`: the name moved into a section
        siblings = [k for k in known if k.rpartition(".")[0] == key.rpartition(".")[0]]  # a typo stays in its section
        nearest = (
            [k for k in known if k.rpartition(".")[2] == leaf][:3]
            or difflib.get_close_matches(key, siblings, n=2)
            or difflib.get_close_matches(key, known, n=2)
        )
        hint = f"did you mean {' or '.join(nearest)}?" if nearest else f"the keys here are {_siblings(key, known)}"
        raise TextrnnError(f"{key}: no such key; {hint}") from None
    except MissingMandatoryValue as err:
        raise TextrnnError(f"{prefix}{err.full_key}: missing; give it a value in conf/") from None
    except ValidationError as err:
        raise TextrnnError(f"{prefix}{err.full_key} = {err.value!r}: {_reason(err)}") from None
    except OmegaConfBaseException as err:
        raise TextrnnError(f"{prefix}{getattr(err, 'full_key', '')}: {' '.join(str(err).split())}") from None
    for key, value, (check, allowed) in _checked_values(schema, merged, prefix):
        if not check(value):
            raise TextrnnError(f"{key} = {value!r}: must be {allowed}")


def _reason(err: ValidationError) -> str:
    """OmegaConf's type error as what the key takes."""
    message = str(err).splitlines()[0]
    if "expected one of" in message:
        return "must be one of " + message.split("expected one of ")[1].strip("[]")
    if message.startswith("Incompatible value 'None'"):
        return "must not be null"
    for found, takes in (("to Integer", "an integer"), ("to Float", "a number"), ("valid bool", "true or false")):
        if found in message:
            return f"must be {takes}"
    return message


def typed_fields(schema: type) -> Iterator[tuple[Field, Any]]:
    """Each field of the dataclass ``schema`` with its type, resolved."""
    hints = typing.get_type_hints(schema)
    for f in fields(schema):
        yield f, hints[f.name]


def _fields(schema: type) -> Iterator[tuple[Field, type | None]]:
    """Each field of ``schema`` and, where it is a section, that section's schema."""
    for f, hint in typed_fields(schema):
        yield f, hint if is_dataclass(hint) else None


def _keys(schema: type, prefix: str = "") -> Iterator[str]:
    for f, section in _fields(schema):
        yield f"{prefix}{f.name}"
        if section is not None:
            yield from _keys(section, f"{prefix}{f.name}.")


def _siblings(key: str, known: list[str]) -> str:
    parent = key.rpartition(".")[0]
    return ", ".join(k for k in known if k.rpartition(".")[0] == parent)


def _checked_values(schema: type, cfg: DictConfig, prefix: str) -> Iterator[tuple[str, Any, Check]]:
    for f, section in _fields(schema):
        value = cfg[f.name]
        if "check" in f.metadata:
            yield (
                f"{prefix}{f.name}",
                OmegaConf.to_object(value) if OmegaConf.is_config(value) else value,
                f.metadata["check"],
            )
        elif section is not None:
            yield from _checked_values(section, value, f"{prefix}{f.name}.")
