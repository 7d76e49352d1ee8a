"""The TF1 basics of the notes (C15-C21), each a small function that builds and runs a graph.

    graph -> tf.constant / placeholder / variables -> global_variables_initializer ->
    Session.run(fetch or (fetches, ...), feed_dict)

Twin of `tfmodels/keras_track/basics.py`, function for function (the same in eager Keras).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tf1_compat.model import keras_dense
from tfmodels.core.data import LAYOUTS
from tfmodels.core.errors import UserError

__all__ = [
    "example", "to_channels_first", "neuron_outputs", "run_constants", "run_placeholder",
    "variable_and_get_variable", "get_variable_without_reuse", "initialised_value",
    "train_logits_layer",
]

v1 = tf.compat.v1


def example(layout: str, dtype="float32"):
    """C16: zeros in a named layout (`tfmodels.core.data.LAYOUTS`), made by a graph's
    `tf.zeros` and run in a Session."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        return sess.run(tf.zeros(LAYOUTS[layout], dtype=dtype))


def to_channels_first(images):
    """(samples, h, w, c) -> (samples, c, h, w) with `tf.transpose` on a placeholder."""
    images = np.asarray(images)
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.as_dtype(images.dtype), (None, *images.shape[1:]), name="images")
        first = tf.transpose(x, (0, 3, 1, 2))
        with v1.Session(graph=graph) as sess:
            return sess.run(first, {x: images})


def neuron_outputs(inputs, weights, biases):
    """C02 in a graph: `matvec(weights, inputs) + biases` for one sample, and
    `matmul(inputs, weights, transpose_b=True) + biases` for a batch."""
    inputs, weights = np.asarray(inputs), np.asarray(weights)
    with tf.Graph().as_default() as graph:
        x, w = tf.constant(inputs), tf.constant(weights)
        if inputs.ndim == 1:
            out = tf.linalg.matvec(w, x) + biases
        else:
            out = tf.matmul(x, w, transpose_b=True) + biases
        with v1.Session(graph=graph) as sess:
            return sess.run(out)


def run_constants():
    """C17: `tf.constant`s in a graph; `sess.run` of one tensor, and of a tuple of tensors.

    Nothing is computed until the Session runs the graph; `run` returns NumPy values shaped
    like the fetches.
    """
    with tf.Graph().as_default() as graph:
        a, b = tf.constant(2.0, name="a"), tf.constant([[1.0, 2.0], [3.0, 4.0]], name="b")
        product = a * b
        with v1.Session(graph=graph) as sess:
            return product, sess.run(product), sess.run((a, tf.reduce_sum(b)))


def run_placeholder(batches):
    """C18: `placeholder(float32, shape=(None, 3))` takes a batch of any size through
    `feed_dict`; returns each batch's row sums."""
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.float32, shape=(None, 3), name="x")
        row_sums = tf.reduce_sum(x, axis=1)
        with v1.Session(graph=graph) as sess:
            return x, [sess.run(row_sums, feed_dict={x: batch}) for batch in batches]


def variable_and_get_variable():
    """C19: two `tf.Variable`s of one name are two variables (the second is renamed `w_1`);
    `get_variable` under `reuse=True` or `AUTO_REUSE` hands back the variable already made.
    """
    with tf.Graph().as_default():
        first, second = tf.Variable(1.0, name="w"), tf.Variable(1.0, name="w")
        with v1.variable_scope("layer"):
            made = v1.get_variable("w", shape=(2,), initializer=v1.ones_initializer())
        with v1.variable_scope("layer", reuse=True):
            reused = v1.get_variable("w")
        with v1.variable_scope("layer", reuse=v1.AUTO_REUSE):
            auto = v1.get_variable("w", shape=(2,))
        return (first, second), (made, reused, auto)


def get_variable_without_reuse():
    """C19: asking `get_variable` for an existing name without reuse raises TF's ValueError."""
    with tf.Graph().as_default():
        with v1.variable_scope("layer"):
            v1.get_variable("w", shape=(2,))
        with v1.variable_scope("layer"):
            v1.get_variable("w", shape=(2,))  # raises


def initialised_value():
    """C20: a variable has no value until `global_variables_initializer` has run; reading it
    first raises `FailedPreconditionError`. Returns (the error, the value after init)."""
    with tf.Graph().as_default() as graph:
        w = v1.get_variable("w", shape=(2,), initializer=v1.constant_initializer(0.5))
        with v1.Session(graph=graph) as sess:
            try:
                sess.run(w)
                error = None
            except tf.errors.FailedPreconditionError as e:
                error = e
            sess.run(v1.global_variables_initializer())
            return error, sess.run(w)


def train_logits_layer(x, labels, optimizer="gradient_descent", steps=50, learning_rate=0.5,
                       weights=None):
    """C21: a dense "logits" layer from variables, the loss on the logits, and an optimizer's
    `minimize`; returns the loss before each step. `weights` (kernel, bias) sets the start."""
    with tf.Graph().as_default() as graph:
        xs = v1.placeholder(tf.float32, (None, x.shape[1]), name="x")
        ys = v1.placeholder(tf.float32, (None, labels.shape[1]), name="y")
        _, logits = keras_dense(xs, labels.shape[1], "linear", "logits", seed=0)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        make = {"gradient_descent": v1.train.GradientDescentOptimizer,
                "adam": v1.train.AdamOptimizer}[optimizer]
        train_op = make(learning_rate).minimize(loss)
        variables = v1.trainable_variables()  # logits/kernel, logits/bias
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            if weights is not None:
                for v, w in zip(variables, weights):
                    v.load(w, sess)
            return [sess.run((loss, train_op), {xs: x, ys: labels})[0] for _ in range(steps)]
