"""Experiments side by side, within the terminal's width: what each changed, its test score, its
paired p-value against the bag of words and its training time.

    python -m pipelines.compare            # the workspace, its commit and the commit's experiments
    python -m pipelines.compare -A         # any option of `dvc exp show` picks the experiments

What changed is said the way it was asked for: where a config group's choice explains the params
(`dataset=sst2`, not the twenty dataset keys it sets), the choice, then each key that still differs
(`trainer.seed=7`); an `experiment=` preset likewise. The table is built on `dvc exp show --json`
(the params and metrics DVC recorded) and each run's plots/training.csv (its epochs' seconds);
`dvc exp show` shows every column.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import shutil
import subprocess
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.common import ROOT, cli, compose_config, config_groups

from omegaconf import OmegaConf

from textrnn.errors import TextrnnError
from textrnn.params import flatten

IGNORED = ("conf_digest",)  # which conf/ a params.yaml came from: differs whenever conf/ does
METRICS = "metrics/evaluate.json"


@dataclass(frozen=True)
class Row:
    """One run: its name, what it changed, its test metrics and training seconds (None: unknown)."""

    name: str
    changes: tuple[str, ...]
    metrics: Mapping[str, float]
    seconds: float | None


def differences(params: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    """The flat keys whose value in ``params`` is not the one in ``reference`` (``None`` where removed)."""
    return {
        key: params.get(key)
        for key in sorted(set(params) | set(reference))
        if key not in IGNORED and params.get(key) != reference.get(key)
    }


@functools.cache
def composed(overrides: tuple[str, ...]) -> dict[str, Any] | None:
    """``conf/`` composed with ``overrides``, flat; None where conf/ refuses them."""
    try:
        return flatten(OmegaConf.to_container(compose_config(overrides)))
    except TextrnnError:
        return None


def changes(params: Mapping[str, Any], reference: Mapping[str, Any]) -> tuple[str, ...]:
    """What ``params`` changed from ``reference``, as the fewest overrides of conf/ that say it: group
    choices (and an ``experiment=`` preset) where they explain more keys than they add, then the keys
    that still differ, in order."""
    changed = differences(params, reference)
    if not changed:
        return ()
    groups = config_groups()
    presets = [()] + [(f"experiment={choice}",) for choice in groups.pop("experiment", [])]
    described = []
    for preset in presets:
        rest = changed
        if preset:
            start = composed(preset)
            if start is None or len(rest := differences(params, start)) >= len(changed):
                continue  # a preset conf/ refuses, or one that explains none of the changes
        overrides, rest = _choices(params, preset, rest, groups)
        described.append((*overrides, *(f"{key}={_value(value)}" for key, value in rest.items())))
    return min(described, key=len)  # the first of the shortest: no preset where one says no less


def _choices(
    params: Mapping[str, Any], overrides: tuple[str, ...], rest: dict[str, Any], groups: Mapping[str, list[str]]
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """``overrides`` extended by the group choices that leave fewer keys of ``params`` differing than
    ``rest``; the keys that still differ."""
    for group, options in groups.items():
        if not any(key.startswith(f"{group}.") for key in rest):
            continue
        chosen = None
        for option in options:
            candidate = composed((*overrides, f"{group}={option}"))
            if candidate is not None and len(left := differences(params, candidate)) < len(rest):
                chosen, rest = f"{group}={option}", left
        if chosen:
            overrides = (*overrides, chosen)
    return overrides, rest


def _value(value: Any) -> str:
    return "null" if value is None else json.dumps(value) if isinstance(value, list | dict) else str(value)


def experiments(shown: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """From `dvc exp show --json`: each run's name, revision, data, and the data of the commit it
    started from (the workspace's: the commit it is on)."""
    commits = [c for c in shown if c["rev"] != "workspace"]
    for commit in shown:
        data = commit.get("data") or {}
        if commit["rev"] == "workspace":
            base = commits[0].get("data") if commits else None
            yield "workspace", "workspace", data, base or data
            continue
        yield commit.get("name") or commit["rev"][:7], commit["rev"], data, data
        for run in commit.get("experiments") or []:
            for rev in run.get("revs") or []:
                if rev.get("data") and not rev.get("error"):
                    yield rev.get("name") or rev["rev"][:7], rev["rev"], rev["data"], data


def training_seconds(rev: str) -> float | None:
    """The sum of the epochs' seconds in ``rev``'s plots/training.csv (the file, for the workspace)."""
    if rev == "workspace":
        path = ROOT / "plots" / "training.csv"
        text = path.read_text() if path.is_file() else None
    else:
        shown = subprocess.run(["git", "show", f"{rev}:plots/training.csv"], cwd=ROOT, capture_output=True, text=True)
        text = shown.stdout if shown.returncode == 0 else None
    rows = list(csv.DictReader(io.StringIO(text))) if text else []
    if not rows or "epoch_seconds" not in rows[0]:
        return None
    return sum(float(row["epoch_seconds"]) for row in rows)


def rows(shown: Sequence[Mapping[str, Any]]) -> list[Row]:
    """The runs of `dvc exp show --json` output ``shown``."""
    result = []
    for name, rev, data, base in experiments(shown):
        params = flatten((data.get("params") or {}).get("params.yaml", {}).get("data", {}))
        reference = flatten((base.get("params") or {}).get("params.yaml", {}).get("data", {}))
        metrics = (data.get("metrics") or {}).get(METRICS, {}).get("data", {})
        result.append(Row(name, changes(params, reference), metrics, training_seconds(rev)))
    return result


def p_value(metrics: Mapping[str, float], against: str = "bow") -> str:
    """The paired p-value against a baseline (``bow``: the bag of words, ``mft``: the most frequent tag),
    readable however small: 0.031, 2.9e-275."""
    if f"vs_{against}_log10_p_value" in metrics:
        exponent = metrics[f"vs_{against}_log10_p_value"]
    elif f"vs_{against}_p_value" in metrics:
        p = metrics[f"vs_{against}_p_value"]
        exponent = math.log10(p) if p > 0 else -math.inf
    else:
        return "—"
    if exponent >= -3:
        return f"{10**exponent:.3f}"
    whole = math.floor(exponent)
    return f"{10 ** (exponent - whole):.1f}e{whole}" if math.isfinite(whole) else "0"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min" if hours else f"{minute} min {second:02d} s" if minute else f"{second} s"


# (header, the metric it shows, its cell) for each metric column, shown where some run has the metric
COLUMNS = (
    ("accuracy", "accuracy", lambda m: f"{m['accuracy']:.2%}"),
    ("perplexity", "perplexity", lambda m: f"{m['perplexity']:.1f}"),
    ("p vs bow", "vs_bow_p_value", p_value),
    ("p vs mft", "vs_mft_p_value", lambda m: p_value(m, "mft")),  # a tagger's, against the most frequent tag
)


def table(runs: Sequence[Row], width: int) -> str:
    """``runs`` as a table ``width`` characters wide at most; the changes wrap onto further lines."""
    shown = [column for column in COLUMNS if any(column[1] in run.metrics for run in runs)]
    headers = ["experiment", *(header for header, _, _ in shown), "train time", "changes"]
    cells = [
        [
            run.name,
            *(cell(run.metrics) if metric in run.metrics else "—" for _, metric, cell in shown),
            duration(run.seconds),
            " ".join(run.changes) or "—",
        ]
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [headers, *cells]) for i in range(len(headers) - 1)]
    indent = sum(widths) + 2 * len(widths)
    room = max(width - indent, 20)
    lines = []
    for row in [headers, *cells]:
        first, *rest = textwrap.wrap(row[-1], room, break_on_hyphens=False) or [""]
        columns = [row[0].ljust(widths[0]), *(v.rjust(w) for v, w in zip(row[1:-1], widths[1:], strict=True))]
        lines.append("  ".join([*columns, first]))
        lines.extend(" " * indent + more for more in rest)
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str]) -> None:
    dvc = shutil.which("dvc")
    if dvc is None:
        raise TextrnnError("dvc: not found on PATH; run `make setup` and use .venv/bin")
    shown = subprocess.run([dvc, "exp", "show", "--json", *argv], cwd=ROOT, capture_output=True, text=True)
    if shown.returncode != 0:
        raise TextrnnError(f"dvc exp show {' '.join(argv)}: {' '.join(shown.stderr.split())}")
    width = shutil.get_terminal_size((120, 24)).columns
    print(table(rows(json.loads(shown.stdout)), width))


if __name__ == "__main__":
    cli(main, __doc__)
