"""The models of the README's `convert` examples and of tests/test_matching.py: TF1 programs and
the Keras 3 models they become.

The TF1 side is graph code as a user wrote it before Keras 3 (`tf1_compat.layers`, `tf1_compat.rnn`,
hand-made `get_variable`s); the Keras side is `module:factory` functions, named on the command line
as `examples/migrate_models.py:convnet`. Each `*_graph` function makes a TF1 program's variables in
the current graph, for `--tf1-graph`.
"""

import json
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from tf1_compat import layers, rnn

v1 = tf.compat.v1

IMAGE = (8, 8, 1)
STEPS, FEATURES = 5, 3


# -- TF1 programs: (inputs) -> logits, variables made in the current graph -----------------------


def convnet_tf1(x, training):
    """conv2d -> batch norm -> max pool -> flatten -> dense -> dense: `conv2d/kernel`,
    `batch_normalization/gamma`, ..., `dense/kernel`, `dense_1/kernel`, ..."""
    h = layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h = layers.batch_normalization(h, training=training)
    h = layers.max_pooling2d(h, 2, 2)
    h = layers.dense(layers.flatten(h), 16, activation=tf.nn.relu)
    return layers.dense(h, 3)


def lstm_tf1(x, training=False):
    """An LSTM over the time axis (`rnn/lstm_cell/kernel`, `bias`), its last output -> dense."""
    outputs, _ = rnn.dynamic_rnn(rnn.LSTMCell(6), x, dtype=tf.float32)
    return layers.dense(outputs[:, -1], 3)


def gru_tf1(x, training=False):
    """A GRU cell (`rnn/gru_cell/gates/kernel`, `gates/bias`, `candidate/kernel`, `bias`)."""
    outputs, _ = rnn.dynamic_rnn(rnn.GRUCell(6), x, dtype=tf.float32)
    return layers.dense(outputs[:, -1], 3)


def simple_rnn_tf1(x, training=False):
    """A basic RNN cell (`rnn/basic_rnn_cell/kernel` over `[x, h]`, `bias`)."""
    outputs, _ = rnn.dynamic_rnn(rnn.BasicRNNCell(6), x, dtype=tf.float32)
    return layers.dense(outputs[:, -1], 3)


def bidirectional_tf1(x, training=False):
    """TF1's own `bidirectional_dynamic_rnn` over two LSTM cells (`bidirectional_rnn/fw/
    lstm_cell/...`, `.../bw/...`): the forward pass's last output, the backward pass's first."""
    (fw, bw), _ = v1.nn.bidirectional_dynamic_rnn(rnn.LSTMCell(6), rnn.LSTMCell(6), x,
                                                  dtype=tf.float32)
    return layers.dense(tf.concat([fw[:, -1], bw[:, 0]], 1), 3)


def mlp_tf1(x, training=False, names=("W1", "b1", "W2", "b2", "W3", "b3"), out_bias=True):
    """A hand-written MLP, 4 -> 16 -> 16 -> 3, with names of the author's choosing."""
    def var(name, shape):
        init = v1.zeros_initializer() if len(shape) == 1 else v1.glorot_uniform_initializer()
        return v1.get_variable(name, shape, tf.float32, init)

    w1, b1, w2, b2, w3, b3 = names
    h = tf.nn.relu(tf.matmul(x, var(w1, (4, 16))) + var(b1, (16,)))
    h = tf.nn.relu(tf.matmul(h, var(w2, (16, 16))) + var(b2, (16,)))
    out = tf.matmul(h, var(w3, (16, 3)))
    return out + var(b3, (3,)) if out_bias else out


def ambiguous_tf1(x, training=False):
    """4 -> 16 -> 16 -> 16 -> 3 under names that say nothing of the order (`mid`, `top`)."""
    def var(name, shape):
        return v1.get_variable(name, shape, tf.float32, v1.glorot_uniform_initializer())

    h = tf.nn.relu(tf.matmul(x, var("enc_w", (4, 16))) + var("enc_b", (16,)))
    h = tf.nn.relu(tf.matmul(h, var("mid_w", (16, 16))) + var("mid_b", (16,)))
    h = tf.nn.relu(tf.matmul(h, var("top_w", (16, 16))) + var("top_b", (16,)))
    return tf.matmul(h, var("out_w", (16, 3))) + var("out_b", (3,))


def mlp_graph():
    """`--tf1-graph`: the variables of `mlp_tf1`, as its program makes them (with Adam's)."""
    x = v1.placeholder(tf.float32, (None, 4))
    loss = tf.reduce_mean(mlp_tf1(x) ** 2)
    v1.train.AdamOptimizer(0.01).minimize(loss)


def convnet_graph():
    """`--tf1-graph`: the variables of `convnet_tf1` (no optimizer)."""
    convnet_tf1(v1.placeholder(tf.float32, (None, *IMAGE)), training=False)


def lstm_graph():
    """`--tf1-graph`: the variables of `lstm_tf1` (no optimizer)."""
    lstm_tf1(v1.placeholder(tf.float32, (None, STEPS, FEATURES)))


def gru_graph():
    """`--tf1-graph`: the variables of `gru_tf1` (no optimizer)."""
    gru_tf1(v1.placeholder(tf.float32, (None, STEPS, FEATURES)))


# -- Keras 3 models (module:factory) -------------------------------------------------------------


def convnet(outputs=3):
    return keras.Sequential([
        keras.Input(IMAGE), keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(outputs)])


def lstm():
    return keras.Sequential([keras.Input((STEPS, FEATURES)), keras.layers.LSTM(6),
                             keras.layers.Dense(3)])


def gru(reset_after=False):
    return keras.Sequential([keras.Input((STEPS, FEATURES)),
                             keras.layers.GRU(6, reset_after=reset_after), keras.layers.Dense(3)])


def gru_reset_after():
    """Keras's default GRU: another cell than TF1's."""
    return gru(reset_after=True)


def simple_rnn():
    return keras.Sequential([keras.Input((STEPS, FEATURES)), keras.layers.SimpleRNN(6),
                             keras.layers.Dense(3)])


def bidirectional():
    return keras.Sequential([keras.Input((STEPS, FEATURES)),
                             keras.layers.Bidirectional(keras.layers.LSTM(6)),
                             keras.layers.Dense(3)])


def mlp(hidden=(16, 16), outputs=3):
    return keras.Sequential([keras.Input((4,)),
                             *(keras.layers.Dense(n, activation="relu") for n in hidden),
                             keras.layers.Dense(outputs)])


def mlp_of_one():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def mlp3():
    return mlp(hidden=(16, 16, 16))


def mlp_of_five():
    """`mlp` with 5 outputs where the TF1 program has 3: a shape that does not fit."""
    return mlp(outputs=5)


def not_a_model():
    return "a string"


def convnet_of_five():
    """`convnet` with 5 outputs where the TF1 program has 3: `dense_1/kernel` does not fit."""
    return convnet(outputs=5)


def lstm_in_tf1_style_layer():
    """The TF1 LSTM program itself inside a TF1StyleLayer: its weights keep TF1's names
    (`rnn/lstm_cell/kernel`, `bias`: the cell's two variables, not split as a Keras LSTM's)."""
    from tfmodels.migration import TF1StyleLayer

    return keras.Sequential([keras.Input((STEPS, FEATURES)), TF1StyleLayer(lstm_tf1)])


# -- the README's checkpoints: python examples/migrate_models.py FOLDER ---------------------------

# the programs whose checkpoints the README converts: folder name -> (program, input shape, kwargs)
PROGRAMS = {"convnet": (convnet_tf1, IMAGE, {}), "mlp": (mlp_tf1, (4,), {"out_bias": False}),
            "mid_top": (ambiguous_tf1, (4,), {})}
# which TF1 variable fills which of mlp3's weights where the names and shapes leave two readings
MID_TOP_MAP = {"dense/bias": "enc_b", "dense_1/kernel": "mid_w", "dense_1/bias": "mid_b",
               "dense_2/kernel": "top_w", "dense_2/bias": "top_b"}


def save_checkpoint(prefix, program, input_shape, steps=5, **kwargs):
    """Train `program` `steps` Adam steps on random data, as its author would have, and save it
    with a `Saver` at `prefix-<steps>` (its Adam slots and global step included)."""
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(32, *input_shape)).astype(np.float32)
    ys = rng.integers(0, 3, 32)
    with tf.Graph().as_default() as graph:
        v1.set_random_seed(1)
        x = v1.placeholder(tf.float32, (None, *input_shape))
        y = v1.placeholder(tf.int32, (None,))
        logits = program(x, True, **kwargs)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                              logits=logits))
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            step = v1.train.AdamOptimizer(0.05).minimize(
                loss, global_step=v1.train.get_or_create_global_step())
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            for _ in range(steps):
                session.run(step, {x: xs, y: ys})
            return v1.train.Saver().save(session, prefix, global_step=steps)


def main(folder):
    """Write `FOLDER/<program>/model.ckpt-5` for each of PROGRAMS and `FOLDER/map.json`."""
    for name, (program, input_shape, kwargs) in PROGRAMS.items():
        print(save_checkpoint(os.path.join(folder, name, "model.ckpt"), program, input_shape,
                              **kwargs))
    with open(os.path.join(folder, "map.json"), "w", encoding="utf-8") as f:
        json.dump(MID_TOP_MAP, f, indent=1)
    print(os.path.join(folder, "map.json"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs")
