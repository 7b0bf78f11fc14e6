"""The cells and layers against Keras's built-ins and against NumPy transcriptions of the equations."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf

from textrnn import cells, layers

B, T, D, H = 3, 6, 5, 4
TOL = 1e-5

# (ours, Keras's built-in layer, Keras's built-in cell)
KERAS_COUNTERPARTS = [
    pytest.param(layers.SimpleRNN, keras.layers.SimpleRNN, keras.layers.SimpleRNNCell, id="simple_rnn"),
    pytest.param(layers.LSTM, keras.layers.LSTM, keras.layers.LSTMCell, id="lstm"),
    pytest.param(layers.GRU, keras.layers.GRU, keras.layers.GRUCell, id="gru"),
]
VARIANTS = [
    dict(),
    dict(return_sequences=True),
    dict(go_backwards=True, return_sequences=True),
    dict(return_state=True),
]


@pytest.fixture
def inputs() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(B, T, D)).astype("float32")


@pytest.fixture
def right_padded_mask() -> np.ndarray:
    lengths = np.array([T, 3, 1])
    return np.arange(T)[None, :] < lengths[:, None]


def _paired(ours_cls, keras_cls, x, **kwargs):
    """Our layer and Keras's, built, with Keras's (random) weights copied into ours."""
    reference = keras_cls(H, **kwargs)
    reference(x)
    ours = ours_cls(H, **kwargs)
    ours(x)
    ours.set_weights(reference.get_weights())
    return ours, reference


def _max_diff(a, b) -> float:
    a, b = (a if isinstance(a, (list, tuple)) else [a]), (b if isinstance(b, (list, tuple)) else [b])
    assert len(a) == len(b)
    return max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in zip(a, b, strict=True))


@pytest.mark.parametrize(("ours_cls", "keras_cls", "keras_cell"), KERAS_COUNTERPARTS)
def test_weights_have_keras_layout(ours_cls, keras_cls, keras_cell, inputs):
    ours, reference = ours_cls(H), keras_cls(H)  # each built on its own: no set_weights, which checks shapes itself
    ours(inputs), reference(inputs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    assert [w.name for w in ours.weights] == [w.name for w in reference.weights]


@pytest.mark.parametrize("kwargs", VARIANTS, ids=lambda k: "-".join(k) or "last_output")
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "right_padded"])
@pytest.mark.parametrize(("ours_cls", "keras_cls", "keras_cell"), KERAS_COUNTERPARTS)
def test_layer_matches_keras(ours_cls, keras_cls, keras_cell, kwargs, masked, inputs, right_padded_mask):
    ours, reference = _paired(ours_cls, keras_cls, inputs, **kwargs)
    mask = right_padded_mask if masked else None
    assert _max_diff(ours(inputs, mask=mask), reference(inputs, mask=mask)) <= TOL


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "right_padded"])
@pytest.mark.parametrize(("ours_cls", "keras_cls", "keras_cell"), KERAS_COUNTERPARTS)
def test_cell_in_keras_rnn_matches_keras(ours_cls, keras_cls, keras_cell, masked, inputs, right_padded_mask):
    ours = keras.layers.RNN(type(ours_cls(H).cell)(H), return_sequences=True, return_state=True)
    reference = keras.layers.RNN(keras_cell(H), return_sequences=True, return_state=True)
    ours(inputs), reference(inputs)
    ours.set_weights(reference.get_weights())
    mask = right_padded_mask if masked else None
    assert _max_diff(ours(inputs, mask=mask), reference(inputs, mask=mask)) <= TOL


@pytest.mark.parametrize(("ours_cls", "keras_cls", "keras_cell"), KERAS_COUNTERPARTS)
def test_gradients_match_keras(ours_cls, keras_cls, keras_cell, inputs, right_padded_mask):
    ours, reference = _paired(ours_cls, keras_cls, inputs, return_sequences=True)
    x = tf.constant(inputs)
    probe = tf.constant(np.random.default_rng(1).normal(size=(B, T, H)).astype("float32"))

    def grads(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, mask=right_padded_mask) * probe)
        return tape.gradient(loss, [x, *layer.trainable_variables])

    assert _max_diff(grads(ours), grads(reference)) <= TOL


@pytest.mark.parametrize(("ours_cls", "keras_cls", "keras_cell"), KERAS_COUNTERPARTS)
def test_bidirectional_and_stacked_match_keras(ours_cls, keras_cls, keras_cell, inputs, right_padded_mask):
    def model(layer_cls):
        tokens = keras.Input((T, D))
        x = keras.layers.Bidirectional(layer_cls(H, return_sequences=True))(tokens)
        x = layer_cls(H)(x)
        return keras.Model(tokens, x)

    ours, reference = model(ours_cls), model(keras_cls)
    ours.set_weights(reference.get_weights())
    x = tf.constant(inputs)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        out_ours, out_ref = ours(x), reference(x)
    assert _max_diff(out_ours, out_ref) <= TOL
    assert _max_diff(tape.gradient(out_ours, x), tape.gradient(out_ref, x)) <= TOL


# -- the equations, transcribed in NumPy ------------------------------------------------------------
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _numpy_elman(x, kernel, recurrent, bias, output_kernel=None):
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    ys = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        ys.append(h @ output_kernel if output_kernel is not None else h)
    return np.stack(ys, 1)


def _numpy_lstm(x, kernel, recurrent, bias, peepholes=None):
    units = recurrent.shape[0]
    h = c = np.zeros((x.shape[0], units))
    hs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        z_i, z_f, z_c, z_o = (z[:, k * units : (k + 1) * units] for k in range(4))
        if peepholes is not None:
            z_i, z_f = z_i + peepholes[0] * c, z_f + peepholes[1] * c
        i, f = _sigmoid(z_i), _sigmoid(z_f)
        c = f * c + i * np.tanh(z_c)
        o = _sigmoid(z_o + (peepholes[2] * c if peepholes is not None else 0.0))
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1)


def _numpy_gru(x, kernel, recurrent, bias):
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    hs = []
    for t in range(x.shape[1]):
        xz, xr, xh = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
        rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=-1)
        z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
        h = z * h + (1 - z) * np.tanh(xh + r * rh)
        hs.append(h)
    return np.stack(hs, 1)


@pytest.mark.parametrize(
    ("layer", "reference"),
    [
        (layers.SimpleRNN(H, return_sequences=True), _numpy_elman),
        (layers.SimpleRNN(H, output_units=2, return_sequences=True), _numpy_elman),
        (layers.LSTM(H, return_sequences=True), _numpy_lstm),
        (layers.PeepholeLSTM(H, return_sequences=True), _numpy_lstm),
        (layers.GRU(H, return_sequences=True), _numpy_gru),
    ],
    ids=["elman", "elman_output_projection", "lstm", "peephole_lstm", "gru"],
)
def test_layers_match_numpy_equations(layer, reference, inputs):
    layer(inputs)
    weights = layer.get_weights()
    for w in weights[:3]:  # random biases too, so that the bias terms are checked
        w[...] = np.random.default_rng(w.size).normal(scale=0.5, size=w.shape)
    layer.set_weights(weights)
    expected = reference(inputs.astype("float64"), *[w.astype("float64") for w in weights])
    np.testing.assert_allclose(np.asarray(layer(inputs)), expected, atol=TOL)


def _layer_norm(z, gamma, beta, epsilon=1e-3):
    return (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + epsilon) * gamma + beta


def _numpy_layer_norm_lstm(x, kernel, recurrent, bias, k_gamma, k_beta, r_gamma, r_beta, c_gamma, c_beta):
    units = recurrent.shape[0]
    h = c = np.zeros((x.shape[0], units))
    hs = []
    for t in range(x.shape[1]):
        z = _layer_norm(x[:, t] @ kernel, k_gamma, k_beta) + _layer_norm(h @ recurrent, r_gamma, r_beta) + bias
        z_i, z_f, z_c, z_o = (z[:, k * units : (k + 1) * units] for k in range(4))
        c = _layer_norm(_sigmoid(z_f) * c + _sigmoid(z_i) * np.tanh(z_c), c_gamma, c_beta)
        h = _sigmoid(z_o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1)


def test_layer_norm_lstm_matches_numpy_equations(inputs):
    layer = layers.LayerNormLSTM(H, return_sequences=True)
    layer(inputs)
    rng = np.random.default_rng(5)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    expected = _numpy_layer_norm_lstm(inputs.astype("float64"), *[w.astype("float64") for w in weights])
    np.testing.assert_allclose(np.asarray(layer(inputs)), expected, atol=TOL)


def test_layer_norm_lstm_normalises_cell_state(inputs):
    layer = layers.LayerNormLSTM(H, return_state=True)
    _, _, c = layer(inputs)
    c = np.asarray(c)  # the state norm starts with gain 1 and offset 0
    np.testing.assert_allclose(c.mean(-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(c.std(-1), 1.0, atol=2e-2)


def test_lstm_forget_bias_starts_at_one():
    cell = cells.LSTMCell(H)
    cell.build((None, D))
    np.testing.assert_array_equal(np.asarray(cell.bias), np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])


# -- BPTT: float64 gradient checks of every cell ---------------------------------------------------
@pytest.mark.parametrize(
    "cell_cls",
    [cells.SimpleRNNCell, cells.LSTMCell, cells.PeepholeLSTMCell, cells.LayerNormLSTMCell, cells.GRUCell],
)
def test_cell_gradient_check_float64(cell_cls):
    keras.utils.set_random_seed(0)
    rnn = keras.layers.RNN(cell_cls(3, dtype="float64"), return_sequences=True, dtype="float64")
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(2, 4, 3)), dtype=tf.float64)
    rnn(x)
    weights = [tf.constant(v.numpy()) for v in rnn.trainable_variables]
    non_trainable = [v.value for v in rnn.non_trainable_variables]

    def loss(inputs, values):
        outputs, _ = rnn.stateless_call(values, non_trainable, inputs)
        return tf.reduce_sum(tf.sin(outputs))

    with tf.GradientTape() as tape:
        tape.watch([x, *weights])
        value = loss(x, weights)
    gradients = tape.gradient(value, [x, *weights])
    # Directional derivatives: along three random directions per tensor (inputs and each weight), the
    # backpropagated gradient's dot product against a central difference (delta 1e-6: truncation error
    # ~1e-12, rounding ~1e-9 in float64). Two evaluations per direction, not two per element: a wrong
    # gradient for any element shows along a random direction.
    for index, (point, gradient) in enumerate(zip([x, *weights], gradients, strict=True)):
        name = "inputs" if index == 0 else rnn.trainable_variables[index - 1].path
        for _ in range(3):
            direction = tf.constant(rng.normal(size=point.shape), dtype=tf.float64)

            def moved(step, index=index, direction=direction):
                tensors = [x, *weights]
                tensors[index] = tensors[index] + step * direction
                return loss(tensors[0], tensors[1:])

            numerical = (moved(1e-6) - moved(-1e-6)) / 2e-6
            theoretical = tf.reduce_sum(gradient * direction)
            np.testing.assert_allclose(float(theoretical), float(numerical), rtol=1e-6, atol=1e-7, err_msg=name)


# -- variational dropout -------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_zero_dropout_is_no_dropout(layer_cls, inputs):
    layer = layer_cls(H, dropout=0.0, recurrent_dropout=0.0, return_sequences=True)
    np.testing.assert_array_equal(np.asarray(layer(inputs, training=True)), np.asarray(layer(inputs)))


def _identity_elman(rate_kwargs, use_layer):
    """An Elman cell that passes its state (or input) through unchanged, to expose dropout masks."""
    cell = cells.SimpleRNNCell(8, activation="linear", use_bias=False, seed=3, **rate_kwargs)
    rnn = (
        layers.SimpleRNN(8, activation="linear", use_bias=False, seed=3, return_sequences=True, **rate_kwargs)
        if use_layer
        else keras.layers.RNN(cell, return_sequences=True)
    )
    rnn(np.zeros((2, 5, 8), "float32"))
    return rnn


@pytest.mark.parametrize("use_layer", [True, False], ids=["textrnn_layer", "keras_rnn_of_cell"])
def test_recurrent_dropout_mask_is_the_same_at_every_step(use_layer):
    rnn = _identity_elman({"recurrent_dropout": 0.5}, use_layer)
    rnn.set_weights([np.zeros((8, 8), "float32"), np.eye(8, dtype="float32")])  # h_t = mask ⊙ h_{t-1}
    ones = np.ones((2, 8), "float32")
    out = np.asarray(rnn(np.zeros((2, 5, 8), "float32"), initial_state=[ones], training=True))
    kept = out[:, 0] != 0
    assert kept.any() and (~kept).any()
    for t in range(5):  # one mask: the same units survive at every step, each scaled by 2 per step
        np.testing.assert_array_equal(out[:, t] != 0, kept)
        np.testing.assert_allclose(out[:, t][kept], 2.0 ** (t + 1))
    assert not np.array_equal(kept[0], kept[1])  # one mask per sequence, not per batch


@pytest.mark.parametrize("use_layer", [True, False], ids=["textrnn_layer", "keras_rnn_of_cell"])
def test_input_dropout_mask_is_the_same_at_every_step(use_layer):
    rnn = _identity_elman({"dropout": 0.5}, use_layer)
    rnn.set_weights([np.eye(8, dtype="float32"), np.zeros((8, 8), "float32")])  # h_t = mask ⊙ x_t
    out = np.asarray(rnn(np.ones((2, 5, 8), "float32"), training=True))
    kept = out[:, 0] != 0
    assert kept.any() and (~kept).any()
    for t in range(5):
        np.testing.assert_array_equal(out[:, t] != 0, kept)
    masks_differ = not np.array_equal(np.asarray(rnn(np.ones((2, 5, 8)), training=True))[:, 0] != 0, kept)
    assert masks_differ  # a new mask for every batch


# -- serialization ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: layers.SimpleRNN(H, output_units=3),
        lambda: layers.LSTM(H, dropout=0.1, recurrent_dropout=0.1),
        lambda: layers.PeepholeLSTM(H),
        lambda: layers.LayerNormLSTM(H),
        lambda: layers.GRU(H),
        lambda: keras.layers.Bidirectional(layers.GRU(H)),
        lambda: keras.layers.RNN(cells.LSTMCell(H)),
        lambda: keras.layers.RNN(cells.GRUCell(H)),
        lambda: keras.layers.RNN(cells.SimpleRNNCell(H)),
    ],
    ids=["elman", "lstm", "peephole", "layer_norm", "gru", "bidirectional", "rnn_lstm", "rnn_gru", "rnn_elman"],
)
def test_keras_file_round_trip(make_layer, inputs, tmp_path):
    x = keras.Input((T, D))
    model = keras.Model(x, keras.layers.Dense(2)(make_layer()(x)))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np.asarray(loaded(inputs)), np.asarray(model(inputs)))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]


@pytest.mark.parametrize(
    "layer_class", [layers.SimpleRNN, layers.LSTM, layers.GRU, layers.PeepholeLSTM, layers.LayerNormLSTM]
)
def test_layers_forward_the_cells_arguments_and_route_the_rnns_and_the_layers(layer_class):
    layer = layer_class(8, dropout=0.1, recurrent_dropout=0.2, zero_output_for_mask=True, activity_regularizer="l2")
    assert (layer.units, layer.dropout, layer.recurrent_dropout) == (8, 0.1, 0.2)
    assert layer.activation is layer.cell.activation and layer.use_bias is True
    assert layer.zero_output_for_mask is True and layer.cell.activity_regularizer is None
    assert isinstance(layer.activity_regularizer, keras.regularizers.L2)
    with pytest.raises(AttributeError):
        layer.dropout = 0.5  # read-only, as keras.layers.LSTM's
    restored = layer_class.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "layer_class", [layers.SimpleRNN, layers.LSTM, layers.GRU, layers.PeepholeLSTM, layers.LayerNormLSTM]
)
def test_help_shows_every_argument_of_the_cell_and_each_is_a_property(layer_class):
    """As keras.layers.LSTM: the signature names every argument, the class has each as a property."""
    import inspect
    import pydoc

    cell = layer_class(3).cell
    cell_arguments = set(cell.get_config()) - {"name", "dtype", "trainable"}
    signature = inspect.signature(layer_class)
    assert cell_arguments <= set(signature.parameters), cell_arguments - set(signature.parameters)
    for name in cell_arguments:
        assert isinstance(inspect.getattr_static(layer_class, name), property), name
    page = pydoc.render_doc(layer_class)
    assert all(f"{name}:" in page for name in cell_arguments)  # the signature and the Args section
    cell_config = layer_class.from_config(layer_class(3).get_config()).cell.get_config()
    assert type(cell).from_config(cell.get_config()).get_config() == cell.get_config() == cell_config


def test_a_two_dimensional_input_is_refused_by_the_input_spec():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layers.LSTM(8)(np.zeros((2, 3), dtype="float32"))


def test_regularizers_add_one_loss_each_and_activity_regularizer_regularises_the_output_once():
    inputs = np.ones((2, 5, 3), dtype="float32")
    plain = layers.LSTM(4)
    plain(inputs)
    assert plain.losses == []
    weights = layers.LSTM(4, kernel_regularizer="l2", recurrent_regularizer="l2", bias_regularizer="l2")
    weights(inputs)
    expected = sum(
        0.01 * np.sum(w.numpy() ** 2) for w in (weights.cell.kernel, weights.cell.recurrent_kernel, weights.cell.bias)
    )
    assert len(weights.losses) == 3 and float(sum(weights.losses)) == pytest.approx(expected, rel=1e-5)
    activity = layers.LSTM(4, activity_regularizer=keras.regularizers.L1(1.0))
    output = activity(inputs)
    assert len(activity.losses) == 1  # on the layer's output, not on each of the 5 steps
    assert float(activity.losses[0]) == pytest.approx(float(np.sum(np.abs(output))) / 2, rel=1e-5)


@pytest.mark.parametrize("layer_class", [layers.SimpleRNN, layers.LSTM, layers.GRU, layers.PeepholeLSTM])
def test_constraints_hold_after_an_optimizer_step(layer_class):
    """Keras applies a weight's constraint after each optimizer step: non-negative weights stay so."""
    constrained = {name: "non_neg" for name in ("kernel_constraint", "recurrent_constraint", "bias_constraint")}
    if layer_class is layers.PeepholeLSTM:
        constrained["peephole_constraint"] = "non_neg"
    layer = layer_class(4, **constrained)
    model = keras.Sequential([keras.Input((5, 3)), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 5, 3)), rng.normal(size=(16, 1)) * 10, epochs=1, verbose=0)
    weights = layer.cell.trainable_weights
    assert len(weights) == (4 if layer_class is layers.PeepholeLSTM else 3)
    assert all(float(np.min(w.numpy())) >= 0.0 for w in weights)
    assert isinstance(layer.kernel_constraint, keras.constraints.NonNeg)  # forwarded like Keras's layers
    restored = layer_class.from_config(layer.get_config())
    assert isinstance(restored.cell.recurrent_constraint, keras.constraints.NonNeg)


def test_the_peephole_weights_take_their_own_initializer_and_regularizer(inputs):
    layer = layers.PeepholeLSTM(H, peephole_initializer="ones", peephole_regularizer=keras.regularizers.L1(1.0))
    layer(inputs)
    np.testing.assert_array_equal(layer.cell.peephole_kernel.numpy(), np.ones((3, H)))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == pytest.approx(3 * H)
    restored = layers.PeepholeLSTM.from_config(layer.get_config())
    assert isinstance(restored.peephole_initializer, keras.initializers.Ones)
    assert isinstance(restored.peephole_regularizer, keras.regularizers.L1)


@pytest.mark.parametrize("module", [cells, layers])
def test_the_docstring_examples_run(module):
    failures, tried = doctest.testmod(module, extraglobs={"np": np, "keras": keras}, optionflags=doctest.ELLIPSIS)
    assert tried >= 5 and failures == 0
