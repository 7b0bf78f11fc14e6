"""The library's layers, as imports: the cells and layers stand on Keras alone; the library takes
values, not configs (no Hydra, no OmegaConf, nothing of `pipelines`); MLflow stays in the modules
that are about it."""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines.common import ROOT

import pytest

LIBRARY = ROOT / "src" / "textrnn"
MLFLOW_MODULES = {"tracking.py", "mlflow_model.py"}  # the runs, and the pyfunc flavour of the export


def imports(path: Path) -> set[str]:
    """The top-level package of every module ``path`` imports (relative imports as ``textrnn``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("textrnn" if node.level else (node.module or "").split(".")[0])
    return found


MODULES = sorted(LIBRARY.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_the_library_takes_values_not_configs(path):
    assert not imports(path) & {"pipelines", "hydra", "omegaconf", "dvc"}
    if path.name not in MLFLOW_MODULES:
        assert "mlflow" not in imports(path)


def test_cells_and_layers_stand_on_keras_alone():
    assert imports(LIBRARY / "cells.py") == {"__future__", "typing", "keras"}
    assert imports(LIBRARY / "layers.py") == {"__future__", "typing", "keras", "textrnn"}
    of_the_library = [
        alias.name
        for node in ast.walk(ast.parse((LIBRARY / "layers.py").read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "textrnn"
        for alias in node.names
    ]
    assert of_the_library == ["cells"]


def test_imports_sees_what_a_module_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os.path\nfrom hydra import compose\nfrom . import cells\nimport mlflow as m\n")
    assert imports(module) == {"os", "hydra", "textrnn", "mlflow"}
