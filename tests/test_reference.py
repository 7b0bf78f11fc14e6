"""The configuration reference and each stage's --help, generated from the schema and conf/."""

from __future__ import annotations

import subprocess
import sys

from pipelines import reference
from pipelines.common import ROOT, stage_params

import pytest
import yaml
from omegaconf import OmegaConf

from tests.test_schema import CHOICES, composed
from textrnn.params import flatten


@pytest.fixture(scope="module")
def page() -> str:
    return reference.markdown()


def test_every_key_of_every_config_file_is_in_the_reference(page):
    """Keys read from each composition of conf/, not from the schema the reference is made from."""
    rows = {line.split("`")[1]: line for line in page.splitlines() if line.startswith("| `")}
    documented = set(rows)
    for choice in CHOICES:
        for key in flatten(OmegaConf.to_container(composed(choice))):
            parts = key.split(".")
            if parts[:2] == ["dataset", "files"] and len(parts) > 2:  # a files dataset's, by split
                parts[2] = reference.EACH
            mapping = ".".join(parts[:-1])  # split_fractions.validation: an entry of a mapping's value
            assert ".".join(parts) in documented or rows.get(mapping, "").startswith(f"| `{mapping}` | mapping"), (
                choice,
                key,
            )


def test_the_reference_gives_type_range_value_and_conf_comment(page):
    rows = {line.split("`")[1]: line for line in page.splitlines() if line.startswith("| `")}
    assert rows["trainer.learning_rate"].startswith("| `trainer.learning_rate` | number | a finite number > 0 |")
    assert "one of simple_rnn, lstm, gru, peephole_lstm" in rows["model.family"] and "`lstm`" in rows["model.family"]
    assert "which conf/ it was composed from" not in page  # conf_digest is written by compose, not a key to set
    comment = "the header's name of the column holding the text (jsonl: the field)"  # conf/dataset/csv.yaml's
    assert comment in page
    assert "&lt;br />" in page  # HTML in a comment is shown, not rendered
    # a dataset's key is commented by its own file, never by another source's
    synthetic, files = [line for line in page.splitlines() if line.startswith("| `dataset.label_names` |")]
    assert synthetic.split("|")[-2].strip() == ""  # synthetic.yaml says nothing of it; csv.yaml's is not its
    assert "null: the train file's labels" in files.split("|")[-2]


def test_comments_are_read_beside_and_under_a_key():
    text = "a:\n  b: 1   # the b\n  c: 2   # the c,\n         # continued\n# a header\nd: [1, 2]\n"
    assert dict(reference._commented_keys(text, "group.")) == {"group.a.b": "the b", "group.a.c": "the c, continued"}


def test_stage_help_lists_the_keys_it_reads_with_types_and_values():
    assert stage_params("pipelines.ingest") == ["dataset"]
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert all(stage_params(stage["cmd"].split()[-1]) for name, stage in stages.items() if name != "compose")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", "--help", "dataset=csv", "dataset.text_column=review"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  dataset.")}
    assert lines["dataset.text_column"].split()[1:4] == ["=", "review", "(string)"]
    assert "null (the train file's labels)" in lines["dataset.label_names"]
    assert "model.family" not in result.stdout  # another stage's
    bad = subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", "--help", "dataset=nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: conf/dataset/nope.yaml: no such dataset"), bad.stderr
