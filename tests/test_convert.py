"""Moving trained weights between textrnn's layers and Keras's built-ins."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

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


@pytest.mark.parametrize("family", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidirectional"])
def test_the_fused_kernel_computes_what_our_cells_do(family, bidirectional):
    """`kernel="fused"` (Keras's LSTM / GRU, cuDNN on a GPU) against our cells on the same weights: outputs and
    gradients, with a masked (right-padded) batch."""
    arguments = dict(vocab_size=30, num_classes=3, family=family, units=8, embedding_dim=6, num_layers=2, seed=0)
    cells = models.build_classifier(**arguments, bidirectional=bidirectional, kernel="cells")
    fused = models.build_classifier(**arguments, bidirectional=bidirectional, kernel="fused")
    assert any(type(layer) is models.FUSED[family] for layer in _recurrent(fused))
    fused.set_weights(cells.get_weights())
    tokens = np.random.default_rng(1).integers(1, 30, size=(4, 9)).astype("int32")
    tokens[1, 5:] = 0
    tokens[3, 2:] = 0
    labels = np.array([0, 1, 2, 1])
    results = []
    for model in (cells, fused):
        with tf.GradientTape() as tape:
            probabilities = model(tokens)
            loss = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        gradients = [
            tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_weights)
        ]  # embedding's: sparse
        results.append((np.asarray(probabilities), gradients))
    (expected, expected_gradients), (actual, gradients) = results
    np.testing.assert_allclose(actual, expected, atol=1e-5)
    for weight, want, got in zip(cells.trainable_weights, expected_gradients, gradients, strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5, err_msg=weight.path)
    back = convert.from_keras(fused)  # what the train stage publishes
    assert all(type(layer) is models.FAMILIES[family] for layer in _recurrent(back))
    np.testing.assert_allclose(np.asarray(back(tokens)), expected, atol=1e-5)


def _recurrent(model: keras.Model) -> list[keras.layers.Layer]:
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, keras.layers.RNN):
            found.append(layer)
    return found


@pytest.mark.parametrize("family", ["lstm", "gru"])
def test_a_bidirectional_tagger_on_the_fused_kernel_tags_as_our_cells_do(family):
    """A tagger (`trainer=gpu` trains it on Keras's layers): every real token's tag probabilities, with a
    right-padded batch; and the model the train stage publishes, back in our cells."""
    arguments = dict(vocab_size=30, num_tags=4, family=family, units=8, embedding_dim=6, bidirectional=True, seed=0)
    cells = models.build_tagger(**arguments, kernel="cells")
    fused = models.build_tagger(**arguments, kernel="fused")
    fused.set_weights(cells.get_weights())
    tokens = np.random.default_rng(2).integers(1, 30, size=(3, 7)).astype("int32")
    tokens[1, 4:] = 0
    real = tokens != 0
    expected = np.asarray(cells(tokens))
    np.testing.assert_allclose(np.asarray(fused(tokens))[real], expected[real], atol=1e-5)
    np.testing.assert_allclose(np.asarray(convert.from_keras(fused)(tokens))[real], expected[real], atol=1e-5)
