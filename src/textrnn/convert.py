"""Move a model between textrnn's recurrent layers and Keras's built-ins, weights included.

Both use the same weight layout, so a converted model computes the same function. Keras's
``LSTM`` / ``GRU`` take the cuDNN kernel on a GPU; textrnn's layers are the readable equations
(and the faster ones on CPU, see benchmarks/). Peephole and layer-normalised LSTMs and an Elman
RNN with an output projection have no Keras built-in.
"""

from __future__ import annotations

from typing import Any

import keras

from textrnn import layers

KERAS_BUILTINS: dict[type[keras.layers.Layer], type[keras.layers.Layer]] = {
    layers.SimpleRNN: keras.layers.SimpleRNN,
    layers.LSTM: keras.layers.LSTM,
    layers.GRU: keras.layers.GRU,
}
TEXTRNN_LAYERS = {keras_class: ours for ours, keras_class in KERAS_BUILTINS.items()}
_KERAS_ONLY = ("use_cudnn", "reset_after", "implementation", "activity_regularizer")
_CONSTRAINTS = ("kernel_constraint", "recurrent_constraint", "bias_constraint")


def to_keras(model: keras.Model) -> keras.Model:
    """A copy of ``model`` whose textrnn recurrent layers are ``keras.layers`` built-ins."""
    return _convert(model, KERAS_BUILTINS)


def from_keras(model: keras.Model) -> keras.Model:
    """A copy of ``model`` whose ``keras.layers`` LSTM / GRU / SimpleRNN are textrnn's."""
    return _convert(model, TEXTRNN_LAYERS)


def _convert(model: keras.Model, mapping: dict[type, type]) -> keras.Model:
    def swap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, keras.layers.Bidirectional):
            config = layer.get_config()
            return keras.layers.Bidirectional(
                swap(layer.forward_layer),
                merge_mode=config["merge_mode"],
                backward_layer=swap(layer.backward_layer),
                name=layer.name,
            )
        target = mapping.get(type(layer))
        if target is None:
            return layer.__class__.from_config(layer.get_config())
        return target.from_config(_translate(layer, target))

    converted = keras.models.clone_model(model, clone_function=swap)
    converted.set_weights(model.get_weights())
    return converted


def _translate(layer: keras.layers.Layer, target: type) -> dict[str, Any]:
    config = dict(layer.get_config())
    if config.pop("output_units", None):
        raise ValueError(f"{layer.name}: an Elman RNN with an output projection has no Keras built-in")
    if target in TEXTRNN_LAYERS.values():
        if config.get("reset_after") is False:
            raise ValueError(f"{layer.name}: textrnn's GRU is the reset_after=True form")
        for key in (*_KERAS_ONLY, *_CONSTRAINTS):
            if key in _CONSTRAINTS and config.get(key) is not None:
                raise ValueError(f"{layer.name}: textrnn layers take no {key}")
            config.pop(key, None)
    return config
