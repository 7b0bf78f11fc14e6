"""dvc.yaml's deps are what each stage imports: a module boundary is a DVC cache boundary.

Each stage's command names its module (`python -m pipelines.<stage>`); the modules it imports from
`pipelines` and `textrnn`, transitively, must each be a dep of that stage — a file, or a directory
holding it. Otherwise editing an imported module leaves the stage's outputs stale.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from pipelines.common import ROOT

import pytest
import yaml

FIRST_PARTY = {"pipelines": ROOT / "pipelines", "textrnn": ROOT / "src" / "textrnn"}


def module_file(name: str, roots: dict[str, Path]) -> Path | None:
    """The file of first-party module ``name`` (a package's ``__init__.py``), or None if not first-party."""
    top, *rest = name.split(".")
    if top not in roots:
        return None
    path = roots[top].joinpath(*rest)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(source: Path, roots: dict[str, Path]) -> Iterator[str]:
    """Module names ``source`` imports; ``from a import b`` yields ``a.b`` too, in case ``b`` is a module."""
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def import_closure(module: str, roots: dict[str, Path]) -> set[Path]:
    """Every first-party file that importing ``module`` loads: the module, what it imports, and their packages."""
    files: set[Path] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py
            path = module_file(".".join(parts[:depth]), roots)
            if path is not None and path not in files:
                files.add(path)
                pending.extend(imported_modules(path, roots))
    return files


def missing_deps(stage: dict, root: Path, roots: dict[str, Path]) -> list[str]:
    """The files the stage's module imports that none of its deps covers."""
    module = stage["cmd"].split("python -m ", 1)[1].split()[0]
    deps = [root / dep for dep in stage.get("deps", [])]
    return sorted(
        str(path.relative_to(root))
        for path in import_closure(module, roots)
        if not any(path == dep or dep in path.parents for dep in deps)
    )


def unimported_deps(stage: dict, root: Path, roots: dict[str, Path]) -> list[str]:
    """The stage's deps that are first-party code none of whose files its module imports."""
    module = stage["cmd"].split("python -m ", 1)[1].split()[0]
    closure = import_closure(module, roots)
    code = [dep for dep in stage.get("deps", []) if any((root / dep).is_relative_to(r) for r in roots.values())]
    return sorted(dep for dep in code if not any(path == root / dep or root / dep in path.parents for path in closure))


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", list(STAGES))
def test_every_module_a_stage_imports_is_one_of_its_deps(name):
    assert missing_deps(STAGES[name], ROOT, FIRST_PARTY) == []


@pytest.mark.parametrize("name", list(STAGES))
def test_every_code_dep_of_a_stage_is_imported_by_it(name):
    """No stale deps either: a module the stage no longer imports would rerun it for nothing."""
    assert unimported_deps(STAGES[name], ROOT, FIRST_PARTY) == []


def test_an_import_without_its_dep_is_caught(tmp_path):
    """The check itself can fail: a stage that imports a module its deps do not list."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "__init__.py").write_text("")
    (tmp_path / "pipelines" / "stage.py").write_text("from pipelines import helper\nimport json\n")
    (tmp_path / "pipelines" / "helper.py").write_text("from textrnn.core import thing\n")
    (tmp_path / "textrnn").mkdir()
    (tmp_path / "textrnn" / "__init__.py").write_text("")
    (tmp_path / "textrnn" / "core.py").write_text("thing = 1\n")
    roots = {"pipelines": tmp_path / "pipelines", "textrnn": tmp_path / "textrnn"}
    stage = {"cmd": "python -m pipelines.stage", "deps": ["pipelines/stage.py", "pipelines/__init__.py", "textrnn"]}
    assert missing_deps(stage, tmp_path, roots) == ["pipelines/helper.py"]
    stage["deps"].append("pipelines/helper.py")
    assert missing_deps(stage, tmp_path, roots) == []
    assert unimported_deps(stage, tmp_path, roots) == []
    (tmp_path / "pipelines" / "stage.py").write_text("import json\n")  # the import goes, the dep stays
    assert unimported_deps(stage, tmp_path, roots) == ["pipelines/helper.py", "textrnn"]
