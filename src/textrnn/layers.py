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

from typing import Any

import keras

from textrnn import cells

__all__ = ["GRU", "LSTM", "LayerNormLSTM", "PeepholeLSTM", "RecurrentLayer", "SimpleRNN"]


class RecurrentLayer(keras.layers.RNN):
    """A ``keras.layers.RNN`` over one of our cells: what the layers below share.

    Each layer's constructor takes its cell's arguments and the RNN's, as ``keras.layers.LSTM``
    does, builds the cell and hands it here; the cell's arguments are also the layer's read-only
    properties (``LSTM(8, dropout=0.1).dropout``) and its config's keys.

    Args:
        cell: the cell run at every step.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask:
            ``keras.layers.RNN``'s.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``,
            ``activity_regularizer``).
    """

    def __init__(
        self,
        cell: cells.RecurrentCell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        self.input_spec = keras.layers.InputSpec(ndim=3)

    @property
    def units(self) -> Any:
        """Size of the hidden state."""
        return self.cell.units

    @property
    def activation(self) -> Any:
        """Of the state (or candidate)."""
        return self.cell.activation

    @property
    def use_bias(self) -> Any:
        """Whether the cell has a bias."""
        return self.cell.use_bias

    @property
    def kernel_initializer(self) -> Any:
        """Of the input weights ``kernel``."""
        return self.cell.kernel_initializer

    @property
    def recurrent_initializer(self) -> Any:
        """Of ``recurrent_kernel``."""
        return self.cell.recurrent_initializer

    @property
    def bias_initializer(self) -> Any:
        """Of ``bias``."""
        return self.cell.bias_initializer

    @property
    def kernel_regularizer(self) -> Any:
        """Penalty on ``kernel``."""
        return self.cell.kernel_regularizer

    @property
    def recurrent_regularizer(self) -> Any:
        """Penalty on ``recurrent_kernel``."""
        return self.cell.recurrent_regularizer

    @property
    def bias_regularizer(self) -> Any:
        """Penalty on ``bias``."""
        return self.cell.bias_regularizer

    @property
    def kernel_constraint(self) -> Any:
        """Applied to ``kernel`` after each update."""
        return self.cell.kernel_constraint

    @property
    def recurrent_constraint(self) -> Any:
        """Applied to ``recurrent_kernel`` after each update."""
        return self.cell.recurrent_constraint

    @property
    def bias_constraint(self) -> Any:
        """Applied to ``bias`` after each update."""
        return self.cell.bias_constraint

    @property
    def dropout(self) -> Any:
        """Fraction of the input units dropped."""
        return self.cell.dropout

    @property
    def recurrent_dropout(self) -> Any:
        """Fraction of the previous state's units dropped."""
        return self.cell.recurrent_dropout

    @property
    def seed(self) -> Any:
        """Of the dropout masks."""
        return self.cell.seed

    def get_config(self) -> dict[str, Any]:
        """The RNN's config with the cell's arguments in place of the cell: the constructor's arguments."""
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "dtype", "trainable"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RecurrentLayer:
        return cls(**config)


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNN(RecurrentLayer):
    """Elman RNN over a sequence; see :class:`textrnn.cells.SimpleRNNCell` for the equations.

    Args:
        units: size H of the hidden state.
        output_units: size O of the output projection y_t = W_hy h_t; ``None`` outputs h_t.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights), ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights.
        activity_regularizer: a penalty on the layer's output (not on every step).
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each update.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Example:

    >>> tuple(SimpleRNN(4, return_sequences=True)(np.ones((3, 5, 8))).shape)
    (3, 5, 4)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        output_units: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = cells.SimpleRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            output_units=output_units,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="cell",
        )
        RecurrentLayer.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def output_units(self) -> Any:
        """Size of the output projection y_t = W_hy h_t (``None``: h_t itself)."""
        return self.cell.output_units


@keras.saving.register_keras_serializable(package="textrnn")
class LSTM(RecurrentLayer):
    """LSTM over a sequence; see :class:`textrnn.cells.LSTMCell` for the equations.

    Args:
        units: size H of the hidden and cell states.
        recurrent_activation: of the gates; default ``sigmoid``.
        unit_forget_bias: start the forget gate's bias at 1.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights), ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights.
        activity_regularizer: a penalty on the layer's output (not on every step).
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each update.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Example:

    >>> layer = LSTM(4, dropout=0.1, kernel_constraint="non_neg")
    >>> tuple(layer(np.ones((3, 5, 8))).shape), layer.dropout
    ((3, 4), 0.1)
    >>> tuple(keras.layers.Bidirectional(LSTM(4))(np.ones((3, 5, 8))).shape)
    (3, 8)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = cells.LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            unit_forget_bias=unit_forget_bias,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="cell",
        )
        RecurrentLayer.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def recurrent_activation(self) -> Any:
        """Of the gates."""
        return self.cell.recurrent_activation

    @property
    def unit_forget_bias(self) -> Any:
        """Whether the forget gate's bias starts at 1."""
        return self.cell.unit_forget_bias


@keras.saving.register_keras_serializable(package="textrnn")
class PeepholeLSTM(LSTM):
    """Peephole LSTM over a sequence; see :class:`textrnn.cells.PeepholeLSTMCell` for the equations.

    Args:
        units: size H of the hidden and cell states.
        recurrent_activation: of the gates; default ``sigmoid``.
        unit_forget_bias: start the forget gate's bias at 1.
        peephole_initializer, peephole_regularizer, peephole_constraint: of ``peephole_kernel``.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights), ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights.
        activity_regularizer: a penalty on the layer's output (not on every step).
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each update.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Example:

    >>> tuple(PeepholeLSTM(4, peephole_initializer="zeros")(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        peephole_initializer: Any = "glorot_uniform",
        peephole_regularizer: Any = None,
        peephole_constraint: Any = None,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = cells.PeepholeLSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            unit_forget_bias=unit_forget_bias,
            peephole_initializer=peephole_initializer,
            peephole_regularizer=peephole_regularizer,
            peephole_constraint=peephole_constraint,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="cell",
        )
        RecurrentLayer.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def peephole_initializer(self) -> Any:
        """Of ``peephole_kernel``."""
        return self.cell.peephole_initializer

    @property
    def peephole_regularizer(self) -> Any:
        """Penalty on ``peephole_kernel``."""
        return self.cell.peephole_regularizer

    @property
    def peephole_constraint(self) -> Any:
        """Applied to ``peephole_kernel`` after each update."""
        return self.cell.peephole_constraint


@keras.saving.register_keras_serializable(package="textrnn")
class LayerNormLSTM(LSTM):
    """Layer-normalised LSTM over a sequence; see :class:`textrnn.cells.LayerNormLSTMCell` for the equations.

    Args:
        units: size H of the hidden and cell states.
        recurrent_activation: of the gates; default ``sigmoid``.
        unit_forget_bias: start the forget gate's bias at 1.
        norm_epsilon: the normalisations' epsilon.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights), ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights.
        activity_regularizer: a penalty on the layer's output (not on every step).
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each update.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Example:

    >>> tuple(LayerNormLSTM(4, norm_epsilon=1e-5)(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        norm_epsilon: float = 1e-3,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = cells.LayerNormLSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            unit_forget_bias=unit_forget_bias,
            norm_epsilon=norm_epsilon,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="cell",
        )
        RecurrentLayer.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def norm_epsilon(self) -> Any:
        """The normalisations' epsilon."""
        return self.cell.norm_epsilon


@keras.saving.register_keras_serializable(package="textrnn")
class GRU(RecurrentLayer):
    """GRU (reset after) over a sequence; see :class:`textrnn.cells.GRUCell` for the equations.

    Args:
        units: size H of the hidden state.
        recurrent_activation: of the gates z and r; default ``sigmoid``.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights), ``recurrent_kernel`` and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights.
        activity_regularizer: a penalty on the layer's output (not on every step).
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each update.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.
        return_sequences: the output of every step (``[batch, time, units]``), not the last only.
        return_state: also return the final state(s).
        go_backwards: read the sequence from its end.
        stateful: carry the final state of batch ``i`` over as the initial state of batch ``i``'s
            successor.
        unroll: unroll the loop (short sequences only).
        zero_output_for_mask: a masked step outputs zeros rather than the previous output.
        **kwargs: a Keras layer's arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        sequences: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``: a masked step leaves the state as it was.
        training: whether dropout applies.
        initial_state: optional list of initial state tensors.

    Example:

    >>> tuple(GRU(4, return_state=True)(np.ones((3, 5, 8)))[1].shape)
    (3, 4)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = cells.GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="cell",
        )
        RecurrentLayer.__init__(
            self,
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @property
    def recurrent_activation(self) -> Any:
        """Of the gates z and r."""
        return self.cell.recurrent_activation
