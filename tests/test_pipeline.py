"""Every stage on tiny data, in order, as `dvc repro` runs them; then the stages' command lines."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from pipelines import export
from pipelines.common import ROOT

import mlflow
import pytest
import yaml
from omegaconf import OmegaConf

from tests.conftest import TINY_OVERRIDES
from textrnn import tokenized
from textrnn.atomic import MARKER
from textrnn.errors import TextrnnError

# what evaluate writes for a classifier: its scores, and its paired comparison with the bag of words
CLASSIFIER_METRICS = {
    *("accuracy", "macro_f1", "loss", "ece"),
    *("vs_bow_wins", "vs_bow_losses", "vs_bow_p_value", "vs_bow_log10_p_value"),
}
TINY_SIZES = [o for o in TINY_OVERRIDES if o.startswith("++dataset.sizes")]


def _csv(path) -> list[dict[str, str]]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def _json(path) -> dict:
    return json.loads(Path(path).read_text())


def test_ingest_writes_a_tfds_dataset_with_three_splits(pipeline_run):
    cfg, _ = pipeline_run
    info = _json(Path(cfg.paths.ingested) / "dataset_info.json")
    assert {s["name"]: int(s["shardLengths"][0]) for s in info["splits"]} == {
        "train": 400,
        "validation": 80,
        "test": 80,
    }


def test_tokenize_writes_vocabulary_encoded_splits_and_metrics(pipeline_run):
    cfg, _ = pipeline_run
    tokenized = Path(cfg.paths.tokenized)
    vocabulary = (tokenized / "vocabulary.txt").read_text().split("\n")
    assert vocabulary[:2] == ["", "[UNK]"] and "but" in vocabulary
    assert _json(tokenized / "meta.json") == {
        "label_names": ["negative", "positive"],
        "vocab_size": len(vocabulary) - 1,
    }
    metrics = _json(tokenized / "statistics.json")
    assert set(metrics) == {"train", "validation", "test"}
    assert metrics["train"]["examples"] == 400 and 10 < metrics["train"]["length_mean"] < 60
    assert metrics["train"]["oov_rate"] == 0.0  # adapted on train: every train token is known
    assert 0.0 <= metrics["test"]["oov_rate"] < 0.05


def test_baseline_records_majority_and_bag_of_words_accuracy(pipeline_run):
    cfg, _ = pipeline_run
    metrics = _json(Path(cfg.paths.metrics) / "baseline.json")
    assert set(metrics) == {"bow_accuracy", "majority_accuracy"}
    assert 0.3 < metrics["majority_accuracy"] < 0.7


def test_train_writes_models_history_and_one_mlflow_run(pipeline_run):
    cfg, workdir = pipeline_run
    models_dir = Path(cfg.paths.models)
    # EarlyStopping keeps the best
    assert {p.name for p in models_dir.iterdir()} == {"model.keras", "mlflow_run.json", MARKER}
    with open(Path(cfg.paths.plots) / "training.csv") as handle:
        history = list(csv.DictReader(handle))
    assert [row["epoch"] for row in history] == ["1", "2"] and "val_accuracy" in history[0]  # as Keras prints
    assert not Path(cfg.paths.checkpoints).exists()  # BackupAndRestore cleans up after a finished fit

    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    run = client.get_run(_json(models_dir / "mlflow_run.json")["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model.family"] == "lstm" and run.data.params["trainer.epochs"] == "2"
    assert len(client.get_metric_history(run.info.run_id, "val_loss")) == 2
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {
        "config.yaml",
        "vocabulary.txt",
        "training.csv",
        "learning_curves.png",
        "confusion.csv",
        "saved_model",
    } <= artifacts
    tags = run.data.tags
    assert tags["dvc.stage"] == "train" and "mlflow.source.git.commit" in tags
    for metric in ("tokens_per_second", "epoch_seconds", "val_loss", "accuracy"):  # epochs as in training.csv
        assert [m.step for m in client.get_metric_history(run.info.run_id, metric)] == [1, 2], metric
    assert not any(name.startswith("validation_") for name in run.data.metrics)  # val_* only, once
    assert "learning_rate" not in run.data.metrics  # constant: a param, not a flat line at 0
    assert run.info.run_name == "lstm-8-synthetic"  # family, units, dataset


def test_evaluate_writes_metrics_confusion_plot_and_logs_to_the_training_run(pipeline_run):
    cfg, workdir = pipeline_run
    metrics = _json(Path(cfg.paths.metrics) / "evaluate.json")
    assert set(metrics) == CLASSIFIER_METRICS
    # text by text against the bag of words of stage baseline: the wins less the losses are the gap in accuracy
    bow_accuracy = _json(Path(cfg.paths.metrics) / "baseline.json")["bow_accuracy"]
    assert metrics["vs_bow_wins"] - metrics["vs_bow_losses"] == round(80 * (metrics["accuracy"] - bow_accuracy))
    assert 0.0 < metrics["vs_bow_p_value"] <= 1.0
    assert metrics["vs_bow_log10_p_value"] == pytest.approx(math.log10(metrics["vs_bow_p_value"]))
    with open(Path(cfg.paths.plots) / "confusion.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 80 and {r["actual"] for r in rows} <= {"negative", "positive"}
    assert sum(r["actual"] == r["predicted"] for r in rows) / 80 == pytest.approx(metrics["accuracy"])
    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    run = client.get_run(_json(Path(cfg.paths.models) / "mlflow_run.json")["run_id"])
    assert run.data.metrics["test_accuracy"] == pytest.approx(metrics["accuracy"])
    test_metrics = {name for name in run.data.metrics if name.startswith("test_")}
    assert test_metrics == {f"test_{name}" for name in metrics} | {"test_gradient_by_lag"}
    report = {
        name: _csv(Path(cfg.paths.plots) / f"{name}.csv") for name in ("per_class", "reliability", "accuracy_by_length")
    }
    assert [row["class"] for row in report["per_class"]] == ["negative", "positive"]
    assert sum(int(r["support"]) for r in report["per_class"]) == 80
    assert sum(int(r["examples"]) for r in report["reliability"]) == 80
    assert sum(int(r["examples"]) for r in report["accuracy_by_length"]) == 80
    mistakes = _csv(Path(cfg.paths.reports) / "confident_mistakes.csv")
    assert len(mistakes) == min(20, round(80 * (1 - metrics["accuracy"])))
    assert all(m["actual"] != m["predicted"] and float(m["probability"]) >= 0.5 for m in mistakes)
    assert {"per_class.csv", "reliability.csv", "confident_mistakes.csv", "gates"} <= {
        a.path for a in client.list_artifacts(run.info.run_id)
    }
    views = sorted(path.name for path in (Path(cfg.paths.reports) / "gates").glob("*.png"))
    assert views == ["test_0.png", "test_1.png", "test_2.png"]
    logged = sorted(a.path for a in client.list_artifacts(run.info.run_id, "gates"))
    assert logged == [f"gates/{view}" for view in views]  # not textrnn's marker
    assert (Path(cfg.paths.reports) / "gates" / views[0]).read_bytes().startswith(b"\x89PNG")
    with open(Path(cfg.paths.plots) / "gradient_by_lag.csv") as handle:
        gradient = list(csv.DictReader(handle))
    assert [int(row["lag"]) for row in gradient] == list(range(len(gradient))) and len(gradient) > 5
    examples = [int(row["examples"]) for row in gradient]
    assert examples[0] == 80 and examples == sorted(examples, reverse=True)  # every example has a last token
    assert all(0 < float(row["gradient_norm"]) < float("inf") for row in gradient)
    history = sorted(client.get_metric_history(run.info.run_id, "test_gradient_by_lag"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in history] == [(int(r["lag"]), float(r["gradient_norm"])) for r in gradient]
    assert {"confusion.csv", "gradient_by_lag.csv"} <= {a.path for a in client.list_artifacts(run.info.run_id)}


SERVE = textwrap.dedent(
    """
    import json, random, string, sys
    import tensorflow as tf
    serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
    random.seed(0)
    texts = ["a great film", "", "".join(random.choice(string.printable) for _ in range(10_000))]
    out = serve(texts=tf.constant(texts))
    scalar = serve(texts=tf.constant("a great film"))
    print(json.dumps({
        "textrnn_imported": any(m.split(".")[0] == "textrnn" for m in sys.modules),
        "probabilities": out["probabilities"].numpy().tolist(),
        "scalar": scalar["probabilities"].numpy().tolist(),
        "classes": out["classes"].numpy().astype(str).tolist(),
        "label": out["label"].numpy().astype(str).tolist(),
    }))
    """
)


def _without_textrnn(script: str, *args: str, cwd: Path) -> dict:
    """Run ``script`` in a fresh Python that never imports textrnn; return the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,  # not the repo: textrnn must not be importable by accident from the cwd
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer.pop("textrnn_imported") is False
    return answer


def test_exported_saved_model_answers_raw_strings_without_textrnn(pipeline_run, tmp_path):
    cfg, _ = pipeline_run
    answer = _without_textrnn(SERVE, cfg.paths.saved_model, cwd=tmp_path)
    assert len(answer["probabilities"]) == 3
    for row in answer["probabilities"]:
        assert sum(row) == pytest.approx(1.0, abs=1e-5)
    assert answer["classes"] == [["negative", "positive"]] * 3
    assert set(answer["label"]) <= {"negative", "positive"}
    [scalar] = answer["scalar"]  # a scalar string: a batch of one
    assert scalar == pytest.approx(answer["probabilities"][0], abs=1e-6)


def test_export_refuses_a_vectorizer_that_differs_from_the_trained_one(pipeline_run, tmp_path):
    """The parity check can fail: a vocabulary reordered after training gives other probabilities."""
    cfg, _ = pipeline_run
    cfg = copy.deepcopy(cfg)
    tampered = tmp_path / "tokenized"
    shutil.copytree(cfg.paths.tokenized, tampered)
    vocabulary = tokenized.vocabulary(tampered)
    (tampered / "vocabulary.txt").write_text("".join(f"{t}\n" for t in vocabulary[:2] + vocabulary[:1:-1]))
    earlier = tmp_path / "saved_model"
    earlier.mkdir()
    (earlier / "saved_model.pb").write_text("the earlier export")
    cfg.paths.tokenized, cfg.paths.saved_model, cfg.export.log_to_mlflow = str(tampered), str(earlier), False
    with pytest.raises(TextrnnError, match=r"differ from the trained model's by .* the vectorizer does not encode"):
        export.main(cfg)
    assert [p.name for p in earlier.iterdir()] == ["saved_model.pb"]
    assert (earlier / "saved_model.pb").read_text() == "the earlier export"


PYFUNC = textwrap.dedent(
    """
    import json, sys
    import mlflow, pandas
    mlflow.set_tracking_uri(sys.argv[1])
    model = mlflow.pyfunc.load_model(f"models:/{sys.argv[2]}")
    out = model.predict(pandas.DataFrame({"text": ["a great film", ""]}))
    import tensorflow as tf
    serve = tf.saved_model.load(sys.argv[3]).signatures["serving_default"]
    served = serve(texts=tf.constant(["a great film", ""]))["probabilities"].numpy()
    print(json.dumps({
        "max_difference": float(abs(out.filter(like="probability_").to_numpy() - served).max()),
        "textrnn_imported": any(m.split(".")[0] == "textrnn" for m in sys.modules),
        "inputs": [i["name"] for i in model.metadata.signature.inputs.to_dict()],
        "columns": list(out.columns),
        "sums": out.filter(like="probability_").sum(axis=1).tolist(),
    }))
    """
)


def test_mlflow_model_has_a_string_signature_and_loads_without_textrnn(pipeline_run, tmp_path):
    cfg, workdir = pipeline_run
    run_id = _json(Path(cfg.paths.models) / "mlflow_run.json")["run_id"]
    client = mlflow.MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    [model_id] = [output.model_id for output in client.get_run(run_id).outputs.model_outputs]
    tracking_uri, saved_model = f"sqlite:///{workdir / 'mlflow.db'}", str(Path(cfg.paths.saved_model).resolve())
    answer = _without_textrnn(PYFUNC, tracking_uri, model_id, saved_model, cwd=workdir)  # ./mlruns
    assert answer["inputs"] == ["text"]
    assert answer["columns"] == ["label", "probability_negative", "probability_positive"]
    assert answer["sums"] == pytest.approx([1.0, 1.0], abs=1e-5)
    assert answer["max_difference"] <= 1e-6  # the MLflow model answers what the SavedModel answers


def _failing_stage(module: str, *overrides: str, cwd: Path) -> str:
    """Run a stage that must fail on bad input; return its error: the one line on stderr, no TensorFlow log."""
    result = subprocess.run(
        [sys.executable, "-m", f"pipelines.{module}", *overrides],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error:")
    return line


def test_bad_input_exits_non_zero_with_one_line_and_keeps_earlier_outputs(pipeline_run, tmp_path):
    cfg, _ = pipeline_run
    ingested = Path(cfg.paths.ingested)
    before = {p.name: p.read_bytes() for p in ingested.iterdir()}
    bad = tmp_path / "bad.csv"
    bad.write_text("label,sentence\n0,fine\n7,odd\n")
    error = _failing_stage(
        "ingest",
        "dataset=sst2",
        "dataset.format=csv",
        f"dataset.files.train.path={bad}",
        f"dataset.files.test.path={bad}",
        f"paths.ingested={ingested}",
        cwd=tmp_path,
    )
    assert error == (
        f"error: {bad}:3: unknown label '7' in column 'label'; expected one of ['0', '1'] — fix the row or set "
        "dataset.label_values / dataset.label_names"
    )
    assert {p.name: p.read_bytes() for p in ingested.iterdir()} == before  # nothing lost


def test_a_stage_run_before_the_stage_it_reads_names_the_stage_to_run_first(pipeline_run, tmp_path):
    cfg, _ = pipeline_run
    error = _failing_stage("train", "trainer.epochs=1", cwd=tmp_path)  # nothing ingested or tokenized here
    assert error == (
        "error: paths.tokenized = 'data/tokenized' does not exist: stage `tokenize` writes it; "
        "run `dvc repro tokenize` first"
    )
    missing, metrics = tmp_path / "baseline", tmp_path / "metrics"
    paths = [f"paths.{name}={cfg.paths[name]}" for name in ("ingested", "tokenized", "models")]
    error = _failing_stage("evaluate", *paths, f"paths.baseline={missing}", f"paths.metrics={metrics}", cwd=tmp_path)
    assert error == (
        f"error: paths.baseline = '{missing}' does not exist: stage `baseline` writes it; "
        "run `dvc repro baseline` first"
    )
    assert not metrics.exists()  # stopped before any work


def test_ingest_and_tokenize_are_byte_reproducible_across_processes(tmp_path):
    """Same data, same bytes: otherwise DVC reruns every stage after each ingest or tokenize, and a
    fresh clone's `dvc repro` would not match the committed dvc.lock."""
    attempts = [tmp_path / "a", tmp_path / "b"]
    for stage in ("ingest", "tokenize_text"):  # both attempts at once, each in its own processes
        running = [
            subprocess.Popen(
                [sys.executable, "-m", f"pipelines.{stage}", *TINY_SIZES]
                + [f"paths.{name}={root / name}" for name in ("ingested", "tokenized", "metrics")],
                cwd=tmp_path,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for root in attempts
        ]
        for process in running:
            _, errors = process.communicate()
            assert process.returncode == 0, errors.decode()
    outputs = [
        {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} for root in attempts
    ]
    assert outputs[0] == outputs[1]
    assert any(name.endswith("00001") for name in outputs[0]) and "tokenized/train/token_ids.npy" in outputs[0]


def test_stage_runs_as_a_script_and_its_help_lists_the_config_choices(tmp_path):
    """`python pipelines/<stage>.py` (DVC's tutorials run stages so) and `--help`, quietly."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipelines" / "train.py"), "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Stage `train`" in result.stdout
    assert "  model: gru, layer_norm_lstm, lstm, peephole_lstm, simple_rnn\n" in result.stdout
    assert result.stderr == ""  # no TensorFlow start-up lines


def test_unknown_config_choice_is_one_line(tmp_path):
    error = _failing_stage("train", "model=transformer", cwd=tmp_path)
    assert error == (
        "error: conf/model/transformer.yaml: no such model; use one of gru, layer_norm_lstm, lstm, peephole_lstm, "
        "simple_rnn"
    )


def test_a_bad_value_is_refused_before_training_touches_any_output(pipeline_run, tmp_path):
    """`trainer.epochs=0` once replaced models/ with an untrained model and emptied plots/training.csv."""
    cfg, workdir = pipeline_run
    outputs = [Path(cfg.paths.models), Path(cfg.paths.plots), workdir / "mlflow.db"]
    before = {p: p.read_bytes() for root in outputs for p in sorted([root, *root.rglob("*")]) if p.is_file()}
    paths = [f"paths.{name}={value}" for name, value in cfg.paths.items()]
    error = _failing_stage("train", "trainer.epochs=0", *paths, cwd=tmp_path)
    assert error == "error: trainer.epochs = 0: must be an integer from 1 to 100,000"
    assert {p: p.read_bytes() for root in outputs for p in sorted([root, *root.rglob("*")]) if p.is_file()} == before


def test_a_bad_value_is_named_even_before_any_stage_has_run(tmp_path):
    """A fresh clone: no data yet, and the bad value — not a missing file — is what the user reads."""
    paths = [f"paths.{name}={tmp_path / name}" for name in ("ingested", "tokenized", "models", "metrics")]
    error = _failing_stage("evaluate", "model.units=abc", *paths, cwd=tmp_path)
    assert error == "error: model.units = 'abc': must be an integer"


def test_compose_writes_params_from_conf_and_keeps_an_exp_run_composition(tmp_path, monkeypatch):
    from pipelines import common, compose

    params = tmp_path / "params.yaml"
    monkeypatch.setattr(compose, "PARAMS_FILE", params)
    compose.main([])
    written = yaml.safe_load(params.read_text())
    assert written["model"]["family"] == "lstm" and written["conf_digest"] == common.conf_digest()

    # as `dvc exp run -S model=gru` leaves it: DVC's Hydra composition, no digest
    params.write_text(OmegaConf.to_yaml(common.compose_config(["model=gru"])))
    compose.main([])
    assert yaml.safe_load(params.read_text())["model"]["family"] == "gru"

    # conf/ edited since (a stale digest): compose conf/ again
    stale = yaml.safe_load(params.read_text()) | {"conf_digest": "0" * 64}
    params.write_text(yaml.safe_dump(stale))
    compose.main([])
    assert yaml.safe_load(params.read_text())["model"]["family"] == "lstm"


def test_committed_params_yaml_is_the_composition_of_conf():
    """What is committed, not the workspace's params.yaml, which `dvc exp run -S model=gru` rewrites."""
    from pipelines.common import compose_config, conf_digest

    shown = subprocess.run(["git", "show", "HEAD:params.yaml"], cwd=ROOT, capture_output=True, text=True, check=True)
    committed = yaml.safe_load(shown.stdout)
    assert committed == {**OmegaConf.to_container(compose_config()), "conf_digest": conf_digest()}
