"""The `textrnn` command: `predict` on the SavedModel that the pipeline exports; `--help` without TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from textrnn import cli

TEXTRNN = Path(sys.executable).parent / "textrnn"  # the [project.scripts] entry point


def _textrnn(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TEXTRNN), *args], input=stdin, cwd=cwd, env=dict(os.environ), capture_output=True, text=True
    )


def test_help_does_not_load_tensorflow():
    script = "import sys, textrnn.cli\ntry:\n    textrnn.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
    script += "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "predict" in result.stdout
    assert result.stdout.splitlines()[-1] == "False False"


def test_predict_reads_stdin_one_text_a_line_and_prints_json(pipeline_run, tmp_path):
    cfg, _ = pipeline_run
    result = _textrnn(
        "predict", "--json", "--model", cfg.paths.saved_model, stdin="a great film\n\nawful\n", cwd=tmp_path
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["text"] for row in rows] == ["a great film", "", "awful"]
    for row in rows:
        assert set(row["probabilities"]) == {"negative", "positive"}
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert row["label"] == max(row["probabilities"], key=row["probabilities"].get)


def test_predict_takes_texts_as_arguments_or_from_a_file(pipeline_run, tmp_path, monkeypatch, capsys):
    cfg, _ = pipeline_run
    monkeypatch.chdir(tmp_path)  # in this process: the subprocess above already ran the command itself
    cli.main(["predict", "--model", cfg.paths.saved_model, "a great film", "i hated it"])
    by_argument = capsys.readouterr().out
    (tmp_path / "texts.txt").write_text("a great film\ni hated it\n", encoding="utf-8")
    cli.main(["predict", "--model", cfg.paths.saved_model, "--file", "texts.txt"])
    assert capsys.readouterr().out == by_argument
    lines = [line.split("\t") for line in by_argument.splitlines()]
    assert [(label in ("negative", "positive"), 0.5 <= float(p) <= 1, text) for label, p, text in lines] == [
        (True, True, "a great film"),
        (True, True, "i hated it"),
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("predict", "--model", "no_such_dir", "a text"), "--model no_such_dir"),
        (("predict", "--file", "missing.txt"), "--file missing.txt: cannot read it (No such file or directory)"),
    ],
    ids=["missing-model", "missing-file"],
)
def test_bad_paths_exit_2_with_one_line(args, named, tmp_path):
    result = _textrnn(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"textrnn: error: {named}")
