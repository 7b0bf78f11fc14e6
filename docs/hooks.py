"""MkDocs hooks: the pages and pictures the documentation's build generates from the repository, so
that they cannot drift from it — the configuration reference (from the schema and conf/), the
learning curves (from plots/training.csv), the gate view (the evaluate stage's) and the plots page
(`dvc plots show`)."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `pipelines` is the repository's, not an installed package


def on_files(files: Files, config) -> Files:
    from pipelines import reference

    from textrnn.tracking import learning_curves

    files.append(File.generated(config, "configuration.md", content=reference.markdown()))
    figure = io.BytesIO()
    learning_curves(ROOT / "plots" / "training.csv").savefig(figure, format="png", dpi=100)
    files.append(File.generated(config, "images/learning_curves.png", content=figure.getvalue()))
    files.append(File.generated(config, "images/gates.png", abs_src_path=str(ROOT / "reports/gates/test_0.png")))
    with tempfile.TemporaryDirectory() as scratch:  # the page `dvc plots show` writes, and its images
        dvc = Path(sys.executable).parent / "dvc"
        subprocess.run([str(dvc), "plots", "show", "--out", scratch], cwd=ROOT, check=True, capture_output=True)
        for path in sorted(Path(scratch).rglob("*")):
            if path.is_file():
                name = f"plots/{path.relative_to(scratch).as_posix()}"
                files.append(File.generated(config, name, content=path.read_bytes()))
    return files
