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

import inspect
from typing import Any, ClassVar

import keras

from textrnn import cells

__all__ = ["GRU", "LSTM", "LayerNormLSTM", "PeepholeLSTM", "RecurrentLayer", "SimpleRNN"]


LAYER_ARGUMENTS = ("name", "dtype", "trainable", "autocast", "activity_regularizer", "input_shape")


class RecurrentLayer(keras.layers.RNN):
    """A ``keras.layers.RNN`` over one of our cells, built from the cell's arguments.

    Subclasses name their cell in ``cell_class``. As with ``keras.layers.LSTM``, the constructor
    takes the RNN's arguments (below), a Keras layer's (``name``, ``dtype``, ``trainable``,
    ``activity_regularizer``, applied to the layer's output, not to every step) and everything
    else for the cell (``units``, ``dropout``, ``kernel_initializer``, …); each of the cell's
    arguments is also a read-only property of the layer (``LSTM(8, dropout=0.1).dropout``).

    Args:
        units: size of the hidden state.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments, and the cell's.

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.
    """

    cell_class: ClassVar[type[cells.RecurrentCell]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _cell_arguments(cls.cell_class):
            if not hasattr(cls, name):
                forwarded = property(lambda self, name=name: getattr(self.cell, name), doc=f"The cell's {name}.")
                setattr(cls, name, forwarded)

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        layer_kwargs = {key: kwargs.pop(key) for key in LAYER_ARGUMENTS if key in kwargs}
        cell = self.cell_class(units, dtype=layer_kwargs.get("dtype"), name="cell", **kwargs)
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **layer_kwargs,
        )
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "dtype", "trainable"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RecurrentLayer:
        return cls(**config)


def _cell_arguments(cell_class: type) -> list[str]:
    """The named constructor arguments of ``cell_class`` and of the cells it extends."""
    names: list[str] = []
    for klass in cell_class.__mro__:
        if issubclass(klass, cells.RecurrentCell) and "__init__" in vars(klass):
            parameters = inspect.signature(klass.__init__).parameters.values()
            names += [p.name for p in parameters if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]
    return list(dict.fromkeys(names))


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNN(RecurrentLayer):
    """Elman RNN over a sequence; see :class:`textrnn.cells.SimpleRNNCell` for the equations.

    Example:

    >>> tuple(SimpleRNN(4, return_sequences=True)(np.ones((3, 5, 8))).shape)
    (3, 5, 4)
    """

    cell_class = cells.SimpleRNNCell


@keras.saving.register_keras_serializable(package="textrnn")
class LSTM(RecurrentLayer):
    """LSTM over a sequence; see :class:`textrnn.cells.LSTMCell` for the equations.

    Example:

    >>> layer = LSTM(4, dropout=0.1, kernel_constraint="non_neg")
    >>> tuple(layer(np.ones((3, 5, 8))).shape), layer.dropout
    ((3, 4), 0.1)
    >>> tuple(keras.layers.Bidirectional(LSTM(4))(np.ones((3, 5, 8))).shape)
    (3, 8)
    """

    cell_class = cells.LSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM over a sequence; see :class:`textrnn.cells.PeepholeLSTMCell`.

    Example:

    >>> tuple(PeepholeLSTM(4, peephole_initializer="zeros")(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    cell_class = cells.PeepholeLSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class LayerNormLSTM(RecurrentLayer):
    """Layer-normalised LSTM over a sequence; see :class:`textrnn.cells.LayerNormLSTMCell`.

    Example:

    >>> tuple(LayerNormLSTM(4, norm_epsilon=1e-5)(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    cell_class = cells.LayerNormLSTMCell


@keras.saving.register_keras_serializable(package="textrnn")
class GRU(RecurrentLayer):
    """GRU (reset after) over a sequence; see :class:`textrnn.cells.GRUCell` for the equations.

    Example:

    >>> tuple(GRU(4, return_state=True)(np.ones((3, 5, 8)))[1].shape)
    (3, 4)
    """

    cell_class = cells.GRUCell
