"""Recurrent cells written from the textbook equations.

Every cell splits one time step into two halves:

* ``project_inputs(x)`` — the part that depends on the input only, ``x W``; it works on
  ``[batch, features]`` and on whole sequences ``[batch, time, features]``.
* ``step(x_proj, states)`` — the rest: ``h_{t-1} U``, the biases and the gate arithmetic. It
  returns what ``keras.layers.RNN`` needs from :meth:`~RecurrentCell.step_values`, which names
  every quantity of the step (the gates, the candidate, the new states), so that tools such as
  :mod:`textrnn.gates` read a trained cell's gates from the same code that trains it.

``call`` is the two together, which is what ``keras.layers.RNN`` runs at every step. (Running
``project_inputs`` once over a whole sequence before the loop was measured slower on a 2-core CPU;
see :mod:`textrnn.layers`.)

Weights have exactly the names, shapes and order of Keras's built-in cells
(``kernel``, ``recurrent_kernel``, ``bias``; LSTM gates ``i, f, c, o``; GRU gates ``z, r, h`` with
``reset_after=True``), so ``get_weights()`` of one is ``set_weights()`` of the other.

Dropout is variational (Gal & Ghahramani, 2016): one input mask and one recurrent mask per
sequence, reused at every step and shared by all gates. The masks come from Keras's
``DropoutRNNCell`` machinery, which ``keras.layers.RNN`` fills before its loop starts and clears
after it ends. (Keras's ``LSTMCell`` and ``GRUCell`` switch to ``implementation=1`` when
``recurrent_dropout > 0`` and then draw one mask per gate; with dropout, ours and theirs agree in
distribution, not draw for draw.)
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
from keras import activations, constraints, initializers, ops, regularizers

# Keras's RNN layer prepares per-sequence dropout masks only for cells that are instances of this
# class (keras/src/layers/rnn/rnn.py, `_maybe_config_dropout_masks`); it has no public alias.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = [
    "GRUCell",
    "LSTMCell",
    "LayerNormLSTMCell",
    "PeepholeLSTMCell",
    "SimpleRNNCell",
]


class RecurrentCell(DropoutRNNCell, keras.layers.Layer):
    """Shared plumbing of the cells: weights of the Keras layout, dropout, config.

    Subclasses set ``gates`` (how many ``units``-wide blocks the kernels hold), name their gates
    (``gate_names``), states (``state_names``, in the order of ``state_size``) and output, and
    implement :meth:`step_values`; most also override :meth:`build` and :meth:`project_inputs`.

    Args:
        units: size H of the hidden state.
        activation: of the state (or candidate); default ``tanh``.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: of ``kernel`` (the input
            weights W), ``recurrent_kernel`` (U) and ``bias``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties on those weights,
            added to the layer's losses once per call.
        kernel_constraint, recurrent_constraint, bias_constraint: applied to those weights after
            each optimizer step.
        dropout: fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state's units dropped (one mask per sequence).
        seed: of the dropout masks.

    Call arguments:
        inputs: one step's input, ``[batch, features]``.
        states: the previous states, a list (``[h]``, or ``[h, C]`` for the LSTMs).
        training: whether dropout applies.
    """

    gates = 1
    gate_names: ClassVar[tuple[str, ...]] = ()
    state_names: ClassVar[tuple[str, ...]] = ("h",)
    output_name: ClassVar[str] = "h"

    def __init__(
        self,
        units: int,
        activation: str = "tanh",
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        recurrent_initializer: str = "orthogonal",
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if units <= 0:
            raise ValueError(f"units must be a positive integer, got {units}")
        if not 0.0 <= dropout < 1.0 or not 0.0 <= recurrent_dropout < 1.0:
            raise ValueError(f"dropout and recurrent_dropout must be in [0, 1), got {dropout} and {recurrent_dropout}")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size: Any = units
        self.output_size = units

    # -- weights --------------------------------------------------------------------------
    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                name="bias",
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    # -- one time step ----------------------------------------------------------------------
    def project_inputs(self, inputs: Any) -> Any:
        """``x W`` for one step ``[B, D]`` or a whole sequence ``[B, T, D]``."""
        return ops.matmul(inputs, self.kernel)

    def add_bias(self, z: Any) -> Any:
        """``z + b``, added after the sum of the two matmuls ``x W + h U``.

        Keras's ``LSTMCell`` adds it there too; its ``SimpleRNNCell`` adds it to ``x W`` before
        adding ``h U`` (the same sum), and its ``GRUCell`` has two biases (see :class:`GRUCell`).
        Adding it after the sum keeps Grappler from fusing a BiasAdd that directly follows a
        MatMul into one oneDNN kernel, which ran the training step 1.3x slower on CPU in benchmarks/.
        """
        return ops.add(z, self.bias) if self.use_bias else z

    def step(self, projected: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        """The recurrent half of one step, given ``project_inputs`` of this step's input."""
        values = self.step_values(projected, states, training=training)
        return values[self.output_name], [values[name] for name in self.state_names]

    def step_values(self, projected: Any, states: Any, training: bool = False) -> dict[str, Any]:
        """Every named quantity of one step, ``[batch, units]`` each: the gates (``gate_names``),
        the new states (``state_names``) and the output (``output_name``), in the equations' symbols."""
        raise NotImplementedError

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        inputs = self.drop_inputs(inputs, training)
        return self.step(self.project_inputs(inputs), states, training=training)

    # -- variational dropout ----------------------------------------------------------------
    def drop_inputs(self, inputs: Any, training: bool) -> Any:
        """Apply the sequence's input mask to one step's inputs."""
        if not (training and self.dropout > 0.0):
            return inputs
        return inputs * self.get_dropout_mask(inputs)

    def drop_state(self, h_tm1: Any, training: bool) -> Any:
        """Apply the sequence's recurrent mask to the previous hidden state."""
        if not (training and self.recurrent_dropout > 0.0):
            return h_tm1
        return h_tm1 * self.get_recurrent_dropout_mask(h_tm1)

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def get_config(self) -> dict[str, Any]:
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNNCell(RecurrentCell):
    """The Elman cell.

    .. math::

        h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b)

        y_t = h_t W_{hy} \\quad \\text{(only with ``output_units``; otherwise } y_t = h_t)

    Weights: ``kernel`` = W_xh ``[D, H]``, ``recurrent_kernel`` = W_hh ``[H, H]``, ``bias`` ``[H]``
    (the layout of ``keras.layers.SimpleRNNCell``), then ``output_kernel`` = W_hy ``[H, O]`` when
    ``output_units`` is set.

    Args:
        units: size H of the hidden state.
        output_units: size O of the output projection y_t = W_hy h_t; ``None`` outputs h_t.
            ``output_kernel`` takes the ``kernel_*`` initializer, regularizer and constraint.
        **kwargs: the arguments of :class:`RecurrentCell` (as ``keras.layers.SimpleRNNCell``'s).

    Call arguments: as :class:`RecurrentCell`; the states are ``[h]``.

    Example:

    >>> rnn = keras.layers.RNN(SimpleRNNCell(4, output_units=2))
    >>> tuple(rnn(np.ones((3, 5, 8))).shape)
    (3, 2)
    """

    output_name = "y"

    def __init__(self, units: int, output_units: int | None = None, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.output_units = output_units
        self.output_size = output_units or units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        super().build(input_shape)
        if self.output_units:
            self.output_kernel = self.add_weight(
                shape=(self.units, self.output_units),
                name="output_kernel",
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )

    def step_values(self, projected: Any, states: Any, training: bool = False) -> dict[str, Any]:
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        h = self.activation(
            self.add_bias(projected + ops.matmul(self.drop_state(h_tm1, training), self.recurrent_kernel))
        )
        y = ops.matmul(h, self.output_kernel) if self.output_units else h
        return {"h": h, "y": y}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_units": self.output_units}


@keras.saving.register_keras_serializable(package="textrnn")
class LSTMCell(RecurrentCell):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997; forget gate of Gers et al., 2000).

    .. math::

        i_t = \\sigma(x_t W_i + h_{t-1} U_i + b_i)            \\quad \\text{input gate}

        f_t = \\sigma(x_t W_f + h_{t-1} U_f + b_f)            \\quad \\text{forget gate}

        \\tilde C_t = \\tanh(x_t W_C + h_{t-1} U_C + b_C)      \\quad \\text{candidate}

        C_t = f_t \\odot C_{t-1} + i_t \\odot \\tilde C_t      \\quad \\text{cell state}

        o_t = \\sigma(x_t W_o + h_{t-1} U_o + b_o)            \\quad \\text{output gate}

        h_t = o_t \\odot \\tanh(C_t)

    (The textbook writes W[h_{t-1}, x_t]; splitting W into the input part W and the recurrent
    part U is the same product.) Weights: ``kernel`` ``[D, 4H]``, ``recurrent_kernel``
    ``[H, 4H]``, ``bias`` ``[4H]``, gate blocks in the order i, f, C̃, o — the layout of
    ``keras.layers.LSTMCell``. With ``unit_forget_bias`` (default) b_f starts at 1 so that the
    cell remembers by default.

    Args:
        units: size H of the hidden and cell states.
        recurrent_activation: of the gates i, f, o; default ``sigmoid``.
        unit_forget_bias: start b_f at 1 (the rest of the bias from ``bias_initializer``).
        **kwargs: the arguments of :class:`RecurrentCell` (as ``keras.layers.LSTMCell``'s).

    Call arguments: as :class:`RecurrentCell`; the states are ``[h, C]``.

    Example:

    >>> rnn = keras.layers.RNN(LSTMCell(4), return_state=True)
    >>> h, h_again, c = rnn(np.ones((3, 5, 8)))
    >>> tuple(c.shape)
    (3, 4)
    """

    gates = 4
    gate_names = ("i", "f", "o")
    state_names = ("h", "c")

    def __init__(
        self,
        units: int,
        recurrent_activation: str = "sigmoid",
        unit_forget_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape: Any, dtype: Any = None) -> Any:
            return ops.concatenate(
                [
                    base((units,), dtype=dtype),
                    ops.ones((units,), dtype=dtype),
                    base((2 * units,), dtype=dtype),
                ]
            )

        return forget_bias_one

    def gate_inputs(self, projected: Any, h_tm1: Any, training: bool) -> Any:
        """The pre-activations ``x W + h U + b`` of the four gates, ``[B, 4H]``."""
        return self.add_bias(projected + self.recurrent_projection(self.drop_state(h_tm1, training)))

    def recurrent_projection(self, h_tm1: Any) -> Any:
        return ops.matmul(h_tm1, self.recurrent_kernel)

    def step_values(self, projected: Any, states: Any, training: bool = False) -> dict[str, Any]:
        h_tm1, c_tm1 = states[0], states[1]
        z_i, z_f, z_c, z_o = ops.split(self.gate_inputs(projected, h_tm1, training), 4, axis=1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        candidate = self.activation(z_c)
        c = self.new_cell_state(f, c_tm1, i, candidate)
        o = self.recurrent_activation(z_o)
        return {"i": i, "f": f, "candidate": candidate, "c": c, "o": o, "h": o * self.activation(c)}

    def new_cell_state(self, f: Any, c_tm1: Any, i: Any, candidate: Any) -> Any:
        """``C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t``."""
        return f * c_tm1 + i * candidate

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


@keras.saving.register_keras_serializable(package="textrnn")
class PeepholeLSTMCell(LSTMCell):
    """LSTM whose gates also look at the cell state (Gers & Schmidhuber, 2000).

    .. math::

        i_t = \\sigma(x_t W_i + h_{t-1} U_i + p_i \\odot C_{t-1} + b_i)

        f_t = \\sigma(x_t W_f + h_{t-1} U_f + p_f \\odot C_{t-1} + b_f)

        C_t = f_t \\odot C_{t-1} + i_t \\odot \\tanh(x_t W_C + h_{t-1} U_C + b_C)

        o_t = \\sigma(x_t W_o + h_{t-1} U_o + p_o \\odot C_t + b_o)

        h_t = o_t \\odot \\tanh(C_t)

    The diagonal peephole weights p_i, p_f, p_o are one extra weight ``peephole_kernel``
    ``[3, H]`` after the standard LSTM weights.

    Args:
        units: size H of the hidden and cell states.
        peephole_initializer, peephole_regularizer, peephole_constraint: of ``peephole_kernel``.
        **kwargs: the arguments of :class:`LSTMCell`.

    Call arguments: as :class:`RecurrentCell`; the states are ``[h, C]``.

    Example:

    >>> cell = PeepholeLSTMCell(4, peephole_initializer="zeros")  # starts as a plain LSTM
    >>> tuple(keras.layers.RNN(cell)(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    def __init__(
        self,
        units: int,
        peephole_initializer: Any = "glorot_uniform",
        peephole_regularizer: Any = None,
        peephole_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(units, **kwargs)
        self.peephole_initializer = initializers.get(peephole_initializer)
        self.peephole_regularizer = regularizers.get(peephole_regularizer)
        self.peephole_constraint = constraints.get(peephole_constraint)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        super().build(input_shape)
        self.peephole_kernel = self.add_weight(
            shape=(3, self.units),
            name="peephole_kernel",
            initializer=self.peephole_initializer,
            regularizer=self.peephole_regularizer,
            constraint=self.peephole_constraint,
        )

    def step_values(self, projected: Any, states: Any, training: bool = False) -> dict[str, Any]:
        h_tm1, c_tm1 = states[0], states[1]
        z_i, z_f, z_c, z_o = ops.split(self.gate_inputs(projected, h_tm1, training), 4, axis=1)
        p_i, p_f, p_o = self.peephole_kernel[0], self.peephole_kernel[1], self.peephole_kernel[2]
        i = self.recurrent_activation(z_i + p_i * c_tm1)
        f = self.recurrent_activation(z_f + p_f * c_tm1)
        candidate = self.activation(z_c)
        c = self.new_cell_state(f, c_tm1, i, candidate)
        o = self.recurrent_activation(z_o + p_o * c)
        return {"i": i, "f": f, "candidate": candidate, "c": c, "o": o, "h": o * self.activation(c)}

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "peephole_initializer": initializers.serialize(self.peephole_initializer),
            "peephole_regularizer": regularizers.serialize(self.peephole_regularizer),
            "peephole_constraint": constraints.serialize(self.peephole_constraint),
        }


@keras.saving.register_keras_serializable(package="textrnn")
class LayerNormLSTMCell(LSTMCell):
    """LSTM with layer normalisation (Ba et al., 2016), as TF Addons' ``LayerNormLSTMCell`` was.

    .. math::

        [z_i, z_f, z_C, z_o] = \\mathrm{LN}_x(x_t W) + \\mathrm{LN}_h(h_{t-1} U) + b

        C_t = \\mathrm{LN}_C(f_t \\odot C_{t-1} + i_t \\odot \\tanh(z_C)), \\quad
        h_t = o_t \\odot \\tanh(C_t)

    with i, f, o the sigmoids of z_i, z_f, z_o. The three normalisations have their own gain
    and offset, created after the standard LSTM weights.

    Args:
        units: size H of the hidden and cell states.
        norm_epsilon: the normalisations' epsilon.
        **kwargs: the arguments of :class:`LSTMCell`.

    Call arguments: as :class:`RecurrentCell`; the states are ``[h, C]``.

    Example:

    >>> tuple(keras.layers.RNN(LayerNormLSTMCell(4))(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    def __init__(self, units: int, norm_epsilon: float = 1e-3, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.norm_epsilon = norm_epsilon
        self.kernel_norm, self.recurrent_norm, self.state_norm = (
            keras.layers.LayerNormalization(epsilon=norm_epsilon, dtype=self.dtype_policy, name=name)
            for name in ("kernel_norm", "recurrent_norm", "state_norm")
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        super().build(input_shape)
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def project_inputs(self, inputs: Any) -> Any:
        return self.kernel_norm(super().project_inputs(inputs))

    def recurrent_projection(self, h_tm1: Any) -> Any:
        return self.recurrent_norm(super().recurrent_projection(h_tm1))

    def new_cell_state(self, f: Any, c_tm1: Any, i: Any, candidate: Any) -> Any:
        return self.state_norm(super().new_cell_state(f, c_tm1, i, candidate))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "norm_epsilon": self.norm_epsilon}


@keras.saving.register_keras_serializable(package="textrnn")
class GRUCell(RecurrentCell):
    """Gated recurrent unit (Cho et al., 2014), in the "reset after" form that cuDNN uses.

    .. math::

        z_t = \\sigma(x_t W_z + b^x_z + h_{t-1} U_z + b^h_z)          \\quad \\text{update gate}

        r_t = \\sigma(x_t W_r + b^x_r + h_{t-1} U_r + b^h_r)          \\quad \\text{reset gate}

        \\tilde h_t = \\tanh(x_t W_h + b^x_h + r_t \\odot (h_{t-1} U_h + b^h_h))

        h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde h_t

    Weights: ``kernel`` ``[D, 3H]``, ``recurrent_kernel`` ``[H, 3H]``, ``bias`` ``[2, 3H]``
    (row 0 input bias, row 1 recurrent bias), gate blocks z, r, h — the layout of
    ``keras.layers.GRUCell(reset_after=True)``. The biases are where the equations put them, as
    in Keras's GRU: b^x added to ``x W``, b^h to ``h U`` before the reset gate scales it — two
    separate additions, not :meth:`add_bias` after the sum.

    Args:
        units: size H of the hidden state.
        recurrent_activation: of the gates z and r; default ``sigmoid``.
        **kwargs: the arguments of :class:`RecurrentCell` (as ``keras.layers.GRUCell``'s).

    Call arguments: as :class:`RecurrentCell`; the states are ``[h]``.

    Example:

    >>> tuple(keras.layers.RNN(GRUCell(4))(np.ones((3, 5, 8))).shape)
    (3, 4)
    """

    gates = 3
    gate_names = ("z", "r")

    def __init__(self, units: int, recurrent_activation: str = "sigmoid", **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units)

    def step_values(self, projected: Any, states: Any, training: bool = False) -> dict[str, Any]:
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        recurrent = ops.matmul(self.drop_state(h_tm1, training), self.recurrent_kernel)
        if self.use_bias:
            projected = projected + self.bias[0]
            recurrent = recurrent + self.bias[1]
        x_z, x_r, x_h = ops.split(projected, 3, axis=-1)
        h_z, h_r, h_h = ops.split(recurrent, 3, axis=-1)
        z = self.recurrent_activation(x_z + h_z)
        r = self.recurrent_activation(x_r + h_r)
        candidate = self.activation(x_h + r * h_h)
        return {"z": z, "r": r, "candidate": candidate, "h": z * h_tm1 + (1.0 - z) * candidate}

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
        }
