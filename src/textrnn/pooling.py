"""Pooling over time that respects the mask: a sequence of states ``[batch, time, units]`` to ``[batch, units]``.

Keras's ``GlobalMaxPooling1D`` ignores the mask (a padded step counts like any other) and its
``GlobalAveragePooling1D`` divides by zero on a row with no unmasked step — an empty text, which
real data has (SST-2 holds phrases that are punctuation only) — and makes the loss NaN; hence
:class:`MaskedGlobalPooling1D`. :class:`AttentionPooling1D` learns which steps to weigh.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["AttentionPooling1D", "MaskedGlobalPooling1D"]


@keras.saving.register_keras_serializable(package="textrnn")
class MaskedGlobalPooling1D(keras.layers.Layer):
    """The mean or the largest value of each feature over the unmasked steps:

        mean: y_j = Σ_{t: m_t} h_{t,j} / |{t: m_t}|        max: y_j = max_{t: m_t} h_{t,j}

    A row with no unmasked step (an empty text) gives zeros.

    Args:
        reduction: ``"mean"`` or ``"max"``.

    Call arguments:
        inputs: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``, true at the steps to pool (Keras passes the
            embedding's or the recurrent layer's mask on by itself).

    Example:

    >>> states = keras.ops.convert_to_tensor([[[1.0], [3.0], [9.0]]])
    >>> MaskedGlobalPooling1D("max")(states, mask=keras.ops.convert_to_tensor([[True, True, False]]))
    array([[3.]], dtype=float32)
    """

    def __init__(self, reduction: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if reduction not in ("mean", "max"):
            raise ValueError(f"reduction must be 'mean' or 'max', got {reduction!r}")
        self.reduction = reduction
        self.input_spec = keras.layers.InputSpec(ndim=3)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        mask = ops.expand_dims(ops.cast(mask, "bool"), -1)
        if self.reduction == "mean":
            steps = ops.sum(ops.cast(mask, inputs.dtype), axis=1)
            return ops.sum(ops.where(mask, inputs, 0.0), axis=1) / ops.maximum(steps, 1.0)
        pooled = ops.max(ops.where(mask, inputs, ops.min(inputs) - 1.0), axis=1)
        return ops.where(ops.any(mask, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reduction": self.reduction}


@keras.saving.register_keras_serializable(package="textrnn")
class AttentionPooling1D(keras.layers.Layer):
    """A weighted mean of the steps, the weights learned (additive attention, Bahdanau et al. 2015):

        s_t = vᵀ tanh(W h_t + b)
        α = softmax(s) over the unmasked steps
        y = Σ_t α_t h_t

    Args:
        units: size of the hidden layer ``W h_t + b`` that scores each step.
        kernel_initializer: initializer of ``W`` and ``v``.

    Call arguments:
        inputs: ``[batch, time, features]``.
        mask: optional boolean ``[batch, time]``; masked steps get weight 0.

    Example:

    >>> states = keras.ops.ones((2, 5, 8))
    >>> AttentionPooling1D(16)(states).shape
    (2, 8)
    """

    def __init__(self, units: int, kernel_initializer: Any = "glorot_uniform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.input_spec = keras.layers.InputSpec(ndim=3)
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[-1]
        self.kernel = self.add_weight(shape=(features, self.units), name="kernel", initializer=self.kernel_initializer)
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer="zeros")
        self.score_kernel = self.add_weight(
            shape=(self.units, 1), name="score_kernel", initializer=self.kernel_initializer
        )
        self.softmax = keras.layers.Softmax(axis=1, dtype=self.dtype_policy)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        scores = ops.squeeze(ops.matmul(ops.tanh(ops.matmul(inputs, self.kernel) + self.bias), self.score_kernel), -1)
        weights = self.softmax(scores, mask=mask)
        return ops.sum(ops.expand_dims(weights, -1) * inputs, axis=1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
