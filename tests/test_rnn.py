"""tf1_compat.rnn: TF1's cells and dynamic_rnn, with TF1's variables, against Keras 3's RNNs.

TF1's cells multiply `[x, h]` by one kernel; Keras multiplies `x` and `h` by two and adds, and
folds TF1's run-time `forget_bias` into the stored bias: the same sums, rounded in another order.
Each step's pre-activations differ by a few float32 ulps, and the recurrence carries that on (the
squashing nonlinearities damp it, the recurrent kernel may amplify it). Measured on these
sequences (12 steps, weights uniform in +-0.6, 10 seeds; outputs below 1 in magnitude): LSTM
outputs and memory at most 2.4e-7 apart, SimpleRNN 1.8e-7, GRU 1.8e-7. The tests allow 2e-6
absolute: eight times the worst seen, and still far below what a mistake in the gate layout (a
wrong order, a lost forget bias) does to the outputs (1e-2 and more).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import rnn

v1 = tf.compat.v1
ATOL = 2e-6
BATCH, STEPS, DEPTH, UNITS = 4, 12, 3, 5


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def names(variables):
    return [v.op.name for v in variables]


def run_tf1(cell_factory, x, weights=None, sequence_length=None, time_major=False):
    """`(outputs, state, weights)` of `dynamic_rnn` over `x`, its variables set to `weights`."""
    g = tf.Graph()
    with g.as_default():
        p = v1.placeholder(tf.float32, (None, None, x.shape[-1]))
        cell = cell_factory()
        outputs, state = rnn.dynamic_rnn(cell, p, dtype=tf.float32, time_major=time_major,
                                         sequence_length=sequence_length)
        init = v1.global_variables_initializer()
        values = [v1.placeholder(v.dtype.base_dtype, v.shape) for v in cell.variables]
        assign = [v.assign(value) for v, value in zip(cell.variables, values)]
    with v1.Session(graph=g) as s:
        s.run(init)
        if weights is not None:
            s.run(assign, dict(zip(values, weights)))
        out, st = s.run([outputs, state], {p: x})
        return out, st, s.run(cell.variables)


def random_weights(rng, shapes, scale=0.6):
    return [rng.uniform(-scale, scale, size=shape).astype(np.float32) for shape in shapes]


def sequences(rng):
    return rng.normal(size=(BATCH, STEPS, DEPTH)).astype(np.float32)


def test_tf1_variable_names_and_shapes():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, None, DEPTH))
        rnn.dynamic_rnn(rnn.LSTMCell(UNITS), x, dtype=tf.float32)
        # TF1's famous error: re-entering "rnn" restarts the count of the scopes inside it
        with pytest.raises(ValueError, match="rnn/lstm_cell/kernel already exists"):
            rnn.dynamic_rnn(rnn.LSTMCell(UNITS), x, dtype=tf.float32)
        rnn.dynamic_rnn(rnn.LSTMCell(UNITS), x, dtype=tf.float32, scope="second")
        rnn.dynamic_rnn(rnn.BasicRNNCell(UNITS), x, dtype=tf.float32, scope="encoder")
        rnn.dynamic_rnn(rnn.GRUCell(UNITS), x, dtype=tf.float32)
        rnn.dynamic_rnn(rnn.BasicLSTMCell(UNITS, name="dec"), x, dtype=tf.float32)
        got = [(v.op.name, v.shape.as_list()) for v in v1.trainable_variables()]
    assert got == [
        ("rnn/lstm_cell/kernel", [DEPTH + UNITS, 4 * UNITS]), ("rnn/lstm_cell/bias", [4 * UNITS]),
        ("second/lstm_cell/kernel", [DEPTH + UNITS, 4 * UNITS]),
        ("second/lstm_cell/bias", [4 * UNITS]),
        ("encoder/basic_rnn_cell/kernel", [DEPTH + UNITS, UNITS]),
        ("encoder/basic_rnn_cell/bias", [UNITS]),
        ("rnn/gru_cell/gates/kernel", [DEPTH + UNITS, 2 * UNITS]),
        ("rnn/gru_cell/gates/bias", [2 * UNITS]),
        ("rnn/gru_cell/candidate/kernel", [DEPTH + UNITS, UNITS]),
        ("rnn/gru_cell/candidate/bias", [UNITS]),
        ("rnn/dec/kernel", [DEPTH + UNITS, 4 * UNITS]), ("rnn/dec/bias", [4 * UNITS])]


def test_a_cell_keeps_its_weights_and_reuse_shares_by_name(rng):
    x = sequences(rng)
    g = tf.Graph()
    with g.as_default():
        cell = rnn.LSTMCell(UNITS)
        a, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
        b, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)  # the same object: the same weights
        shared = rnn.LSTMCell(UNITS, reuse=True)
        c, _ = rnn.dynamic_rnn(shared, x, dtype=tf.float32)  # reuse: rnn/lstm_cell again
        assert names(v1.global_variables()) == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]
        with pytest.raises(ValueError, match="built for inputs of depth 3, got 2"):
            cell(tf.zeros((1, 2)), cell.zero_state(1, tf.float32))
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as s:
        s.run(init)
        a, b, c = s.run([a, b, c])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_initial_values_are_tf1s(rng):
    _, _, (kernel, bias) = run_tf1(lambda: rnn.LSTMCell(UNITS), sequences(rng))
    assert np.abs(kernel).max() <= np.sqrt(6 / (DEPTH + UNITS + 4 * UNITS))  # Glorot uniform
    np.testing.assert_array_equal(bias, 0)
    _, _, gru = run_tf1(lambda: rnn.GRUCell(UNITS), sequences(rng))
    np.testing.assert_array_equal(gru[1], 1)  # gates/bias starts at 1, candidate/bias at 0
    np.testing.assert_array_equal(gru[3], 0)


@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 2.5])
def test_lstm_equals_keras_lstm_with_mapped_weights(forget_bias, rng):
    x = sequences(rng)
    weights = random_weights(rng, [(DEPTH + UNITS, 4 * UNITS), (4 * UNITS,)])
    out, state, _ = run_tf1(lambda: rnn.LSTMCell(UNITS, forget_bias=forget_bias), x, weights)
    layer = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    layer.build(x.shape)
    layer.set_weights(rnn.lstm_to_keras(*weights, forget_bias=forget_bias))
    sequence, h, c = (t.numpy() for t in layer(x))
    np.testing.assert_allclose(out, sequence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state.h, h, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state.c, c, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(out[:, -1], state.h)
    last = keras.layers.LSTM(UNITS)  # return_sequences=False: the last output
    last.build(x.shape)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(out[:, -1], last(x).numpy(), rtol=0, atol=ATOL)


def test_keras_lstm_weights_run_in_tf1(rng):
    x = sequences(rng)
    layer = keras.layers.LSTM(UNITS, return_sequences=True, bias_initializer="random_normal")
    want = layer(x).numpy()
    weights = rnn.lstm_from_keras(*layer.get_weights())
    out, _, _ = run_tf1(lambda: rnn.LSTMCell(UNITS), x, weights)
    np.testing.assert_allclose(out, want, rtol=0, atol=ATOL)


def test_basic_rnn_cell_equals_simple_rnn(rng):
    x = sequences(rng)
    weights = random_weights(rng, [(DEPTH + UNITS, UNITS), (UNITS,)])
    out, state, _ = run_tf1(lambda: rnn.BasicRNNCell(UNITS), x, weights)
    layer = keras.layers.SimpleRNN(UNITS, return_sequences=True, return_state=True)
    layer.build(x.shape)
    layer.set_weights(rnn.rnn_to_keras(*weights))
    sequence, h = (t.numpy() for t in layer(x))
    np.testing.assert_allclose(out, sequence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state, h, rtol=0, atol=ATOL)


def test_gru_cell_equals_keras_gru_without_reset_after(rng):
    x = sequences(rng)
    weights = random_weights(rng, [(DEPTH + UNITS, 2 * UNITS), (2 * UNITS,),
                                   (DEPTH + UNITS, UNITS), (UNITS,)])
    out, state, _ = run_tf1(lambda: rnn.GRUCell(UNITS), x, weights)
    layer = keras.layers.GRU(UNITS, reset_after=False, return_sequences=True, return_state=True)
    layer.build(x.shape)
    layer.set_weights(rnn.gru_to_keras(*weights))
    sequence, h = (t.numpy() for t in layer(x))
    np.testing.assert_allclose(out, sequence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state, h, rtol=0, atol=ATOL)


def test_weight_maps_round_trip(rng):
    kernel, bias = random_weights(rng, [(DEPTH + UNITS, 4 * UNITS), (4 * UNITS,)])
    keras_kernel, recurrent, keras_bias = rnn.lstm_to_keras(kernel, bias, forget_bias=1.0)
    assert keras_kernel.shape == (DEPTH, 4 * UNITS) and recurrent.shape == (UNITS, 4 * UNITS)
    # Keras's forget gate (its 2nd quarter) is TF1's 3rd plus the forget bias
    np.testing.assert_array_equal(keras_kernel[:, UNITS:2 * UNITS],
                                  kernel[:DEPTH, 2 * UNITS:3 * UNITS])
    np.testing.assert_array_equal(keras_bias[UNITS:2 * UNITS],
                                  bias[2 * UNITS:3 * UNITS] + np.float32(1.0))
    back_kernel, back_bias = rnn.lstm_from_keras(keras_kernel, recurrent, keras_bias)
    np.testing.assert_array_equal(back_kernel, kernel)
    np.testing.assert_allclose(back_bias, bias, rtol=0, atol=np.spacing(np.float32(2)))
    gru = random_weights(rng, [(DEPTH + UNITS, 2 * UNITS), (2 * UNITS,),
                               (DEPTH + UNITS, UNITS), (UNITS,)])
    for a, b in zip(rnn.gru_from_keras(*rnn.gru_to_keras(*gru)), gru):
        np.testing.assert_array_equal(a, b)
    simple = random_weights(rng, [(DEPTH + UNITS, UNITS), (UNITS,)])
    for a, b in zip(rnn.rnn_from_keras(*rnn.rnn_to_keras(*simple)), simple):
        np.testing.assert_array_equal(a, b)


def test_sequence_length_zeroes_outputs_and_carries_the_state(rng):
    x = sequences(rng)
    lengths = np.array([12, 5, 1, 8])
    weights = random_weights(rng, [(DEPTH + UNITS, 4 * UNITS), (4 * UNITS,)])
    out, state, _ = run_tf1(lambda: rnn.LSTMCell(UNITS), x, weights, sequence_length=lengths)
    mask = np.arange(STEPS)[None, :] < lengths[:, None]
    layer = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True,
                              zero_output_for_mask=True)
    layer.build(x.shape)
    layer.set_weights(rnn.lstm_to_keras(*weights))
    sequence, h, c = (t.numpy() for t in layer(x, mask=mask))
    assert np.all(out[~mask] == 0)
    np.testing.assert_allclose(out, sequence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state.h, h, rtol=0, atol=ATOL)
    np.testing.assert_allclose(state.c, c, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(state.h, out[np.arange(BATCH), lengths - 1])


def test_time_major_and_concatenated_state_give_the_same_numbers(rng):
    x = sequences(rng)
    weights = random_weights(rng, [(DEPTH + UNITS, 4 * UNITS), (4 * UNITS,)])
    out, state, _ = run_tf1(lambda: rnn.LSTMCell(UNITS), x, weights)
    out_tm, _, _ = run_tf1(lambda: rnn.LSTMCell(UNITS), x.transpose(1, 0, 2), weights,
                           time_major=True)
    np.testing.assert_array_equal(out_tm.transpose(1, 0, 2), out)
    _, flat, _ = run_tf1(lambda: rnn.LSTMCell(UNITS, state_is_tuple=False), x, weights)
    np.testing.assert_array_equal(flat, np.concatenate([state.c, state.h], axis=1))


def test_mistakes_are_named_in_one_line():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, None, DEPTH))
        with pytest.raises(ValueError, match=r"num_units must be a positive integer\. Received: "
                                             r"num_units=0$"):
            rnn.LSTMCell(0)
        with pytest.raises(ValueError, match="needs a dtype when there is no initial_state"):
            rnn.dynamic_rnn(rnn.GRUCell(2), x)
        with pytest.raises(ValueError, match="dynamic_rnn needs inputs of rank 3"):
            rnn.dynamic_rnn(rnn.GRUCell(2), x[0], dtype=tf.float32)
        with pytest.raises(ValueError, match=r"bias must be 1-D \(a GRU with reset_after"):
            rnn.gru_from_keras(np.zeros((3, 6)), np.zeros((2, 6)), np.zeros((2, 6)))


# -- the rest of TF1's API: what the oracle (tests/test_rnn_oracle.py) cannot see ----------------


def test_num_units_takes_numpy_integers_and_names_a_bad_value():
    with tf.Graph().as_default():
        cell = rnn.GRUCell(np.int64(3))
        assert cell.state_size == 3 and type(cell.state_size) is int
        assert rnn.LSTMCell(4, num_proj=np.int32(2)).state_size == rnn.LSTMStateTuple(4, 2)
        for bad in (0, -2, 2.5, True, "8", None):
            with pytest.raises(ValueError, match=rf"num_units must be a positive integer\. "
                                                 rf"Received: num_units={bad!r}$"):
                rnn.BasicRNNCell(bad)
        with pytest.raises(ValueError, match=r"Received: num_proj=0$"):
            rnn.LSTMCell(3, num_proj=0)


def test_a_wrong_state_structure_is_named_in_one_line():
    with tf.Graph().as_default():
        x = tf.zeros((2, DEPTH))
        lstm = rnn.LSTMCell(UNITS)
        with pytest.raises(ValueError, match=r"LSTMCell needs its state structured as its "
                                             r"state_size LSTMStateTuple\(c=5, h=5\)\. Received: "
                                             r"state=<float32 \(2, 5\)>$"):
            lstm(x, tf.zeros((2, UNITS)))
        with pytest.raises(ValueError, match=r"each part of its state of shape \(batch, \*\[5\]\)"
                                             r"\. Received: state=\(<float32 \(2, 4\)>"):
            lstm(x, (tf.zeros((2, 4)), tf.zeros((2, 4))))
        multi = rnn.MultiRNNCell([rnn.GRUCell(2), rnn.GRUCell(3)])
        with pytest.raises(ValueError, match=r"MultiRNNCell needs its state structured as its "
                                             r"state_size \(2, 3\)"):
            multi(x, tf.zeros((2, 2)))
        with pytest.raises(ValueError, match=r"GRUCell needs its initial_state structured as its "
                                             r"state_size 2\. Received: initial_state=\(<"):
            rnn.dynamic_rnn(rnn.GRUCell(2), tf.zeros((2, 3, DEPTH)),
                            initial_state=(tf.zeros((2, 2)), tf.zeros((2, 2))))
        assert v1.global_variables() == []  # nothing was made before the checks


def test_inputs_of_unknown_depth_or_wrong_kind_are_named():
    with tf.Graph().as_default():
        unknown = v1.placeholder(tf.float32, (None, None))
        with pytest.raises(ValueError, match=r"GRUCell needs inputs whose last dimension is "
                                             r"known\. Received: inputs.shape=\(None, None\)$"):
            rnn.GRUCell(2)(unknown, tf.zeros((1, 2)))
        with pytest.raises(ValueError, match=r"dynamic_rnn needs inputs whose depth is known\. "
                                             r"Received: inputs.shape=\(None, None, None\)$"):
            rnn.dynamic_rnn(rnn.GRUCell(2), v1.placeholder(tf.float32, (None, None, None)),
                            dtype=tf.float32)
        with pytest.raises(ValueError, match=r"static_rnn needs inputs whose depth is known"):
            rnn.static_rnn(rnn.GRUCell(2), [unknown], dtype=tf.float32)
        with pytest.raises(ValueError, match=r"static_rnn needs its inputs as a non-empty list"):
            rnn.static_rnn(rnn.GRUCell(2), [], dtype=tf.float32)
        with pytest.raises(ValueError, match=r"BasicRNNCell needs floating inputs\. Received: "
                                             r"inputs.dtype=int32$"):
            rnn.BasicRNNCell(2)(tf.zeros((1, 3), tf.int32), tf.zeros((1, 2), tf.int32))
        with pytest.raises(ValueError, match=r"cell must be an RNNCell \(it lacks output_size, "
                                             r"state_size, zero_state, __call__\)"):
            rnn.dynamic_rnn(object(), tf.zeros((1, 2, 3)), dtype=tf.float32)
        with pytest.raises(ValueError, match=r"activation must be a callable or one of"):
            rnn.GRUCell(2, activation="swishy")


def test_wrapper_and_stack_mistakes_are_named():
    from tf1_compat.contrib import rnn as contrib_rnn

    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"input_keep_prob must be between 0 and 1\. "
                                             r"Received: input_keep_prob=1.5$"):
            rnn.DropoutWrapper(rnn.GRUCell(2), input_keep_prob=1.5)
        with pytest.raises(ValueError, match=r"variational_recurrent=True\) needs a dtype"):
            rnn.DropoutWrapper(rnn.GRUCell(2), variational_recurrent=True)
        with pytest.raises(ValueError, match=r"input_keep_prob < 1 needs input_size"):
            rnn.DropoutWrapper(rnn.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True,
                               dtype=tf.float32)
        with pytest.raises(ValueError, match=r"ResidualWrapper needs the cell's output of its "
                                             r"inputs' shape\. Received: inputs.shape=\(1, 3\), "
                                             r"output.shape=\(1, 2\)$"):
            rnn.ResidualWrapper(rnn.GRUCell(2))(tf.zeros((1, 3)), tf.zeros((1, 2)))
        with pytest.raises(ValueError, match=r"MultiRNNCell needs a non-empty list of cells"):
            rnn.MultiRNNCell([])
        with pytest.raises(ValueError, match=r"state_is_tuple=False\) needs cells whose states"):
            rnn.MultiRNNCell([rnn.LSTMCell(2)], state_is_tuple=False)
        with pytest.raises(ValueError, match=r"cells_fw and cells_bw must have as many layers"):
            contrib_rnn.stack_bidirectional_dynamic_rnn([rnn.GRUCell(2)], [rnn.GRUCell(2)] * 2,
                                                        tf.zeros((1, 2, 3)))


def test_a_subclass_of_rnncell_runs_as_in_tf1(rng):
    """TF1's way to write a cell: `state_size`, `output_size`, `call` with `get_variable`."""
    class Scaled(rnn.RNNCell):
        @property
        def state_size(self):
            return 2

        @property
        def output_size(self):
            return 2

        def call(self, inputs, state):
            w = v1.get_variable("w", (inputs.shape[-1], 2))
            new = tf.tanh(tf.matmul(inputs, w) + state)
            return new, new

    x = sequences(rng)
    g = tf.Graph()
    with g.as_default():
        cell = Scaled()
        outputs, state = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
        assert names(v1.global_variables()) == ["rnn/scaled/w"] == names(cell.trainable_weights)
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as s:
        s.run(init)
        (w,) = s.run(cell.variables)
        out, last = s.run([outputs, state])
    h = np.zeros((BATCH, 2), np.float32)
    for t in range(STEPS):
        h = np.tanh(x[:, t] @ w + h)
        np.testing.assert_allclose(out[:, t], h, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(last, out[:, -1])


def test_cells_and_dynamic_rnn_run_eagerly(rng):
    """Outside a graph (inside a TF1StyleLayer, say) the same calls compute the same numbers."""
    x = sequences(rng)
    weights = random_weights(rng, [(DEPTH + UNITS, 4 * UNITS), (4 * UNITS,)])
    lengths = np.array([12, 5, 1, 8])
    want, want_state, _ = run_tf1(lambda: rnn.LSTMCell(UNITS), x, weights,
                                  sequence_length=lengths)
    cell = rnn.LSTMCell(UNITS)
    cell(tf.constant(x[:, 0]), cell.zero_state(BATCH, tf.float32))  # builds it
    for variable, value in zip(cell.variables, weights):
        variable.assign(value)
    out, state = rnn.dynamic_rnn(cell, tf.constant(x), sequence_length=lengths,
                                 dtype=tf.float32)
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(state.h.numpy(), want_state.h, rtol=0, atol=1e-6)
