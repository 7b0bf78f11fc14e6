"""The comparison table: what each run changed, said as the overrides that would ask for it."""

from __future__ import annotations

from pipelines import compare
from pipelines.common import compose_config

import pytest
from omegaconf import OmegaConf

from textrnn.params import flatten


def _params(*overrides: str) -> dict:
    return flatten(OmegaConf.to_container(compose_config(overrides)))


@pytest.mark.parametrize(
    "overrides",
    [
        ("dataset=sst2",),
        ("model=gru", "trainer.seed=7"),
        ("experiment=sst2",),
        ("experiment=sst2", "model=gru"),
        ("dataset=csv", "dataset.files.train.path=data/mine.csv", "dataset.text_column=review"),
        ("model.units=32", "tokenizer.max_tokens=5000"),  # keys in order
    ],
)
def test_changes_are_the_overrides_that_ask_for_them(overrides):
    assert compare.changes(_params(*overrides), _params()) == overrides


def test_no_change_is_none():
    assert compare.changes(_params(), _params()) == ()


@pytest.mark.parametrize(
    ("metrics", "shown"),
    [
        ({"vs_bow_p_value": 0.0312, "vs_bow_log10_p_value": -1.5058}, "0.031"),
        ({"vs_bow_p_value": 0.0, "vs_bow_log10_p_value": -274.238}, "5.8e-275"),
        ({"vs_bow_p_value": 2.5e-5}, "2.5e-5"),  # a run from before the logarithm was recorded
        ({}, "—"),
    ],
)
def test_p_values_read_however_small(metrics, shown):
    assert compare.p_value(metrics) == shown
    against_the_tags = {key.replace("vs_bow", "vs_mft"): value for key, value in metrics.items()}
    assert compare.p_value(against_the_tags, "mft") == shown  # a tagger's, against the most frequent tag
    assert compare.p_value(against_the_tags) == "—"


def test_the_table_keeps_to_the_width_and_wraps_the_changes():
    many = tuple(f"dataset.key_{i}=value_{i}" for i in range(30))
    runs = [
        compare.Row("workspace", (), {"accuracy": 0.8123, "vs_bow_p_value": 0.2}, 38.2),
        compare.Row("long-one", many, {"accuracy": 0.9, "vs_bow_p_value": 1e-9, "vs_bow_log10_p_value": -9}, 4000.0),
        compare.Row("lm", ("task=language_model",), {"perplexity": 179.04}, None),
        compare.Row(
            "pos",
            ("experiment=ud_ewt_pos",),
            {"accuracy": 0.92, "vs_mft_p_value": 7.5e-225, "vs_mft_log10_p_value": -224.126},
            437.0,
        ),
    ]
    text = compare.table(runs, 120)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert lines[0].split() == [
        "experiment", "accuracy", "perplexity", "p", "vs", "bow", "p", "vs", "mft", "train", "time", "changes"
    ]  # fmt: skip
    assert lines[1].split() == ["workspace", "81.23%", "—", "0.200", "—", "38", "s", "—"]
    assert lines[2].split()[:8] == ["long-one", "90.00%", "—", "1.0e-9", "—", "1", "h", "06"]
    assert " ".join(text.split()).count("dataset.key_") == 30  # every change named, over several lines
    assert lines[-2].split() == ["lm", "—", "179.0", "—", "—", "—", "task=language_model"]
    assert lines[-1].split() == ["pos", "92.00%", "—", "—", "7.5e-225", "7", "min", "17", "s", "experiment=ud_ewt_pos"]
