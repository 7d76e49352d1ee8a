"""Classify short sequences with an LSTM: `LSTMCell` + `dynamic_rnn`, the last step's output
into a dense layer, as TF1 programs did it in 2017.

The only lines changed from the original are the imports: `from tf1_compat import rnn` and
`layers` instead of `tf.compat.v1.nn.rnn_cell` / `tf.compat.v1.nn.dynamic_rnn` and
`tf.compat.v1.layers`. The sequences are synthetic.
"""

import keras
import numpy as np
import tensorflow as tf

from tf1_compat import layers, rnn  # was: tf.compat.v1.nn.rnn_cell, tf.compat.v1.layers

v1 = tf.compat.v1

INPUT_SHAPE = (6, 4)  # time steps, features
CLASSES = 5
NUM_UNITS = 8


def data(n, seed):
    """`n` sequences (float32, batch-major) and labels (int64): one mean sequence per class
    plus noise."""
    means = np.random.default_rng(2017).normal(size=(CLASSES,) + INPUT_SHAPE)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, size=n)
    sequences = means[labels] + rng.normal(scale=0.5, size=(n,) + INPUT_SHAPE)
    return sequences.astype(np.float32), labels.astype(np.int64)


def build(x, training):
    """The logits (batch, CLASSES). `training` changes nothing (no dropout). Variables:
    rnn/lstm_cell/kernel (4 + 8, 32), rnn/lstm_cell/bias (32,), dense/kernel (8, 5),
    dense/bias (5,)."""
    del training
    cell = rnn.LSTMCell(NUM_UNITS)
    outputs, _ = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
    last = outputs[:, -1, :]
    return layers.dense(last, CLASSES)


def train(checkpoint_prefix, steps=20, seed=0, log_dir=None, batch_size=32):
    """Train with Adam on synthetic data, save a checkpoint; {"prefix", "losses", "variables"}."""
    sequences, labels = data(256, seed)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.float32, (None,) + INPUT_SHAPE, name="sequences")
        y = v1.placeholder(tf.int64, (None,), name="labels")
        logits = build(x, True)
        loss = v1.reduce_mean(v1.nn.softmax_cross_entropy_with_logits_v2(
            labels=tf.one_hot(y, CLASSES), logits=logits))
        train_op = v1.train.AdamOptimizer(1e-2).minimize(loss)
        saver = v1.train.Saver()
        variables = {v.op.name: v.shape.as_list() for v in v1.global_variables()}
        with v1.Session(graph=graph) as sess:
            writer = v1.summary.FileWriter(log_dir, sess.graph) if log_dir else None
            sess.run(v1.global_variables_initializer())
            losses = []
            for step in range(steps):
                start = (step * batch_size) % len(sequences)
                _, value = sess.run([train_op, loss], {x: sequences[start:start + batch_size],
                                                       y: labels[start:start + batch_size]})
                losses.append(float(value))
            if writer:
                writer.close()
            prefix = saver.save(sess, checkpoint_prefix)
    return {"prefix": prefix, "losses": losses, "variables": variables}


# -- Keras 3 ports --------------------------------------------------------------------------------


def keras_model():
    """The right port: `LSTM(units)` (tanh, sigmoid gates; its last output) into `Dense`.
    TF1's forget_bias 1.0 belongs in the converted bias, not here."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.LSTM(NUM_UNITS),
        keras.layers.Dense(CLASSES),
    ])


def keras_model_hard_sigmoid():
    """WRONG: `recurrent_activation="hard_sigmoid"`, Keras 2's old default, where TF1's
    LSTMCell gates with a true sigmoid."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.LSTM(NUM_UNITS, recurrent_activation="hard_sigmoid"),
        keras.layers.Dense(CLASSES),
    ])


if __name__ == "__main__":  # the program as its author ran it: python PROGRAM.py PREFIX [STEPS]
    import sys

    result = train(sys.argv[1], steps=int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    print(f"loss {result['losses'][0]:.4f} -> {result['losses'][-1]:.4f}; saved "
          f"{result['prefix']}")
