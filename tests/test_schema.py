"""conf/'s schema: every file in conf/ composes and passes it; bad values and unknown keys get one line."""

from __future__ import annotations

from pipelines import common, compose
from pipelines.common import CONF_DIR, compose_config, load_config
from pipelines.task import task_of

import pytest
import yaml
from omegaconf import DictConfig, OmegaConf

from textrnn.errors import TextrnnError

CHOICES = [f"{group}={choice}" for group, choices in common.config_groups().items() for choice in choices]


# A language model's files need each other (plain text goes with task=language_model and an uncut
# tokenizer), as a tagger's do: each is composed inside the preset that puts them together.
PRESET_OF = {
    "task=language_model": "experiment=tinyshakespeare",
    "dataset=tinyshakespeare": "experiment=tinyshakespeare",
    "task=tagging": "experiment=ud_ewt_pos",
    "dataset=ud_english_ewt": "experiment=ud_ewt_pos",
}


def composed(choice: str) -> DictConfig:
    """The config with ``choice``, its task checked too (as the `compose` stage does)."""
    cfg = compose_config([PRESET_OF[choice], choice] if choice in PRESET_OF else [choice])
    task_of(cfg)
    return cfg


@pytest.mark.parametrize("choice", CHOICES)
def test_every_config_file_composes_and_passes_the_schema(choice):
    cfg = composed(choice)
    group, name = choice.split("=")
    written = OmegaConf.load(CONF_DIR / group / f"{name}.yaml")
    if group != "experiment" and choice not in PRESET_OF:  # a preset sets keys across groups
        assert {key: cfg[group][key] for key in written if key != "defaults"} == {
            key: value for key, value in written.items() if key != "defaults"
        }


@pytest.mark.parametrize("choice", [*CHOICES, "trainer.schedule=warmup_cosine", "trainer.schedule=reduce_on_plateau"])
def test_every_config_file_builds_its_library_objects(choice, tmp_path):
    """What the stages build from it, without data or training: the tokenizer, and the compiled model."""
    from pipelines import tokenize_text, train

    import keras
    import numpy as np

    from textrnn import distribute, tokenized

    cfg = composed(choice)
    spec, _ = tokenize_text.tokenizer_spec(cfg.tokenizer)
    serving_tokenizer = spec.layer(["[PAD]", "[UNK]", "a", "b"], ragged=False)
    # uncut: padded to the longest text, "a b" — 2 words, 3 characters
    width = spec.max_length or (3 if spec.split == "character" else 2)
    assert keras.ops.convert_to_numpy(serving_tokenizer(np.array(["a b", ""]))).shape == (2, width)
    tokenized.write_meta(tmp_path, tokenized.Meta(label_names=["x", "y", "z"], vocab_size=20))
    cfg.paths.tokenized = str(tmp_path)
    distribute.set_precision(cfg.trainer.precision)
    try:
        model = train.build_model(cfg, task_of(cfg), steps_per_epoch=10)
    finally:
        distribute.set_precision("float32")
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)  # mixed_float16: loss scaling around it
    assert model.compiled and type(optimizer) is type(keras.optimizers.get(cfg.trainer.optimizer))
    # next token of 20, a tag of 3 at every step, or one of 3 classes
    outputs = {"language_model": (2, 5, 20), "tagging": (2, 5, 3)}.get(cfg.task.name, (2, 3))
    assert keras.ops.convert_to_numpy(model(np.ones((2, 5), "int32"))).shape == outputs


CLUSTER_KEYS = ("trainer.task_index", "trainer.checkpoint_every_n_steps", "trainer.jit_compile")


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ("trainer.epochs=0", "trainer.epochs = 0: must be an integer from 1 to 100,000"),
        ("trainer.epochs=-1", "trainer.epochs = -1: must be an integer from 1 to 100,000"),
        ("model.units=abc", "model.units = 'abc': must be an integer"),
        ("model.units=-3", "model.units = -3: must be an integer from 1 to 4,096"),
        ("trainer.batch_size=0", "trainer.batch_size = 0: must be an integer ≥ 1"),
        ("tokenizer.max_tokens=1", "tokenizer.max_tokens = 1: must be an integer ≥ 3"),
        ("tokenizer.max_tokens=2", "tokenizer.max_tokens = 2: must be an integer ≥ 3"),
        ("trainer.precision=fp8", "trainer.precision = 'fp8': must be one of float32, mixed_float16, mixed_bfloat16"),
        ("trainer.learning_rate=0", "trainer.learning_rate = 0.0: must be a finite number > 0"),
        ("model.dropout=1.0", "model.dropout = 1.0: must be a number in [0, 1)"),
        ("trainer.label_smoothing=1", "trainer.label_smoothing = 1.0: must be a number in [0, 1)"),
        ("dataset=sst2 dataset.split_by=phrase", "dataset.split_by = 'phrase': must be one of row, sentence"),
        ("model.bidirectional=maybe", "model.bidirectional = 'maybe': must be true or false"),
        ("model.units=null", "model.units = None: must not be null"),
        (
            "trainer.schedule=cosine",
            "trainer.schedule = 'cosine': must be one of constant, warmup_cosine, reduce_on_plateau",
        ),
        ("trainer.warmup_epochs=9", "trainer.warmup_epochs = 9: must be at most trainer.epochs (8)"),
        ("dataset.generator.short_rate=2", "dataset.generator.short_rate = 2.0: must be a number in [0, 1]"),
        ("trainer.epoch=3", "trainer.epoch: no such key; did you mean trainer.epochs or trainer.warmup_epochs?"),
        ("+trainer.epoch=3", "trainer.epoch: no such key; did you mean trainer.epochs or trainer.warmup_epochs?"),
        ("+model.unit=3", "model.unit: no such key; did you mean model.units or model.dropout?"),
        (
            "seed=7",
            "seed: no such key; did you mean trainer.seed or baseline.seed or pretrain.seed?",
        ),  # the old top-level seed
        ("model.pooling=sum", "model.pooling = 'sum': must be one of last, mean, max, attention"),
        (
            "tokenizer.split=wordpiece",
            "tokenizer.standardize = 'lower_and_strip_punctuation': with tokenizer.split=wordpiece it must be lower "
            "or null (WordPiece splits punctuation off as tokens of its own); use tokenizer=wordpiece",
        ),
        (
            "trainer.strategy=mirrored",
            "trainer.length_buckets = 16: length bucketing does not yet work with trainer.strategy=mirrored; "
            "set trainer.length_buckets=1",
        ),
        (
            "trainer.cluster=[10.0.0.1]",
            "trainer.cluster = ['10.0.0.1']: must be null or a list of host:port addresses",
        ),
        (
            "trainer.task_index=2",
            "trainer.task_index = 2: trainer.cluster has 2 workers; give each machine its place, 0 to 1",
        ),
        (
            "trainer.checkpoint_every_n_steps=5",
            "trainer.checkpoint_every_n_steps = 5: trainer.strategy=multi_worker checkpoints after every epoch "
            "only; set trainer.checkpoint_every_n_steps=null",
        ),
        (
            "trainer.jit_compile=true",
            "trainer.jit_compile = True: trainer.strategy=multi_worker does not compile with XLA; "
            "set trainer.jit_compile=false",
        ),
        ("trainer.peer_timeout=0", "trainer.peer_timeout = 0.0: must be a finite number > 0"),
        # each passed the schema, then crashed with a traceback or did something else than asked
        ("trainer.seed=-1", "trainer.seed = -1: must be an integer from 0 to 4,294,967,295"),
        ("trainer.seed=1099511627776", "trainer.seed = 1099511627776: must be an integer from 0 to 4,294,967,295"),
        ("baseline.seed=-1", "baseline.seed = -1: must be an integer from 0 to 4,294,967,295"),
        (
            "dataset=sst2 dataset.encoding=klingon",
            "dataset.encoding = 'klingon': must be an encoding Python knows, e.g. utf-8, latin-1 or cp1252",
        ),
        (
            "tracking.tracking_uri=foo://bar",
            "tracking.tracking_uri = 'foo://bar': must be a URI MLflow opens (sqlite:, postgresql:, "
            "mysql:, mssql:, http:, https:, databricks:); for a local store, sqlite:///<directory>/mlflow.db (MLflow "
            "3 keeps no new runs in a plain directory)",
        ),
        (  # MLflow 3 refuses a directory (its file store) with a traceback at the first run: refused here first
            "tracking.tracking_uri=/tmp/runs",
            "tracking.tracking_uri = '/tmp/runs': must be a URI MLflow opens (sqlite:, postgresql:, mysql:, mssql:, "
            "http:, https:, databricks:); for a local store, sqlite:///<directory>/mlflow.db (MLflow 3 keeps no new "
            "runs in a plain directory)",
        ),
        ("model.units=100000", "model.units = 100000: must be an integer from 1 to 4,096"),
        ("model.embedding_dim=100000", "model.embedding_dim = 100000: must be an integer from 1 to 4,096"),
        (
            "trainer.epochs=100000000000000000000",
            "trainer.epochs = 100000000000000000000: must be an integer from 1 to 100,000",
        ),
        ("trainer.learning_rate=inf", "trainer.learning_rate = inf: must be a finite number > 0"),
        (
            "dataset=sst2 dataset.label_names=[pos,pos]",
            "dataset.label_names = ['pos', 'pos']: must be null (the train file's labels) or two or more "
            "distinct names",
        ),
        ("paths.models=", "paths.models = '': must be a non-empty path"),
        (  # a key the chosen dataset could have but does not: Hydra's own advice, not another dataset's keys
            "dataset=csv dataset.files.test.path=t.csv",
            "dataset.files.test.path: not in the composition of conf/; add it with +dataset.files.test.path=t.csv",
        ),
        (  # handed validation 45 % of the rows
            "dataset=sst2 dataset.split_fractions.validation=-0.5",
            "dataset.split_fractions = {'validation': -0.5}: must be fractions for validation and test only, each "
            "in (0, 1) and together below 1, e.g. {validation: 0.1}",
        ),
        (
            "dataset=sst2 ++dataset.split_fractions.test=0.95",
            "dataset.split_fractions = {'validation': 0.1, 'test': 0.95}: must be fractions for validation and test "
            "only, each in (0, 1) and together below 1, e.g. {validation: 0.1}",
        ),
    ],
)
def test_a_bad_value_or_unknown_key_is_one_line_naming_it(override, error):
    cluster = ["trainer.strategy=multi_worker", "trainer.cluster=[h1:1,h2:1]", "trainer.deterministic=false"]
    with pytest.raises(TextrnnError) as raised:
        compose_config([*(cluster if override.startswith(CLUSTER_KEYS) else []), *override.split()])
    assert str(raised.value) == error


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        (["model=simple_rnn"], "model.family=simple_rnn"),
        (["model.recurrent_dropout=0.2"], "model.recurrent_dropout=0.2"),
    ],
)
def test_a_fused_kernel_it_cannot_run_is_one_line_naming_the_setting(overrides, setting):
    with pytest.raises(TextrnnError) as raised:
        compose_config(["model.kernel=fused", *overrides])
    assert str(raised.value) == (
        f"model.kernel = 'fused': Keras's fused (cuDNN) layers cannot run {setting}; they are LSTM and GRU without "
        "recurrent dropout; set model.kernel=auto (our cells where fusing cannot run) or cells"
    )


def test_params_yaml_is_checked_too(tmp_path, monkeypatch):
    """What `dvc exp run -S` composes in DVC's process (without our schema) is checked when a stage reads it."""
    params = tmp_path / "params.yaml"
    cfg = yaml.safe_load((common.ROOT / "params.yaml").read_text())
    cfg["trainer"]["epochs"] = 0
    params.write_text(yaml.safe_dump(cfg))
    monkeypatch.setattr(common, "PARAMS_FILE", params)
    with pytest.raises(TextrnnError, match=r"^params.yaml: trainer.epochs = 0: must be an integer from 1 to 100,000$"):
        load_config([])


def test_compose_refuses_a_bad_value_and_leaves_params_yaml_as_it_was(tmp_path, monkeypatch):
    params = tmp_path / "params.yaml"
    params.write_text("kept: true\n")
    monkeypatch.setattr(compose, "PARAMS_FILE", params)
    with pytest.raises(TextrnnError, match=r"^trainer\.epochs = 0"):
        compose.main(["trainer.epochs=0"])
    assert params.read_text() == "kept: true\n"


def test_compose_checks_the_composition_dvc_exp_run_wrote(tmp_path, monkeypatch):
    """`dvc exp run -S trainer.epochs=0` composes params.yaml in DVC's process; compose, the first stage, refuses it."""
    params = tmp_path / "params.yaml"
    cfg = yaml.safe_load((common.ROOT / "params.yaml").read_text())
    del cfg["conf_digest"]  # as DVC's Hydra integration writes it
    cfg["trainer"]["epochs"] = 0
    params.write_text(yaml.safe_dump(cfg))
    monkeypatch.setattr(compose, "PARAMS_FILE", params)
    with pytest.raises(TextrnnError, match=r"^params\.yaml: trainer\.epochs = 0: must be an integer from 1 to 100,000"):
        compose.main([])


def test_every_choice_the_schema_offers_is_one_the_library_runs():
    """The schema's choices are textrnn.choices' (tests/test_choices.py); each is one Keras runs."""
    import numpy as np

    from textrnn import choices, models, training, vectorize

    for name in choices.OPTIMIZERS:
        training.make_optimizer(name=name, learning_rate=0.1)  # Keras knows every name offered
    for standardize in choices.STANDARDIZE:
        layer = vectorize.TokenizerSpec(standardize=standardize).layer(["", "[UNK]", "film"], ragged=False)
        assert layer(np.array(["Film!"])).shape == (1, 128)
    for family in choices.FAMILIES:
        for pooling in choices.POOLINGS:
            model = models.build_classifier(vocab_size=5, num_classes=2, family=family, pooling=pooling, units=2)
            assert model(np.ones((1, 3), "int32")).shape == (1, 2)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"units": -3}, "units must be a positive integer, got -3"),
        ({"num_layers": 0}, "num_layers must be a positive integer, got 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\), got 1.0"),
        ({"family": "transformer"}, "family must be one of"),
        ({"kernel": "fused", "family": "simple_rnn"}, "kernel='fused' needs family lstm or gru"),
        ({"kernel": "fused", "recurrent_dropout": 0.1}, r"kernel='fused' needs recurrent_dropout=0 \(cuDNN has none\)"),
    ],
)
def test_library_functions_name_their_own_arguments(arguments, error):
    from textrnn import models

    with pytest.raises(ValueError, match=error):
        models.build_classifier(vocab_size=10, num_classes=2, **arguments)
