"""The README and the documentation: short, built, and every command in them run by a test."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.common import ROOT

import yaml

DOCS = ROOT / "docs"
# Commands the README and getting started show that no test here runs as written, and what runs them
ELSEWHERE = {
    "make repro": ".ci/run's set-up and the slow suite's `dvc repro`",
    "make test": ".ci/run",
    "source .venv/bin/activate": "the tests' PATH",
}


def shell_commands(page: Path) -> list[str]:
    """The command lines of ``page``'s ```bash blocks: continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", page.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = " ".join(re.split(r"\s#\s|^#", line)[0].split())
            if command:
                commands.append(command)
    return commands


def test_readme_fits_a_few_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_every_readme_command_is_getting_started_or_run_elsewhere():
    from tests.test_dvc import OWN_DATA

    covered = {*shell_commands(DOCS / "getting-started.md"), *ELSEWHERE, f"dvc exp run {OWN_DATA}"}
    assert set(shell_commands(ROOT / "README.md")) <= covered
    assert shell_commands(DOCS / "getting-started.md")[:2] == ["make repro", "make test"]


def test_the_site_lists_every_page():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = {next(iter(entry.values())) for entry in config["nav"]}
    assert pages == {path.name for path in DOCS.glob("*.md")} | {"configuration.md"}  # generated at build


def test_shell_commands_join_lines_and_drop_comments(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```bash\n# a heading\ndvc exp run -S a=1 \\\n    -S b=2   # two keys\nls\n```\n```text\nno\n```\n")
    assert shell_commands(page) == ["dvc exp run -S a=1 -S b=2", "ls"]
