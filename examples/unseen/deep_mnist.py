"""Deep MNIST for experts, shrunk: two conv/pool layers, a fully connected layer with dropout
and a readout layer, written the way TensorFlow's 2017 tutorial wrote it (`tf.Variable`s from
`weight_variable` / `bias_variable`, `tf.nn.conv2d` and `tf.nn.max_pool`).

The images are synthetic 12x12 "digits" (one noisy template per class); nothing is downloaded.
"""

import keras
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1

INPUT_SHAPE = (12, 12, 1)
CLASSES = 10
HIDDEN = 3 * 3 * 8  # the flattened conv output; the fully connected layer keeps it (square)


def data(n, seed):
    """`n` images (float32, NHWC) and their labels (int64): a fixed template per class plus
    noise drawn from `seed`."""
    templates = np.random.default_rng(2017).normal(size=(CLASSES,) + INPUT_SHAPE)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, size=n)
    images = templates[labels] + rng.normal(scale=0.5, size=(n,) + INPUT_SHAPE)
    return images.astype(np.float32), labels.astype(np.int64)


def weight_variable(shape):
    initial = tf.random.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)


def bias_variable(shape):
    initial = tf.constant(0.1, shape=shape)
    return tf.Variable(initial)


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build(x, training):
    """The logits (batch, CLASSES). Variables, in order: Variable (3, 3, 1, 4), Variable_1 (4,),
    Variable_2 (3, 3, 4, 8), Variable_3 (8,), Variable_4 (72, 72), Variable_5 (72,),
    Variable_6 (72, 10), Variable_7 (10,)."""
    W_conv1 = weight_variable([3, 3, 1, 4])
    b_conv1 = bias_variable([4])
    h_conv1 = tf.nn.relu(conv2d(x, W_conv1) + b_conv1)
    h_pool1 = max_pool_2x2(h_conv1)                      # 6x6x4

    W_conv2 = weight_variable([3, 3, 4, 8])
    b_conv2 = bias_variable([8])
    h_conv2 = tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2)
    h_pool2 = max_pool_2x2(h_conv2)                      # 3x3x8

    W_fc1 = weight_variable([HIDDEN, HIDDEN])
    b_fc1 = bias_variable([HIDDEN])
    h_pool2_flat = tf.reshape(h_pool2, [-1, HIDDEN])
    h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)

    if isinstance(training, bool):
        h_fc1_drop = tf.nn.dropout(h_fc1, rate=0.5) if training else h_fc1
    else:
        h_fc1_drop = tf.cond(training, lambda: tf.nn.dropout(h_fc1, rate=0.5), lambda: h_fc1)

    W_fc2 = weight_variable([HIDDEN, CLASSES])
    b_fc2 = bias_variable([CLASSES])
    return tf.matmul(h_fc1_drop, W_fc2) + b_fc2


def train(checkpoint_prefix, steps=20, seed=0, log_dir=None, batch_size=32):
    """Train with Adam on synthetic data, save a checkpoint; {"prefix", "losses", "variables"}."""
    images, labels = data(256, seed)
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder(tf.float32, (None,) + INPUT_SHAPE, name="x")
        y_ = v1.placeholder(tf.int64, (None,), name="y_")
        training = v1.placeholder_with_default(False, (), name="training")
        y_conv = build(x, training)
        cross_entropy = v1.losses.sparse_softmax_cross_entropy(labels=y_, logits=y_conv)
        train_step = v1.train.AdamOptimizer(1e-3).minimize(cross_entropy)
        v1.summary.scalar("cross_entropy", cross_entropy)
        merged = v1.summary.merge_all()
        saver = v1.train.Saver()
        variables = {v.op.name: v.shape.as_list() for v in v1.global_variables()}
        with v1.Session(graph=graph) as sess:
            writer = v1.summary.FileWriter(log_dir, sess.graph) if log_dir else None
            sess.run(v1.global_variables_initializer())
            losses = []
            for i in range(steps):
                start = (i * batch_size) % len(images)
                feed = {x: images[start:start + batch_size],
                        y_: labels[start:start + batch_size], training: True}
                _, loss, summary = sess.run([train_step, cross_entropy, merged], feed)
                losses.append(float(loss))
                if writer:
                    writer.add_summary(summary, i)
            if writer:
                writer.close()
            prefix = saver.save(sess, checkpoint_prefix)
    return {"prefix": prefix, "losses": losses, "variables": variables}


# -- Keras 3 ports --------------------------------------------------------------------------------


def keras_model():
    """The right port: the same layers in the order of the TF1 variables."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, 2, padding="same"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, 2, padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(HIDDEN, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(CLASSES),
    ])


class TransposedDense(keras.layers.Layer):
    """A hand-written dense layer that multiplies by `kernel` transposed (`x @ kernel.T`)."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        return self.activation(tf.matmul(x, self.kernel, transpose_b=True) + self.bias)


def keras_model_transposed():
    """WRONG: the fully connected layer computes `x @ W.T + b` (a custom layer, written from a
    paper's `W x + b`), not TF1's `x @ W + b`. Its kernel is square, so the weights still load."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, 2, padding="same"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, 2, padding="same"),
        keras.layers.Flatten(),
        TransposedDense(HIDDEN, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(CLASSES),
    ])


if __name__ == "__main__":  # the program as its author ran it: python PROGRAM.py PREFIX [STEPS]
    import sys

    result = train(sys.argv[1], steps=int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    print(f"loss {result['losses'][0]:.4f} -> {result['losses'][-1]:.4f}; saved "
          f"{result['prefix']}")
