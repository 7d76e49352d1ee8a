"""The TF1 basics of the notes (C15-C21), each a small function that builds and runs a graph.

    graph -> tf.constant / placeholder / variables -> global_variables_initializer ->
    Session.run(fetch or (fetches, ...), feed_dict)

Twin of `tfmodels/keras_track/basics.py` (tensors in eager Keras ops).
"""

from __future__ import annotations

import tensorflow as tf

v1 = tf.compat.v1


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


def train_logits_layer(x, labels, optimizer="gradient_descent", steps=50, learning_rate=0.5):
    """C21: a dense "logits" layer from variables, the loss on the logits, and an optimizer's
    `minimize`; returns the loss before each step."""
    from tf1_compat.layers import dense

    with tf.Graph().as_default() as graph:
        xs = v1.placeholder(tf.float32, (None, x.shape[1]), name="x")
        ys = v1.placeholder(tf.float32, (None, labels.shape[1]), name="y")
        _, logits = dense(xs, labels.shape[1], "linear", "logits", seed=0)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        make = {"gradient_descent": v1.train.GradientDescentOptimizer,
                "adam": v1.train.AdamOptimizer}[optimizer]
        train_op = make(learning_rate).minimize(loss)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            return [sess.run((loss, train_op), {xs: x, ys: labels})[0] for _ in range(steps)]
