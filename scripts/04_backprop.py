"""Lesson 4: backpropagation is the chain rule (C13).

The gradient of a 2-layer network's loss, three ways: by hand in NumPy (layer by layer,
backwards), by Keras's TensorFlow backend (`GradientTape`), and by a TF1 graph (`tf.gradients`).
"""

import numpy as np
import tensorflow as tf

from tf1_compat.model import dense
from tfmodels.core import reference as ref
from tfmodels.lessons import lesson_args, summary_writer

args = lesson_args(__doc__)
rng = np.random.default_rng(0)
x, y = rng.normal(size=(8, 2)), ref.one_hot(rng.integers(0, 3, 8), 3)
weights = [rng.normal(0, 0.5, s) for s in [(2, 4), (4,), (4, 3), (3,)]]

loss, by_hand = ref.mlp_loss_and_grads(weights, ["relu", "softmax"], x, y)

variables = [tf.Variable(w) for w in weights]
with tf.GradientTape() as tape:
    hidden = tf.nn.relu(x @ variables[0] + variables[1])
    logits = hidden @ variables[2] + variables[3]
    tape_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits))
by_tape = tape.gradient(tape_loss, variables)

with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    xs = tf.constant(x)
    h, _ = dense(xs, 4, "relu", "dense_0")
    _, z = dense(h, 3, "softmax", "dense_1")
    graph_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z))
    tf1_vars = tf.compat.v1.trainable_variables()
    grads = tf.gradients(graph_loss, tf1_vars)
    sess.run([v.assign(w) for v, w in zip(tf1_vars, weights)])
    by_graph = sess.run(grads)

print(f"loss: NumPy {loss:.12f}  tape {float(tape_loss):.12f}")
largest = 0.0
for name, a, b, c in zip(["W1", "b1", "W2", "b2"], by_hand, by_tape, by_graph):
    tape_diff, graph_diff = np.abs(a - b.numpy()).max(), np.abs(a - c).max()
    largest = max(largest, tape_diff, graph_diff)
    print(f"d loss / d {name}: largest difference NumPy-tape {tape_diff:.1e}, "
          f"NumPy-TF1 {graph_diff:.1e}")
# float64: the three ways round differently, but only in the last digits
print("the three gradients agree to 1e-12:", largest < 1e-12)

writer = summary_writer(args.logdir, "04_backprop")
with writer.as_default():
    for name, g in zip(["W1", "b1", "W2", "b2"], by_hand):
        tf.summary.histogram(f"gradients/{name}", g, step=0)
writer.flush()
print(f"Logs: {args.logdir}/04_backprop")
