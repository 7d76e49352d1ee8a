"""Lesson 10: TF1's graph and Session (C15, C17-C22).

A graph is built first and run later: constants, placeholders with `None` for the batch size,
variables (and how `get_variable` shares them), the initializer, a logits layer trained by
`minimize`, and a FileWriter that puts the graph in TensorBoard.
"""

import os

import numpy as np
import tensorflow as tf

from tf1_compat import basics
from tfmodels.core.logs import new_run_dir
from tfmodels.lessons import lesson_args

args = lesson_args(__doc__)
v1 = tf.compat.v1

product, value, pair = basics.run_constants()
print("a graph tensor:", product)
print("sess.run(product) ->\n", value, "\nsess.run((a, sum(b))) ->", pair)

x, sums = basics.run_placeholder([np.ones((n, 3), np.float32) for n in (1, 4)])
print("placeholder", x.shape, "fed batches of 1 and 4 -> row sums", [s.tolist() for s in sums])

(first, second), (made, reused, auto) = basics.variable_and_get_variable()
print("tf.Variable twice:", first.name, second.name)
print("get_variable, reuse=True / AUTO_REUSE:", made.name, reused is made, auto is made)
try:
    basics.get_variable_without_reuse()
except ValueError as e:
    print("get_variable again without reuse ->", str(e).splitlines()[0])

error, initialised = basics.initialised_value()
print("read before the initializer ->", type(error).__name__, "| after ->", initialised)

rng = np.random.default_rng(0)
features = rng.normal(size=(100, 2)).astype(np.float32)
labels = np.eye(2, dtype=np.float32)[(features.sum(axis=1) > 0).astype(int)]
start = [rng.normal(0, 0.5, (2, 2)).astype(np.float32), np.zeros(2, np.float32)]  # kernel, bias
steps = 20 if args.quick else 100
for name in ("gradient_descent", "adam"):
    losses = basics.train_logits_layer(features, labels, name, steps, 0.1, weights=start)
    print(f"{name:16s} minimize: loss {losses[0]:.3f} -> {losses[-1]:.3f} in {steps} steps")

# C22: a FileWriter with the graph and a scalar summary, read by `tensorboard --logdir`.
run_dir = new_run_dir(args.logdir, "10_tf1_session_basics")
with tf.Graph().as_default() as graph:
    xs = v1.placeholder(tf.float32, (None, 2), name="x")
    total = tf.reduce_sum(xs, name="total")
    summary = v1.summary.scalar("total", total)
    with v1.Session() as sess:
        writer = v1.summary.FileWriter(run_dir, graph)
        for step in range(3):
            writer.add_summary(sess.run(summary, {xs: features[:step + 1]}), step)
        writer.close()
print(f"Logs: {os.path.join(run_dir)} (Graphs tab)")
print(f"tensorboard --logdir={args.logdir} --port=6006")
