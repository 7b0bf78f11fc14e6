"""The gate view: what a trained classifier's first recurrent layer does, token by token.

:func:`trace` runs the layer's own cell over one text, a step at a time, and keeps every gate
and state that :meth:`textrnn.cells.RecurrentCell.step_values` names — the LSTM's input, forget
and output gates and cell state, the GRU's update and reset gates — so the picture is the trained
cell's arithmetic, not a re-derivation of it. :func:`plot` draws them as heatmaps (units × tokens)
with the norm of each state per token.

Example:

    >>> model = models.build_classifier(vocab_size=20, num_classes=2, units=4, bidirectional=True)
    >>> [(t.direction, sorted(t.values)) for t in trace(model, [5, 6, 7])]
    [('forward', ['c', 'f', 'h', 'i', 'o']), ('backward', ['c', 'f', 'h', 'i', 'o'])]
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from textrnn.atomic import write_bytes
from textrnn.layers import RecurrentLayer


@dataclass(frozen=True)
class Trace:
    """One direction of a recurrent layer over one text.

    ``values`` maps each gate and state name (the cell's ``gate_names`` then ``state_names``) to a
    ``[tokens, units]`` array, row ``t`` being its value after reading token ``t`` — also for the
    backward direction, which reads the text from its end.
    """

    direction: str
    cell: str
    gate_names: tuple[str, ...]
    state_names: tuple[str, ...]
    values: dict[str, np.ndarray]


def recurrent_layers(model: keras.Model) -> list[RecurrentLayer]:
    """The first recurrent layer of ``model``: itself, or its forward and backward copies if bidirectional."""
    return _first_recurrent(model)[1]


def _first_recurrent(model: keras.Model) -> tuple[keras.layers.Layer, list[RecurrentLayer]]:
    """The first recurrent layer as the model calls it (a Bidirectional wrapper, or the layer) and its directions."""
    for layer in model.layers:
        if isinstance(layer, RecurrentLayer):
            return layer, [layer]
        if isinstance(layer, keras.layers.Bidirectional) and isinstance(layer.forward_layer, RecurrentLayer):
            return layer, [layer.forward_layer, layer.backward_layer]
    raise ValueError(f"model {model.name!r} has no textrnn recurrent layer (textrnn.layers) to trace")


def trace(model: keras.Model, token_ids: Sequence[int]) -> list[Trace]:
    """The gates and states of ``model``'s first recurrent layer over one text's ``token_ids``.

    ``model`` is a classifier as :func:`textrnn.models.build_classifier` builds (dropout inactive);
    one :class:`Trace` per direction, forward first.
    """
    if len(token_ids) == 0:
        raise ValueError("token_ids is empty: the text has no tokens to trace")
    if min(token_ids) < 1:
        raise ValueError(f"token_ids must be positive (0 is padding), got {list(token_ids)}")
    outer, directions = _first_recurrent(model)
    sequences = keras.tree.flatten(outer.input)[0]  # a loaded model lists the mask Keras passed it, too
    inputs = keras.Model(model.input, sequences)(np.asarray([token_ids], dtype="int32"), training=False)
    return [_run_cell(layer, keras.ops.convert_to_numpy(inputs)[0]) for layer in directions]


def _run_cell(layer: RecurrentLayer, inputs: np.ndarray) -> Trace:
    cell = layer.cell
    names = (*cell.gate_names, *cell.state_names)
    steps = range(len(inputs) - 1, -1, -1) if layer.go_backwards else range(len(inputs))
    states = cell.get_initial_state(1)
    rows: dict[int, dict[str, np.ndarray]] = {}
    for t in steps:
        values = cell.step_values(cell.project_inputs(inputs[t : t + 1]), states)
        states = [values[name] for name in cell.state_names]
        rows[t] = {name: keras.ops.convert_to_numpy(values[name])[0] for name in names}
    return Trace(
        direction="backward" if layer.go_backwards else "forward",
        cell=type(cell).__name__,
        gate_names=tuple(cell.gate_names),
        state_names=tuple(cell.state_names),
        values={name: np.stack([rows[t][name] for t in range(len(inputs))]) for name in names},
    )


def plot(traces: Sequence[Trace], tokens: Sequence[str], path: str | Path, title: str = "") -> None:
    """A PNG at ``path``: per direction, a heatmap (units × tokens) of each gate, then ‖state‖ per token."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    panels = [(t, name) for t in traces for name in (*t.gate_names, "norms")]
    heights = [1.0 if name == "norms" else 2.0 for _, name in panels]
    figure, axes = plt.subplots(
        len(panels), 1, figsize=(max(6.0, 0.45 * len(tokens) + 2.5), 1.1 * sum(heights) + 1.0),
        height_ratios=heights, squeeze=False, layout="constrained",
    )  # fmt: skip
    image = None
    for axis, (trace_, name) in zip(axes[:, 0], panels, strict=True):
        if name == "norms":
            for state in trace_.state_names:
                axis.plot(np.linalg.norm(trace_.values[state], axis=1), marker="o", label=f"‖{state}_t‖")
            axis.legend(loc="upper left", fontsize="small")
            axis.set_xlim(-0.5, len(tokens) - 0.5)
        else:
            image = axis.imshow(trace_.values[name].T, aspect="auto", interpolation="nearest", vmin=0, vmax=1)
            axis.set_ylabel("unit")
        axis.set_title(
            f"{trace_.direction} {trace_.cell}: {_GATE_TITLES.get(name, name)}", fontsize="small", loc="left"
        )
        axis.set_xticks(range(len(tokens)), tokens if axis is axes[-1, 0] else [""] * len(tokens), rotation=60)
    if image is not None:  # one scale for every gate, beside all panels so that the token columns line up
        figure.colorbar(image, ax=axes[:, 0], pad=0.01, fraction=0.03, label="gate value")
    if title:
        figure.suptitle(title, fontsize="medium")
    image_bytes = io.BytesIO()
    figure.savefig(image_bytes, format="png", dpi=100)
    plt.close(figure)
    write_bytes(path, image_bytes.getvalue())


_GATE_TITLES = {
    "i": "input gate i_t",
    "f": "forget gate f_t",
    "o": "output gate o_t",
    "z": "update gate z_t",
    "r": "reset gate r_t",
    "norms": "state norms",
}
