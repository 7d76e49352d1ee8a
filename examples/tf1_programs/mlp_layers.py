"""A TF 1.x tutorial's MLP: placeholders, tf.layers.dense (in a module beside it), feed_dict.

    python -m tf1_compat mlp_layers.py STEPS
"""
import json
import sys

import mlp_helpers
import numpy as np
import tensorflow as tf

steps = int(sys.argv[1])
rng = np.random.RandomState(0)
x_data = rng.normal(size=(64, 5)).astype(np.float32)
y_data = (x_data @ np.array([1.0, -2.0, 0.5, 0.3, -1.0]) > 0).astype(np.float32)[:, None]

tf.set_random_seed(1)
x = tf.placeholder(tf.float32, [None, 5], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
logits = mlp_helpers.mlp(x, [16, 8])
loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(steps):
        start = step * 16 % 64
        feed = {x: x_data[start:start + 16], y: y_data[start:start + 16]}
        _, loss_value = sess.run([train_op, loss], feed_dict=feed)
    print("final loss", repr(float(loss_value)))
    print(json.dumps({"argv": sys.argv, "name": __name__, "path0": sys.path[0],
                      "file": __file__, "eager": tf.executing_eagerly(),
                      "variables": [v.op.name for v in tf.trainable_variables()]}))
