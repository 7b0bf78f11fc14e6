"""The pipeline as users drive it: `dvc repro`, editing conf/, `dvc exp run -S`, in a scratch copy of the repo."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.common import ROOT, WRITERS, compose_config

import mlflow
import pytest
import yaml

from tests.test_pipeline import CLASSIFIER_METRICS
from textrnn.data.synthetic import SyntheticReviews

BIN = Path(sys.executable).parent
# the README's comparison command, and its overrides that train on one's own CSV
COMPARE = "python -m pipelines.compare"
OWN_DATA = (
    "-S dataset=csv -S dataset.files.train.path=data/reviews.csv -S dataset.text_column=review "
    "-S dataset.label_column=sentiment"
)


def test_dvc_yaml_paths_are_the_configured_paths():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    outs = {next(iter(o)) if isinstance(o, dict) else o for stage in stages.values() for o in stage.get("outs", [])}
    paths = compose_config().paths
    assert {paths.ingested, paths.tokenized, paths.pretrained, paths.models, paths.saved_model} <= outs
    assert {f"{paths.sources}/{kind}.json" for kind in ("dataset", "vectors", "pretrain")} <= outs
    metrics = {next(iter(m)) for stage in stages.values() for m in stage.get("metrics", [])}
    assert {
        f"{paths.metrics}/{name}.json" for name in ("ingest", "baseline", "pretrain", "vectors", "evaluate")
    } == metrics
    for key, writer in WRITERS.items():  # the stage a stage run out of order is told to run first
        assert paths[key] in [next(iter(o)) if isinstance(o, dict) else o for o in stages[writer]["outs"]], key


def test_readme_shows_the_comparison_command_and_own_data_overrides():
    readme = " ".join((ROOT / "README.md").read_text().replace("\\\n", " ").split())
    assert COMPARE in readme and f"dvc exp run {OWN_DATA}" in readme


def _run(args: list[str], cwd: Path, *, with_stderr: bool = False) -> str:
    """Run a command; its stdout, or with ``with_stderr`` both, interleaved as a terminal shows them."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(cwd)}
    stderr = subprocess.STDOUT if with_stderr else subprocess.PIPE
    result = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert result.returncode == 0, f"{result.stdout}{result.stderr or ''}"
    return result.stdout


# What must not reach a user's terminal: TensorFlow's C++ log lines (I0000 00:00:… file.cc:123]), the
# CUDA probe, Python warnings, absl's and MLflow's INFO chatter, progress bars.
NOISE = re.compile(
    r"^[IWEF]\d{4} |^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |oneDNN|cuInit|cudart|Warning|warnings\.warn|^INFO|"
    r"INFO mlflow|absl|\r|it/s\]",
    re.M,
)


def _repro(repo: Path) -> list[str]:
    """`dvc repro`; the stages it ran, in order. Its output holds nothing but DVC's and our stages' lines."""
    output = _run([str(BIN / "dvc"), "repro"], repo, with_stderr=True)
    assert not NOISE.search(output), NOISE.search(output).group(0) + "\n" + output
    return re.findall(r"Running stage '(\w+)'", output)


def _edit(path: Path, key: str, value: object) -> None:
    text = path.read_text()
    path.write_text(re.sub(rf"(?m)^(\s*{key}:)\s*\S+", rf"\1 {value}", text, count=1))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return scratch_repo(tmp_path_factory)


def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repo holding the project's files, with conf/ shrunk to tiny data and one short epoch."""
    repo = tmp_path_factory.mktemp("repo")
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and not name.startswith(("metrics/", "plots/")) and name != "dvc.lock":
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    # the committed params.yaml, not what a `dvc exp run -S model=gru` in the workspace left there
    committed = subprocess.run(["git", "show", "HEAD:params.yaml"], cwd=ROOT, capture_output=True, text=True)
    (repo / "params.yaml").write_text(committed.stdout)
    synthetic = repo / "conf/dataset/synthetic.yaml"
    for split, size in (("train", 300), ("validation", 60), ("test", 60)):
        _edit(synthetic, split, size)
    _edit(repo / "conf/trainer/default.yaml", "epochs", 1)
    _edit(repo / "conf/config.yaml", "epochs", 1)  # the baseline's
    _run(["git", "init", "-q"], repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "scratch"], repo)
    return repo


@pytest.mark.slow
def test_repro_runs_every_stage_then_nothing(repo):
    everything = ["compose", "sources", "ingest", "tokenize", "baseline", "pretrain", "train", "evaluate", "export"]
    assert _repro(repo) == everything
    assert _repro(repo) == ["sources"]  # it fingerprints the data files at every run: none changed
    # every output is in git or git-ignored (the scratch copy lacks the committed metrics/, plots/, dvc.lock)
    status = _run(["git", "status", "--porcelain", "--untracked-files=all"], repo).splitlines()
    untracked = [line[3:] for line in status if line.startswith("??")]
    assert all(path.startswith(("metrics/", "plots/", "dvc.lock")) for path in untracked), untracked
    metrics = json.loads((repo / "metrics/evaluate.json").read_text())
    assert set(metrics) == CLASSIFIER_METRICS


@pytest.mark.slow
def test_editing_tokenizer_conf_reruns_from_tokenize_on(repo):
    _repro(repo)
    _edit(repo / "conf/tokenizer/word.yaml", "max_length", 40)
    assert _repro(repo) == ["compose", "sources", "tokenize", "baseline", "pretrain", "train", "evaluate", "export"]


def _stale(repo: Path) -> set[str]:
    """The stages `dvc status` says are stale (their deps or params changed); not `sources`, which DVC
    always calls changed (it fingerprints the data files at every run)."""
    status = json.loads(_run([str(BIN / "dvc"), "status", "--json"], repo))
    return {stage for stage, changes in status.items() if "always changed" not in changes}


def _edit_docstring(path: Path, sentence: str) -> None:
    text = path.read_text()
    assert sentence in text
    path.write_text(text.replace(sentence, sentence.replace(" ", "  ", 1)))


@pytest.mark.slow
def test_a_change_reruns_only_the_stages_that_read_it(repo):
    """A module boundary is a cache boundary; each concern has its own seed; tracking retrains nothing."""
    _repro(repo)
    tasks = {"compose", "baseline", "train", "evaluate", "export"}  # the stages that run a task (compose checks it)
    for path, sentence, stale in (
        ("src/textrnn/training.py", "Stop training with a readable error", {*tasks, "pretrain"}),  # a callback
        ("src/textrnn/vectorize.py", "How text becomes ids.", {*tasks, "pretrain", "tokenize"}),
        ("src/textrnn/evaluation.py", "Accuracy, macro-averaged F1", tasks),  # not the data, not pretraining
    ):
        original = (repo / path).read_text()
        _edit_docstring(repo / path, sentence)
        assert _stale(repo) == stale, path
        (repo / path).write_text(original)
    assert _stale(repo) == set()
    compose = [sys.executable, "-m", "pipelines.compose"]
    for path, key, stale in (
        ("conf/trainer/default.yaml", "seed", {"compose", "train"}),  # then evaluate and export, on the new model
        ("conf/model/lstm.yaml", "units", {"compose", "pretrain", "train"}),  # not ingest, tokenize or baseline
        ("conf/tracking/mlflow.yaml", "experiment_name", {"compose"}),  # nothing that trains
        ("conf/dataset/synthetic.yaml", "seed", {"compose", "ingest"}),  # then everything after it
    ):
        _edit(repo / path, key, 7)
        _run(compose, repo)
        assert _stale(repo) == stale, path
        _run(["git", "checkout", "--", path], repo)
        _run(compose, repo)


@pytest.mark.slow
def test_exp_run_set_param_group_and_value(repo):
    _repro(repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "baseline run"], repo)
    dvc = str(BIN / "dvc")
    gru_run = _run([dvc, "exp", "run", "-S", "model=gru", "-n", "gru"], repo)
    assert "Running stage 'train'" in gru_run and "Running stage 'tokenize'" not in gru_run
    assert yaml.safe_load((repo / "params.yaml").read_text())["model"]["family"] == "gru"
    diff = json.loads(_run([dvc, "params", "diff", "--json"], repo))
    assert diff["params.yaml"]["model.family"] == {"old": "lstm", "new": "gru"}

    # A training seed of its own: the data, its tokens and the baseline stay as they are. Queued, the
    # stages run in a copy of the repo under .dvc/tmp that DVC deletes: the run still lands in the
    # project's MLflow store, its artifacts in the project's mlruns/
    _run([dvc, "exp", "run", "--queue", "-S", "trainer.seed=7", "-n", "seed-7"], repo)
    _run([dvc, "queue", "start", "-j", "1"], repo)
    seed_run = _run([dvc, "queue", "logs", "--follow", "seed-7"], repo)
    stages = re.findall(r"Running stage '(\w+)'", seed_run)
    assert stages == ["compose", "sources", "train", "evaluate", "export"], seed_run

    shown = json.loads(_run([dvc, "exp", "show", "--json"], repo))
    experiments = {
        exp["name"]: exp["data"]
        for commit in shown
        for exp in [e for run in commit.get("experiments") or [] for e in run.get("revs", [])]
    }
    assert {"gru", "seed-7"} <= set(experiments)
    gru = experiments["gru"]
    assert gru["params"]["params.yaml"]["data"]["model"]["family"] == "gru"
    assert "accuracy" in gru["metrics"]["metrics/evaluate.json"]["data"]
    seeded = experiments["seed-7"]["params"]["params.yaml"]["data"]
    assert seeded["trainer"]["seed"] == 7 and seeded["model"]["family"] == "lstm"  # -S starts from conf/ each time

    # One's own CSV, string labels and no label_names: the README's overrides and nothing else
    generator = SyntheticReviews()
    reviews = [("review", "sentiment")] + [
        (text, ("meh", "loved it")[label]) for text, label in generator.generate(300, seed=5)
    ]
    with open(repo / "data" / "reviews.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(reviews)
    own = _run([dvc, "exp", "run", *shlex.split(OWN_DATA), "-n", "reviews"], repo, with_stderr=True)
    assert "Running stage 'ingest'" in own and "Running stage 'train'" in own, own
    assert json.loads((repo / "metrics/ingest.json").read_text())["label_names"] == ["loved it", "meh"]
    assert json.loads((repo / "metrics/evaluate.json").read_text())["accuracy"] > 0

    # The README's comparison command, in a 120-column terminal: two datasets, two families, a seed
    table = subprocess.run(
        shlex.split(COMPARE),
        cwd=repo,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 120, table
    assert lines[0].split()[:5] == ["experiment", "accuracy", "p", "vs", "bow"], table
    rows: dict[str, str] = {}
    for line in lines[1:]:  # a row, and the lines its changes wrap onto
        if not line.startswith(" "):
            name = line.split()[0]
        rows[name] = f"{rows.get(name, '')} {line}"
    assert rows["gru"].split()[-1] == "model=gru", table
    assert rows["seed-7"].split()[-1] == "trainer.seed=7", table
    assert rows["reviews"].split()[-3:] == [
        "dataset=csv",
        "dataset.label_column=sentiment",
        "dataset.text_column=review",
    ], table
    assert {"workspace", "gru", "seed-7", "reviews"} <= set(rows), table

    # MLflow: one run per experiment, named for what ran and the DVC experiment
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    experiment_id = client.get_experiment_by_name("textrnn").experiment_id
    names = {run.info.run_name for run in client.search_runs([experiment_id])}
    units = {"gru": gru["params"]["params.yaml"]["data"]["model"]["units"], "lstm": seeded["model"]["units"]}
    assert {f"gru-{units['gru']}-synthetic (gru)", f"lstm-{units['lstm']}-synthetic (seed-7)"} <= names
    assert f"lstm-{units['lstm']}-synthetic" in names  # the `dvc repro` run before them: no experiment name
    [queued] = client.search_runs([experiment_id], "attributes.run_name LIKE '%(seed-7)'")
    assert queued.info.artifact_uri.startswith((repo / "mlruns").as_uri())
    artifacts = {a.path for a in client.list_artifacts(queued.info.run_id)}
    assert {"config.yaml", "confusion.csv", "gates", "saved_model"} <= artifacts
    assert (repo / "mlruns" / queued.info.run_id / "artifacts" / "saved_model").is_dir()  # kept after DVC's clean-up
