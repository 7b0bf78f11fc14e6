"""The other tasks through DVC, in a scratch copy of the repo: a tagger trained by `dvc exp run` on
CoNLL-U files of one's own, tagging raw sentences from its SavedModel.
Apart from tests/test_dvc.py so that they run side by side (pytest-xdist, a file per worker)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_dvc import BIN, _run, scratch_repo
from tests.test_tagging import toy_sentences, write_conllu


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return scratch_repo(tmp_path_factory)


@pytest.mark.slow
def test_a_tagger_trains_through_dvc_and_tags_raw_sentences(repo):
    (repo / "pos").mkdir()
    overrides = ["experiment=ud_ewt_pos", "model.pretrained_vectors=null", "tokenizer.vectors_vocabulary=0"]
    overrides += ["model.units=16", "model.embedding_dim=16", "trainer.epochs=6", "trainer.learning_rate=0.01"]
    for split, count, seed in (("train", 300, 0), ("validation", 40, 1), ("test", 60, 2)):
        write_conllu(repo / "pos" / f"{split}.conllu", toy_sentences(count, seed))
        overrides.append(f"dataset.files.{split}=pos/{split}.conllu")
    dvc = str(BIN / "dvc")
    output = _run([dvc, "exp", "run", *(arg for o in overrides for arg in ("-S", o))], repo, with_stderr=True)
    ran = re.findall(r"Running stage '(\w+)'", output)
    assert ran == ["compose", "sources", "ingest", "tokenize", "baseline", "pretrain", "train", "evaluate", "export"]
    assert "matches the trained model on" in output  # export checked the SavedModel in a process without textrnn
    metrics = json.loads((repo / "metrics/evaluate.json").read_text())
    baseline = json.loads((repo / "metrics/baseline.json").read_text())
    assert 0.5 < metrics["accuracy"] <= 1.0 and metrics["vs_mft_wins"] + metrics["vs_mft_losses"] >= 0
    assert 0.5 < baseline["most_frequent_tag_accuracy"] < 1.0
    assert json.loads((repo / "metrics/ingest.json").read_text())["label_names"] == ["DET", "NOUN", "PUNCT", "VERB"]
    tagged = subprocess.run(
        [sys.executable, "-m", "textrnn", "tag", "--model", str(repo / "saved_model"), "the cat sees a dog."],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [pair.split("/")[0] for pair in tagged.stdout.split()] == ["the", "cat", "sees", "a", "dog", "."]
    assert {pair.split("/")[1] for pair in tagged.stdout.split()} <= {"DET", "NOUN", "PUNCT", "VERB"}
    assert _run(["git", "branch", "--show-current"], repo).strip()  # DVC left HEAD on a branch
