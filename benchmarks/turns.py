"""Measuring ways of training side by side: each in turn, on the pipeline's own data."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pipelines import ingest, tokenize_text

Way = TypeVar("Way")


def measure_in_turns(
    cfg: Any, ways: Mapping[Way, Callable[[], dict[str, float]]], rounds: int
) -> dict[Way, list[dict[str, float]]]:
    """Ingest and tokenize ``cfg``'s dataset into a temporary directory (the pipeline's stages; ``cfg.paths``
    point there), then call each way in turn, ``rounds`` times: each way's measurements."""
    with tempfile.TemporaryDirectory() as workdir:
        cfg.paths.ingested, cfg.paths.tokenized = f"{workdir}/ingested", f"{workdir}/tokenized"
        ingest.main(cfg)
        tokenize_text.main(cfg)
        runs: dict[Way, list[dict[str, float]]] = {way: [] for way in ways}
        for _ in range(rounds):
            for way, measure in ways.items():
                runs[way].append(measure())
                print(way, runs[way][-1], flush=True)
    return runs
