"""The activations of the notes (C06) as TF1 graph ops.

Twins of the same names in `tfmodels/keras_track/activations.py`.

`randomized_relu` takes a `training` switch (a Python bool or a boolean tensor, such as a
`placeholder_with_default`), and `swish` can make its beta a `get_variable` that trains.
"""

from __future__ import annotations

import tensorflow as tf

from tfmodels.core.checks import check_slopes

__all__ = [
    "step", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softmax", "randomized_relu",
    "TF1_ACTIVATIONS",
]

v1 = tf.compat.v1


def step(x):
    """1 where `x > 0`, else 0. `tf.gradients` finds no path through it (None)."""
    return tf.cast(x > 0, x.dtype)


def sigmoid(x):
    return tf.nn.sigmoid(x)


def tanh(x):
    return tf.nn.tanh(x)


def relu(x):
    return tf.nn.relu(x)


def leaky_relu(x, alpha=0.2):
    return tf.nn.leaky_relu(x, alpha=alpha)


def swish(x, beta=1.0, trainable=False, name="swish"):
    """`x * sigmoid(beta * x)`; with `trainable`, beta is `<name>/beta` from `get_variable`."""
    if trainable:
        with v1.variable_scope(name):
            beta = v1.get_variable("beta", shape=(), dtype=x.dtype,
                                   initializer=v1.constant_initializer(beta))
    return x * tf.nn.sigmoid(tf.cast(beta, x.dtype) * x)


def softmax(x):
    """Rows that sum to 1; `tf.nn.softmax` subtracts each row's max before `exp`."""
    return tf.nn.softmax(x, axis=-1)


def randomized_relu(x, lower=1 / 8, upper=1 / 3, training=False, seed=None, *,
                    keras_seed=None, name="randomized_relu"):
    """A slope from U(lower, upper) per element while `training`, the mean slope otherwise.

    With `keras_seed=s` the slopes are the ones the Keras track's `RandomizedReLU(seed=s)` draws,
    call for call: Keras's `uniform` is `tf.random.stateless_uniform` seeded by its
    SeedGenerator state `[s, n]` (cast as `floormod(., 2**31 - 2)` to int32), `n` counting the
    training calls; here `n` is the variable `<name>/seed_counter` (saved by a `Saver`), as
    `tf1_compat.layers.dropout(keras_seed=)` keeps its own.
    """
    lower, upper = check_slopes(lower, upper)

    def drawn():
        if keras_seed is None:
            return v1.random_uniform(tf.shape(x), lower, upper, dtype=x.dtype, seed=seed)
        with v1.variable_scope(name, reuse=v1.AUTO_REUSE):
            counter = v1.get_variable("seed_counter", (), tf.int64, v1.zeros_initializer(),
                                      trainable=False, use_resource=True)
        count = counter.read_value()
        with tf.control_dependencies([count]):
            advance = counter.assign_add(1, read_value=False)
        state = tf.stack([tf.constant(keras_seed, tf.int64), count])
        seeds = tf.cast(tf.math.floormod(state, tf.int32.max - 1), tf.int32)
        slopes = tf.random.stateless_uniform(tf.shape(x), seed=seeds,
                                             minval=tf.cast(lower, x.dtype),
                                             maxval=tf.cast(upper, x.dtype), dtype=x.dtype)
        with tf.control_dependencies([advance]):
            return tf.identity(slopes)

    def mean():
        return tf.fill(tf.shape(x), tf.cast((lower + upper) / 2, x.dtype))

    slope = tf.cond(tf.convert_to_tensor(training), drawn, mean)
    return tf.where(x >= 0, x, slope * x)


# The same kernels Keras's TensorFlow backend calls for these activations.
TF1_ACTIVATIONS = {
    "linear": tf.identity,
    "relu": tf.nn.relu,
    "sigmoid": tf.nn.sigmoid,
    "softmax": tf.nn.softmax,
    "tanh": tf.nn.tanh,
}
