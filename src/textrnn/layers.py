"""Sequence layers on the cells of :mod:`textrnn.cells`, with the arguments of ``keras.layers.LSTM``.

``LSTM(64, return_sequences=True)`` is ``keras.layers.RNN(LSTMCell(64), return_sequences=True)``:
masks, ``go_backwards``, ``return_state``, ``stateful``, ``unroll`` and ``Bidirectional`` are Keras's
own ``RNN`` layer, and the loop is its ``tf.while_loop`` (which XLA compiles under ``jit_compile``).

How the loop computes a sequence was measured on the 2-core CPU this project targets
(benchmarks/, batch 64, 100 steps, 128 inputs and units): doing the input half ``x_t W + b`` of
all steps as one matmul before the loop ran at 0.75x the per-step loop, because the per-step
``x_t W`` of later steps overlaps with the recurrent chain across ``while_loop`` iterations and
stays in cache, while the hoisted ``[T, B, 4H]`` projection does not. So the loop runs the cell
step by step, as Keras's built-ins do on a CPU.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras

from textrnn import cells

__all__ = ["GRU", "LSTM", "LayerNormLSTM", "PeepholeLSTM", "RecurrentLayer", "SimpleRNN"]


class RecurrentLayer(keras.layers.RNN):
    """A ``keras.layers.RNN`` over one of our cells, built from the cell's arguments.

    Subclasses name their cell in ``cell_class``; the constructor takes the cell's arguments
    (``units``, ``dropout``, ``recurrent_dropout``, …) and the RNN's (``return_sequences``, …),
    like ``keras.layers.LSTM``.
    """

    cell_class: ClassVar[type[cells.RecurrentCell]]

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs: Any,
    ) -> None:
        layer_kwargs = {key: kwargs.pop(key) for key in ("name", "dtype", "trainable", "input_shape") if key in kwargs}
        cell = self.cell_class(units, dtype=layer_kwargs.get("dtype"), name="cell", **kwargs)
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            **layer_kwargs,
        )
        self.units = units

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "dtype", "trainable"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RecurrentLayer:
        config = dict(config)
        config.pop("zero_output_for_mask", None)  # set by Bidirectional after construction, not an argument
        return cls(**config)


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNN(RecurrentLayer):
    """Elman RNN over a sequence; see :class:`textrnn.cells.SimpleRNNCell` for the equations."""

    cell_class = cells.SimpleRNNCell


@keras.saving.register_keras_serializable(package="textrnn")
class LSTM(RecurrentLayer):
    """LSTM over a sequence; see :class:`textrnn.cells.LSTMCell` for the equations."""

    cell_class = cells.LSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM over a sequence; see :class:`textrnn.cells.PeepholeLSTMCell`."""

    cell_class = cells.PeepholeLSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class LayerNormLSTM(RecurrentLayer):
    """Layer-normalised LSTM over a sequence; see :class:`textrnn.cells.LayerNormLSTMCell`."""

    cell_class = cells.LayerNormLSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class GRU(RecurrentLayer):
    """GRU (reset after) over a sequence; see :class:`textrnn.cells.GRUCell` for the equations."""

    cell_class = cells.GRUCell
