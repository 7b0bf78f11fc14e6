"""Moving trained weights between textrnn's layers and Keras's built-ins."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from textrnn import convert, layers, models


@pytest.mark.parametrize("family", ["simple_rnn", "lstm", "gru"])
def test_round_trip_through_keras_builtins(family):
    model = models.build_classifier(
        vocab_size=30, num_classes=3, family=family, units=8, embedding_dim=6, num_layers=2, bidirectional=True
    )
    tokens = np.random.default_rng(0).integers(1, 30, size=(4, 9)).astype("int32")
    tokens[1, 5:] = 0  # right padding, masked
    expected = np.asarray(model(tokens))

    as_keras = convert.to_keras(model)
    recurrent = [layer.forward_layer for layer in as_keras.layers if isinstance(layer, keras.layers.Bidirectional)]
    assert recurrent and all(type(layer) is convert.KERAS_BUILTINS[models.FAMILIES[family]] for layer in recurrent)
    np.testing.assert_allclose(np.asarray(as_keras(tokens)), expected, atol=1e-5)

    back = convert.from_keras(as_keras)
    recurrent = [layer.backward_layer for layer in back.layers if isinstance(layer, keras.layers.Bidirectional)]
    assert recurrent and all(type(layer) is models.FAMILIES[family] for layer in recurrent)
    np.testing.assert_allclose(np.asarray(back(tokens)), expected, atol=1e-5)


def test_variants_without_a_keras_builtin_are_refused():
    x = keras.Input((None, 4))
    model = keras.Model(x, layers.SimpleRNN(3, output_units=2)(x))
    with pytest.raises(ValueError, match="output projection"):
        convert.to_keras(model)
