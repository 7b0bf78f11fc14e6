"""The gate view reads the trained cell's gates: checked against the equations, written out by hand."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from textrnn import cli, gates, models

TEXTRNN = Path(sys.executable).parent / "textrnn"
TOKENS = [3, 7, 5]  # a 3-token text


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def lstm_by_hand(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> dict[str, list]:
    """i, f, o, c, h per step from the textbook equations (gate blocks i, f, C̃, o)."""
    units = recurrent.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    out: dict[str, list] = {name: [] for name in "ifoch"}
    for x_t in x:
        z = x_t @ kernel + h @ recurrent + bias
        i, f, o = sigmoid(z[:units]), sigmoid(z[units : 2 * units]), sigmoid(z[3 * units :])
        c = f * c + i * np.tanh(z[2 * units : 3 * units])
        h = o * np.tanh(c)
        for name, value in zip("ifoch", (i, f, o, c, h), strict=True):
            out[name].append(value)
    return out


def gru_by_hand(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> dict[str, list]:
    """z, r, h per step, reset after (bias row 0 for x W, row 1 for h U)."""
    units = recurrent.shape[0]
    h = np.zeros(units)
    out: dict[str, list] = {"z": [], "r": [], "h": []}
    for x_t in x:
        xz, xr, xh = np.split(x_t @ kernel + bias[0], 3)
        hz, hr, hh = np.split(h @ recurrent + bias[1], 3)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
        for name, value in zip("zrh", (z, r, h), strict=True):
            out[name].append(value)
    return out


@pytest.mark.parametrize(("family", "by_hand"), [("lstm", lstm_by_hand), ("gru", gru_by_hand)])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidirectional"])
def test_trace_is_the_cells_equations_on_three_tokens(family, by_hand, bidirectional):
    keras.utils.set_random_seed(0)
    model = models.build_classifier(
        vocab_size=10, num_classes=2, family=family, embedding_dim=5, units=4, bidirectional=bidirectional
    )
    for weight in model.trainable_weights:  # random biases too, so a bias in the wrong place shows
        weight.assign(np.random.default_rng(len(weight.path)).normal(0, 0.7, weight.shape))
    embedded = model.get_layer("embedding").embeddings.numpy()[TOKENS]
    traces = gates.trace(model, TOKENS)
    assert [t.direction for t in traces] == (["forward", "backward"] if bidirectional else ["forward"])
    for trace, layer in zip(traces, gates.recurrent_layers(model), strict=True):
        cell = layer.cell
        reading_order = embedded[::-1] if trace.direction == "backward" else embedded
        expected = by_hand(reading_order, cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy())
        assert set(trace.values) == set(expected)
        for name, steps in expected.items():
            values = np.stack(steps[::-1] if trace.direction == "backward" else steps)  # row t = after token t
            np.testing.assert_allclose(trace.values[name], values, atol=1e-5, err_msg=f"{trace.direction} {name}")


def test_trace_ends_in_the_layers_own_final_state():
    keras.utils.set_random_seed(1)
    model = models.build_classifier(vocab_size=10, num_classes=2, family="lstm", embedding_dim=5, units=4)
    [layer] = gates.recurrent_layers(model)
    final = keras.Model(model.input, layer.output)(np.asarray([TOKENS]))
    np.testing.assert_allclose(gates.trace(model, TOKENS)[0].values["h"][-1], final[0], atol=1e-6)


def test_trace_refuses_padding_and_empty_texts():
    model = models.build_classifier(vocab_size=10, num_classes=2, units=4)
    with pytest.raises(ValueError, match="token_ids is empty"):
        gates.trace(model, [])
    with pytest.raises(ValueError, match="0 is padding"):
        gates.trace(model, [3, 0])
    with pytest.raises(ValueError, match="no textrnn recurrent layer"):
        gates.trace(models.build_bow_baseline(vocab_size=10, num_classes=2), [3])


def test_the_modules_example_runs():
    failures, _ = doctest.testmod(gates, extraglobs={"models": models}, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_gates_command_draws_the_trained_models_gates(pipeline_run, tmp_path, capsys):
    cfg, _ = pipeline_run
    model, directory = str(Path(cfg.paths.models) / "model.keras"), cfg.paths.tokenized
    view = tmp_path / "view.png"
    args = [str(TEXTRNN), "gates", "--model", model, "--tokenized", directory, "--output", str(view)]
    result = subprocess.run([*args, "the film was great"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == f"{view}: gates over 4 tokens\n"
    assert view.read_bytes().startswith(b"\x89PNG")
    # without --output: under the project's reports/ (git-ignored), never loose in the checkout's root
    default = subprocess.run([*args[:-2], "the film"], cwd=tmp_path, capture_output=True, text=True)
    assert default.stdout == "reports/gates.png: gates over 2 tokens\n", default.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "view.png"]
    assert (tmp_path / "reports" / "gates.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(SystemExit) as exited:  # the same entry point, in this process: no second TensorFlow start-up
        cli.main([*args[1:], "?!"])
    assert exited.value.code == 2
    assert (
        capsys.readouterr().err
        == "textrnn: error: TEXT '?!': no tokens in it after tokenization; give a text with words\n"
    )
