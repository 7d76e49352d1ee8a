"""TF1 recurrent programs, run against two `rnn` APIs: the real one (tf_keras's legacy
`tf.compat.v1.nn.rnn_cell.*`, alive only with `TF_USE_LEGACY_KERAS=1` set before TensorFlow is
imported, so in a process of its own, and TensorFlow's own `tf.compat.v1.nn.static_rnn`,
`dynamic_rnn`, ...) and the drop-in `tf1_compat.rnn`.

    python tests/rnn_program.py OUT_DIR     # with TF_USE_LEGACY_KERAS=1: the oracle's side

writes `OUT_DIR/structure.json` and `OUT_DIR/arrays.npz`, which `run_all(tf1_compat.rnn)`
returns in the test process (tests/test_rnn_oracle.py compares the two). The same code runs
against whichever API it is handed (`legacy_api()`, `dropin_api()`); contrib is gone from the
oracle, so its stacked RNNs are composed there from the real bidirectional functions as
contrib's source did (`contrib_stack`).

Each case builds one graph: its inputs `x` (batch, time, depth; the batch unknown), `lengths`
(one per example, a 0 among them), the cells and the function under test, a loss over every
output and final state, and plain gradient descent. Every variable is then loaded with
`start_value(name)` (uniform in +-0.5, a draw of its own per name), and the case records the
variables (name, shape, dtype, collection), the outputs and final states, and every variable
and the loss after `STEPS` steps.
"""

from __future__ import annotations

import json
import os
import sys
import types
import zlib

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

BATCH, TIME, DEPTH = 4, 6, 3
LENGTHS = np.array([6, 2, 0, 4], np.int32)
STEPS = 3
CELLS = ("BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
         "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "ResidualWrapper")
FUNCTIONS = ("bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn",
             "static_rnn")


def start_value(name, shape, dtype=np.float32):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return rng.uniform(-0.5, 0.5, size=shape).astype(dtype)


def inputs():
    return np.random.default_rng(0).normal(size=(BATCH, TIME, DEPTH)).astype(np.float32)


def steps(x):
    return tf.unstack(x, axis=1)


# -- the cases: (rnn, x, lengths) -> (outputs, final state, the cell whose weights are listed) ---


def lstm(rnn, x, lengths):
    cell = rnn.LSTMCell(5)
    return (*rnn.dynamic_rnn(cell, x, dtype=tf.float32), cell)


def lstm_options(rnn, x, lengths):
    cell = rnn.LSTMCell(5, use_peepholes=True, cell_clip=0.3, num_proj=3, proj_clip=0.2,
                        forget_bias=0.7)
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32), cell)


def lstm_flat_time_major(rnn, x, lengths):
    cell = rnn.LSTMCell(np.int64(4), use_peepholes=True, num_proj=3, state_is_tuple=False,
                        activation=tf.nn.softsign)
    outputs, state = rnn.dynamic_rnn(cell, tf.transpose(x, (1, 0, 2)), sequence_length=lengths,
                                     dtype=tf.float32, time_major=True)
    return outputs, state, cell


def lstm_shards(rnn, x, lengths):
    cell = rnn.LSTMCell(4, num_proj=3, num_unit_shards=2, num_proj_shards=2)
    return (*rnn.dynamic_rnn(cell, x, dtype=tf.float32), cell)


def lstm_float64(rnn, x, lengths):
    cell = rnn.LSTMCell(3, initializer=v1.constant_initializer(0.1))
    return (*rnn.dynamic_rnn(cell, tf.cast(x, tf.float64), dtype=tf.float64), cell)


def basic_lstm(rnn, x, lengths):
    cell = rnn.BasicLSTMCell(5, forget_bias=0.5)
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32), cell)


def basic_lstm_flat_static(rnn, x, lengths):
    cell = rnn.BasicLSTMCell(4, state_is_tuple=False, activation=tf.nn.relu)
    return (*rnn.static_rnn(cell, steps(x), dtype=tf.float32), cell)


def gru(rnn, x, lengths):
    cell = rnn.GRUCell(5)
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32), cell)


def gru_initial_state(rnn, x, lengths):
    cell = rnn.GRUCell(4, kernel_initializer=v1.constant_initializer(0.2),
                       bias_initializer=v1.constant_initializer(0.3))
    start = tf.tanh(x[:, 0, :1] * tf.ones([1, 4]))
    return (*rnn.dynamic_rnn(cell, x, initial_state=start), cell)


def basic_rnn(rnn, x, lengths):
    cell = rnn.BasicRNNCell(5, activation=tf.nn.relu, name="plain")
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32,
                             scope="encoder"), cell)


def multi(rnn, x, lengths):
    cell = rnn.MultiRNNCell([rnn.LSTMCell(5), rnn.GRUCell(4), rnn.BasicRNNCell(3)])
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32), cell)


def multi_flat_static(rnn, x, lengths):
    cell = rnn.MultiRNNCell([rnn.GRUCell(4), rnn.BasicRNNCell(3)], state_is_tuple=False)
    return (*rnn.static_rnn(cell, steps(x), dtype=tf.float32, sequence_length=lengths), cell)


def dropout(rnn, x, lengths):
    cell = rnn.DropoutWrapper(rnn.LSTMCell(5), input_keep_prob=0.8, output_keep_prob=0.7,
                              state_keep_prob=0.6, seed=3)
    # one step at a time: the input masks of later steps need nothing of earlier ones, so with
    # parallel iterations the steps may take their draws from the op's stream in any order
    return (*rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32,
                             parallel_iterations=1), cell)


def dropout_variational(rnn, x, lengths):
    cell = rnn.DropoutWrapper(rnn.GRUCell(5), input_keep_prob=0.8, output_keep_prob=0.7,
                              state_keep_prob=0.6, variational_recurrent=True,
                              input_size=DEPTH, dtype=tf.float32, seed=5)
    return (*rnn.dynamic_rnn(cell, x, dtype=tf.float32), cell)


def dropout_over_multi(rnn, x, lengths):
    inner = rnn.MultiRNNCell([rnn.DropoutWrapper(rnn.LSTMCell(4), output_keep_prob=0.7, seed=1),
                              rnn.ResidualWrapper(rnn.LSTMCell(4)), rnn.GRUCell(4)])
    cell = rnn.DropoutWrapper(inner, state_keep_prob=0.5, seed=2)
    return (*rnn.static_rnn(cell, steps(x), dtype=tf.float32), cell)


def residual_and_device(rnn, x, lengths):
    cell = rnn.ResidualWrapper(rnn.GRUCell(DEPTH))
    outputs, state = rnn.static_rnn(cell, steps(x), dtype=tf.float32, sequence_length=lengths)
    on_cpu = rnn.DeviceWrapper(rnn.BasicRNNCell(3), "/cpu:0")
    more, more_state = rnn.dynamic_rnn(on_cpu, x, dtype=tf.float32, scope="dev")
    return (outputs, more), (state, more_state), cell


def static(rnn, x, lengths):
    cell = rnn.LSTMCell(5)
    outputs, state = rnn.static_rnn(cell, steps(x), dtype=tf.float32)
    again, again_state = rnn.static_rnn(rnn.LSTMCell(3), steps(x), dtype=tf.float32,
                                        sequence_length=lengths, scope="lengths")
    return (outputs, again), (state, again_state), cell


def static_bidirectional(rnn, x, lengths):
    fw, bw = rnn.LSTMCell(4), rnn.GRUCell(3)
    outputs, state_fw, state_bw = rnn.static_bidirectional_rnn(
        fw, bw, steps(x), dtype=tf.float32, sequence_length=lengths)
    plain = rnn.static_bidirectional_rnn(rnn.BasicRNNCell(2), rnn.BasicRNNCell(2), steps(x),
                                         dtype=tf.float32, scope="plain")
    return (outputs, plain[0]), (state_fw, state_bw, plain[1:]), fw


def bidirectional(rnn, x, lengths):
    fw, bw = rnn.LSTMCell(4), rnn.GRUCell(3)
    outputs, states = rnn.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=lengths,
                                                    dtype=tf.float32)
    return outputs, states, bw


def bidirectional_time_major(rnn, x, lengths):
    fw, bw = rnn.BasicLSTMCell(3), rnn.BasicRNNCell(2)
    start = rnn.LSTMStateTuple(tf.zeros([tf.shape(x)[0], 3]) + 0.1, tf.tanh(x[:, 0, :1]) * 0.5
                               * tf.ones([1, 3]))
    outputs, states = rnn.bidirectional_dynamic_rnn(
        fw, bw, tf.transpose(x, (1, 0, 2)), initial_state_fw=start, dtype=tf.float32,
        time_major=True, scope="birnn")
    return outputs, states, fw


def scopes(rnn, x, lengths):
    """Cells called directly: TF1's automatic names, `name=`, `scope=`, `reuse=True`."""
    x0 = x[:, 0]
    zero = rnn.LSTMCell(3).zero_state(tf.shape(x)[0], tf.float32)
    first = rnn.LSTMCell(3)
    outs = [first(x0, zero)[0], rnn.LSTMCell(3)(x0, zero)[0], rnn.LSTMCell(3, name="mine")(
        x0, zero)[0], rnn.LSTMCell(3, reuse=True)(x0, zero)[0]]
    gru_cell = rnn.GRUCell(3)
    outs.append(gru_cell(x0, tf.zeros([tf.shape(x)[0], 3]), scope="custom")[0])
    with v1.variable_scope("outer"):
        stacked = rnn.MultiRNNCell([rnn.BasicRNNCell(2), rnn.BasicRNNCell(2)])
        outs.append(stacked(x0, stacked.zero_state(tf.shape(x)[0], tf.float32))[0])
    outs.append(first(x[:, 1], zero)[0])  # the same cell again: its own variables
    return outs, (), first


def stacked(rnn, x, lengths):
    cells_fw, cells_bw = [rnn.LSTMCell(3), rnn.GRUCell(2)], [rnn.GRUCell(3), rnn.LSTMCell(2)]
    outputs, states_fw, states_bw = rnn.stack_bidirectional_dynamic_rnn(
        cells_fw, cells_bw, x, dtype=tf.float32, sequence_length=lengths)
    return outputs, (states_fw, states_bw), cells_fw[1]


def stacked_static(rnn, x, lengths):
    cells_fw = [rnn.BasicRNNCell(3), rnn.GRUCell(2)]
    cells_bw = [rnn.GRUCell(3), rnn.BasicRNNCell(2)]
    outputs, states_fw, states_bw = rnn.stack_bidirectional_rnn(
        cells_fw, cells_bw, steps(x), dtype=tf.float32, sequence_length=lengths)
    return outputs, (states_fw, states_bw), cells_bw[0]


CASES = {f.__name__: f for f in (
    lstm, lstm_options, lstm_flat_time_major, lstm_shards, lstm_float64, basic_lstm,
    basic_lstm_flat_static, gru, gru_initial_state, basic_rnn, multi, multi_flat_static, dropout,
    dropout_variational, dropout_over_multi, residual_and_device, static, static_bidirectional,
    bidirectional, bidirectional_time_major, scopes, stacked, stacked_static)}


# -- running a case ------------------------------------------------------------------------------


def _sizes(value):
    return [tf.TensorShape(s).as_list() for s in tf.nest.flatten(value)]


def describe(variables, cell):
    trainable = set(v1.trainable_variables())
    return {"variables": [{"name": v.op.name, "shape": v.shape.as_list(),
                           "dtype": v.dtype.base_dtype.name, "trainable": v in trainable}
                          for v in variables],
            "cell_weights": [v.op.name for v in cell.trainable_weights],
            "state_size": _sizes(cell.state_size), "output_size": _sizes(cell.output_size)}


def run_case(rnn, name, build, structure, arrays):
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, (None, TIME, DEPTH), name="x")
        lengths = v1.placeholder(tf.int32, (None,), name="lengths")
        outputs, state, cell = build(rnn, x, lengths)
        flat = tf.nest.flatten((outputs, state))
        loss = tf.add_n([tf.reduce_sum(tf.square(tf.cast(t, tf.float32) - 0.3)) for t in flat])
        train = v1.train.GradientDescentOptimizer(0.05).minimize(loss)
        variables = v1.global_variables()
        structure[name] = describe(variables, cell)
        init = v1.global_variables_initializer()
    feed = {x: inputs(), lengths: LENGTHS}
    with v1.Session(graph=g) as s:
        s.run(init)
        for v, value in zip(variables, s.run(variables)):
            arrays[f"{name}/init/{v.op.name}"] = value
            # what the deprecated `v.load(value, s)` runs: the initializer, its value fed
            s.run(v.initializer, {v.initializer.inputs[1]: start_value(v.op.name, value.shape,
                                                                       value.dtype)})
        for i, value in enumerate(s.run(flat, feed)):
            arrays[f"{name}/forward/{i}"] = value
        losses = [s.run([train, loss], feed)[1] for _ in range(STEPS)]
        arrays[f"{name}/losses"] = np.array(losses)
        for v, value in zip(variables, s.run(variables)):
            arrays[f"{name}/trained/{v.op.name}"] = value


def run_all(rnn):
    """Everything the oracle test compares: `(structure, arrays)`, JSON and numpy arrays."""
    structure, arrays = {}, {}
    for name, build in CASES.items():
        run_case(rnn, name, build, structure, arrays)
    return structure, arrays


def contrib_stack(bidirectional, dynamic):
    """`tf.contrib.rnn.stack_bidirectional_(dynamic_)rnn` as contrib's source composed them (the
    oracle keeps no contrib): `bidirectional` per layer in `stack_bidirectional_rnn/cell_<i>`,
    the static one scoped exactly there, the dynamic one in its own `bidirectional_rnn` below;
    each layer's outputs concatenated into the next one's inputs."""
    def stack(cells_fw, cells_bw, inputs, dtype=None, sequence_length=None):
        states_fw, states_bw, layer = [], [], inputs
        with v1.variable_scope("stack_bidirectional_rnn"):
            for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
                with v1.variable_scope(f"cell_{i}") as cell_scope:
                    if dynamic:
                        outputs, (state_fw, state_bw) = bidirectional(
                            cell_fw, cell_bw, layer, sequence_length=sequence_length,
                            dtype=dtype)
                        layer = tf.concat(outputs, 2)
                    else:
                        layer, state_fw, state_bw = bidirectional(
                            cell_fw, cell_bw, layer, sequence_length=sequence_length,
                            dtype=dtype, scope=cell_scope)
                states_fw.append(state_fw)
                states_bw.append(state_bw)
        return layer, tuple(states_fw), tuple(states_bw)
    return stack


def legacy_api():
    """The real API: the legacy cells and TensorFlow's own functions, under our names."""
    cells, nn = v1.nn.rnn_cell, v1.nn
    return types.SimpleNamespace(
        **{n: getattr(cells, n) for n in CELLS}, **{n: getattr(nn, n) for n in FUNCTIONS},
        stack_bidirectional_dynamic_rnn=contrib_stack(nn.bidirectional_dynamic_rnn, True),
        stack_bidirectional_rnn=contrib_stack(nn.static_bidirectional_rnn, False))


def dropin_api():
    """tf1_compat's: `tf1_compat.rnn`, and the stacked RNNs of `tf1_compat.contrib.rnn`."""
    from tf1_compat import rnn
    from tf1_compat.contrib import rnn as contrib_rnn

    return types.SimpleNamespace(
        **{n: getattr(rnn, n) for n in CELLS + FUNCTIONS},
        **{n: getattr(contrib_rnn, n) for n in ("stack_bidirectional_dynamic_rnn",
                                                "stack_bidirectional_rnn")})


def main(out_dir):
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        sys.exit("the oracle needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported")
    try:
        import tf_keras  # the legacy cells live there
    except ImportError:
        sys.exit("the oracle needs tf_keras (the dev extra: pip install -e '.[dev]')")
    rnn = legacy_api()
    assert rnn.LSTMCell.__module__.startswith("tf_keras."), rnn.LSTMCell.__module__
    structure, arrays = run_all(rnn)
    structure["tf_keras"] = tf_keras.__version__
    structure["modules"] = {n: getattr(rnn, n).__module__ for n in CELLS + FUNCTIONS}
    with open(os.path.join(out_dir, "structure.json"), "w") as f:
        json.dump(structure, f, indent=1)
    np.savez(os.path.join(out_dir, "arrays.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
