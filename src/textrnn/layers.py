"""Sequence layers on the cells of :mod:`textrnn.cells`.

``LSTM(64)`` here is ``keras.layers.RNN(LSTMCell(64))`` with one change to how the whole sequence
is computed: the input half of every step, ``x_t W + b``, is done for all time steps at once as
one ``[B·T, D] × [D, gates·H]`` matmul before the loop, so the loop body holds only the recurrent
matmul ``h_{t-1} U`` and the gate arithmetic. Backpropagation through time then also does the
input-weight gradient as one large matmul. The numbers are those of the cell (tested).

Everything else — masks, ``go_backwards``, ``return_sequences``, ``return_state``, ``stateful``,
``unroll``, ``Bidirectional`` — is Keras's own ``RNN`` layer. The loop is a ``tf.while_loop``,
which XLA compiles (``jit_compile=True``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
from keras import ops

# The loop primitive keras.layers.RNN runs (TensorFlow backend: a tf.while_loop); not re-exported.
from keras.src.backend import rnn as backend_rnn

from textrnn import cells

__all__ = ["GRU", "LSTM", "LayerNormLSTM", "PeepholeLSTM", "RecurrentLayer", "SimpleRNN"]


class RecurrentLayer(keras.layers.RNN):
    """A ``keras.layers.RNN`` over one of our cells, with the input projection hoisted out of the loop.

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

    def inner_loop(self, sequences: Any, initial_state: Any, mask: Any, training: bool = False) -> Any:
        cell = self.cell
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        # Time-major before projecting: the transpose moves D-wide inputs, not gates·H-wide ones.
        inputs = ops.transpose(cell.drop_inputs(sequences, training), (1, 0, 2))
        time_steps, batch = ops.shape(inputs)[0], ops.shape(inputs)[1]
        flat = ops.reshape(inputs, (-1, inputs.shape[-1]))
        projected = cell.project_inputs(flat)  # one [T·B, D] x [D, gates·H] matmul
        projected = ops.reshape(projected, (time_steps, batch, projected.shape[-1]))

        def step(projected_t: Any, states: Any) -> tuple[Any, list[Any]]:
            return cell.step(projected_t, states, training=training)

        last_output, outputs, states = backend_rnn(
            step,
            projected,
            list(initial_state),
            go_backwards=self.go_backwards,
            mask=None if mask is None else ops.transpose(mask, (1, 0)),
            unroll=self.unroll,
            input_length=sequences.shape[1],
            time_major=True,
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )
        return last_output, ops.transpose(outputs, (1, 0, 2)), states

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
        for key in ("zero_output_for_mask",):
            config.pop(key, None)
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
