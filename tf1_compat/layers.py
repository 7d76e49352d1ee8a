"""A dense layer made of two variables, the TF1 way (C19, C21)."""

from __future__ import annotations

import tensorflow as tf

v1 = tf.compat.v1

# The same kernels Keras's TensorFlow backend calls for these activations.
ACTIVATIONS = {
    "linear": tf.identity,
    "relu": tf.nn.relu,
    "sigmoid": tf.nn.sigmoid,
    "softmax": tf.nn.softmax,
    "tanh": tf.nn.tanh,
}


def dense(inputs, units: int, activation: str = "linear", name: str = "dense", seed=None):
    """`activation(inputs @ kernel + bias)`; returns `(outputs, logits)`.

    The kernel and bias come from `get_variable` inside `variable_scope(name)`, so they are named
    `<name>/kernel` and `<name>/bias` and can be shared with `reuse`. The bias is added the way
    Keras's TensorFlow backend adds it: `bias_add`, except for a single unit, where Keras falls
    back to a broadcasting `+`. The two ops round their gradients differently in the last bit.
    """
    with v1.variable_scope(name):
        kernel = v1.get_variable(
            "kernel",
            shape=(inputs.shape[-1], units),
            dtype=inputs.dtype,
            initializer=v1.glorot_uniform_initializer(seed=seed),
        )
        bias = v1.get_variable(
            "bias", shape=(units,), dtype=inputs.dtype, initializer=v1.zeros_initializer()
        )
        z = tf.matmul(inputs, kernel)
        logits = tf.nn.bias_add(z, bias) if units > 1 else z + bias
        return ACTIVATIONS[activation](logits), logits
