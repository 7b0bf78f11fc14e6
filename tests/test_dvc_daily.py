"""The user's daily loop on the pipeline, in a scratch copy of the repo: one's own data file edited,
pretraining cached apart from the classifier, the getting-started page's commands as printed, and
`dvc plots show` in a browser.
Apart from tests/test_dvc.py so that the two run side by side (pytest-xdist, a file per worker)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import matplotlib.image
import pytest

from tests.conftest import ARTIFACTS, chromium, requires_chromium
from tests.test_dvc import BIN, _repro, _run, _stale, scratch_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return scratch_repo(tmp_path_factory)


@pytest.mark.slow
def test_editing_ones_own_data_file_reruns_ingest_and_what_follows(repo):
    """A CSV of one's own, edited: `dvc exp run -S dataset=…` said "didn't change, skipping" for every stage."""
    rows = [f"{label},{word} film number {i}" for i in range(60) for label, word in (("pos", "fine"), ("neg", "dull"))]
    data = repo / "reviews.csv"
    data.write_text("label,text\n" + "\n".join(rows) + "\n")
    (repo / "conf/dataset/myreviews.yaml").write_text(
        "name: myreviews\nsource: files\nformat: csv\nencoding: utf-8\ntext_column: text\nlabel_column: label\n"
        "label_names: [neg, pos]\nfiles:\n  train: {path: reviews.csv}\n"
        "split_fractions: {validation: 0.2, test: 0.2}\nsplit_seed: 1\n"
    )
    dvc = str(BIN / "dvc")
    try:
        first = _run([dvc, "exp", "run", "-S", "dataset=myreviews"], repo, with_stderr=True)
        assert "Running stage 'ingest'" in first and "Running stage 'export'" in first, first
        again = _run([dvc, "exp", "run", "-S", "dataset=myreviews"], repo, with_stderr=True)
        # -S writes params.yaml, which `compose` stamps again; the data did not change: nothing else reruns
        assert re.findall(r"Running stage '(\w+)'", again) == ["compose", "sources"], again
        with data.open("a") as handle:
            handle.write("\n".join(f"pos,great film {i}" for i in range(60)) + "\n")
        assert _stale(repo) == set()  # DVC cannot know before the fingerprints are taken ...
        edited = _run([dvc, "exp", "run", "-S", "dataset=myreviews"], repo, with_stderr=True)
        ran = re.findall(r"Running stage '(\w+)'", edited)  # ... then it reruns
        assert ran == [
            "compose", "sources", "ingest", "tokenize", "baseline", "pretrain", "train", "evaluate", "export"
        ], edited  # fmt: skip
        fingerprints = json.loads((repo / "data/sources/dataset.json").read_text())
        assert list(fingerprints) == ["reviews.csv"] and len(fingerprints["reviews.csv"]) == 32
    finally:
        data.unlink()
        (repo / "conf/dataset/myreviews.yaml").unlink()
        _run(["git", "checkout", "--", "params.yaml"], repo)


@pytest.mark.slow
def test_pretraining_is_cached_apart_from_the_classifier(repo):
    """A tiny pretrain → classify through DVC; a new classifier seed reruns the classifier, not `pretrain`."""
    words = ["fine", "dull", "film", "plot", "cast", "great", "bad", "story"]
    lines = [json.dumps({"text": " ".join(words[(i * j) % 8] for j in range(12))}) for i in range(200)]
    (repo / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    dvc = str(BIN / "dvc")
    pretraining = [
        "-S",
        "pretrain.files=[corpus.jsonl]",
        "-S",
        "pretrain.train_split=true",
        "-S",
        "pretrain.num_sampled=16",
    ]
    try:
        first = _run([dvc, "exp", "run", *pretraining], repo, with_stderr=True)
        assert {"pretrain", "train", "evaluate"} <= set(re.findall(r"Running stage '(\w+)'", first)), first
        assert "started embedding, lstm_0 from the pretrained language model" in first, first
        metrics = json.loads((repo / "metrics/pretrain.json").read_text())
        assert (
            metrics["tokens"] > 2400 and metrics["tokens_per_second"] > 0
        )  # 200 texts of 12 words and the train split's
        reseeded = _run([dvc, "exp", "run", *pretraining, "-S", "trainer.seed=2"], repo, with_stderr=True)
        assert re.findall(r"Running stage '(\w+)'", reseeded) == ["compose", "sources", "train", "evaluate", "export"]
        assert "started embedding, lstm_0 from the pretrained language model" in reseeded, reseeded
    finally:
        (repo / "corpus.jsonl").unlink()
        _run(["git", "checkout", "--", "params.yaml"], repo)


@pytest.mark.slow
def test_getting_started_runs_as_written(repo):
    """The daily loop of docs/getting-started.md (and so the README's), each command as printed."""
    from tests.test_docs import DOCS, ELSEWHERE, shell_commands

    _repro(repo)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(repo), "COLUMNS": "120"}
    outputs = {}
    for command in shell_commands(DOCS / "getting-started.md"):
        if command in ELSEWHERE:
            continue
        ran = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True)
        assert ran.returncode == 0, f"{command}\n{ran.stdout}{ran.stderr}"
        outputs[command.split("  ")[0]] = ran.stdout
    predicted = outputs['textrnn predict "a great film" "I hated it"'].splitlines()
    assert [line.split("\t")[-1] for line in predicted] == ["a great film", "I hated it"]
    assert (repo / "reports" / "gates.png").read_bytes().startswith(b"\x89PNG")
    assert "model=gru" in outputs["python -m pipelines.compare"]
    assert (repo / "dvc_plots" / "index.html").is_file()


@pytest.mark.slow
@requires_chromium
def test_plots_show_draws_every_chart_offline(repo, tmp_path):
    """`dvc plots show` with the repository's page template: Vega is inline, so the charts draw offline."""
    _repro(repo)
    _run([str(BIN / "dvc"), "plots", "show", "-o", str(tmp_path / "dvc_plots")], repo)
    page = tmp_path / "dvc_plots" / "index.html"
    assert "cdn.jsdelivr.net" not in page.read_text()
    dom = chromium(page.as_uri(), "--dump-dom", cwd=tmp_path)
    # vega-embed puts one canvas of class "marks" in each chart's div once Vega has drawn it
    charts = ["accuracy", "loss", "confusion", "per_class", "reliability", "accuracy_by_length", "gradient_by_lag"]
    assert dom.count('class="marks"') == len(charts), dom[:2000]
    gate_views = [f'<img src="static/workspace_reports_gates_test_{i}.png">' for i in range(3)]  # image plots
    assert all(view in dom for view in gate_views)
    # the page draws SVG: Vega's aria labels name each axis's values in drawing order
    [lengths] = re.findall(r"Y-axis titled 'length in tokens' for a discrete scale with \d+ values: ([^\"]+)", dom)
    shortest = [int(bucket.split("-")[0]) for bucket in lengths.split(", ")]
    assert len(shortest) > 1 and shortest == sorted(shortest), lengths  # 0-5, 6-16, 17-23: not as text
    assert 'aria-label="the diagonal: perfect calibration"' in dom
    counts = [
        int(n.replace(",", ""))
        for n in re.findall(r"accuracy in the bin: [\d.]+; rev: workspace; examples: ([\d,]+)", dom)
    ]
    bins = (repo / "plots" / "reliability.csv").read_text().splitlines()[1:]
    assert counts == [int(row.split(",")[-1]) for row in bins]  # every bin labelled with its count
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "dvc_plots.png"
    chromium(page.as_uri(), f"--screenshot={screenshot}", "--window-size=1280,1100", cwd=tmp_path)
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    assert (pixels < 0.9).any(axis=-1).mean() > 0.02  # ink on the page, not a blank white one
