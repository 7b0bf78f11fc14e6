"""Every named choice exists once, in textrnn/choices.py: a copy of one in the library or the pipeline fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pipelines.common import ROOT

import pytest

from textrnn import choices

CHOICES = {name: frozenset(value) for name, value in vars(choices).items() if name.isupper()}
SOURCES = sorted(path for root in ("src/textrnn", "pipelines") for path in (ROOT / root).rglob("*.py"))


def string_collections(source: str) -> Iterator[tuple[int, frozenset[str]]]:
    """Each literal tuple, list or set of two or more strings, and each ``Enum("Name", "a b c")``'s names."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
            if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                yield node.lineno, frozenset(e.value for e in node.elts)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Enum" and len(node.args) == 2:
            names = node.args[1]
            if isinstance(names, ast.Constant) and isinstance(names.value, str):
                yield node.lineno, frozenset(names.value.replace(",", " ").split())


def copies(source: str) -> list[str]:
    """``line: NAME`` for each collection that is a choice list, or three or more of one's names."""
    return [
        f"{line}: {name}"
        for line, strings in string_collections(source)
        for name, choice in CHOICES.items()
        if strings == choice or (len(strings) >= 3 and strings <= choice)
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_second_copy_of_a_choice_list(path):
    if path == ROOT / "src/textrnn/choices.py":
        assert {name for name, _ in CHOICES.items()} and all(len(c) >= 2 for c in CHOICES.values())
        return
    assert copies(path.read_text()) == []


def test_a_copy_is_caught():
    assert copies('POOLINGS = ("last", "mean", "max", "attention")\n') == ["1: POOLINGS"]
    assert copies('Schedule = Enum("Schedule", "constant warmup_cosine reduce_on_plateau")') == ["1: SCHEDULES"]
    assert copies('if family in ("lstm", "gru", "simple_rnn"): ...') == ["1: FAMILIES"]
    assert copies('if fmt in ("csv", "tsv"): ...') == []  # two of three: a branch on some of them, not a copy
