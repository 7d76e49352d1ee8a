"""A TF1 program as tf_upgrade_v2 leaves it: every TF1 name spelled tf.compat.v1.*.

    python -m tf1_compat upgraded_v2.py STEPS
"""
import sys

import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1

rng = np.random.RandomState(1)
x_data = rng.normal(size=(32, 3)).astype(np.float32)
y_data = np.sin(x_data.sum(axis=1, keepdims=True))

tf.compat.v1.set_random_seed(5)
x = tf.compat.v1.placeholder(tf.float32, [None, 3])
y = tf1.placeholder(tf.float32, [None, 1])
init = tf.compat.v1.glorot_uniform_initializer(seed=6)
hidden = tf.compat.v1.layers.dense(x, 10, activation=tf.nn.tanh, kernel_initializer=init)
prediction = tf1.layers.dense(hidden, 1, kernel_initializer=init)
loss = tf.compat.v1.losses.mean_squared_error(y, prediction)
train_op = tf.compat.v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
assert tf.compat.v1.estimator.ModeKeys.PREDICT == "infer"
assert tf.compat.v1.nn.rnn_cell.LSTMCell is tf1.nn.rnn_cell.LSTMCell

with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for _ in range(int(sys.argv[1])):
        _, loss_value = sess.run([train_op, loss], {x: x_data, y: y_data})
print("final loss", repr(float(loss_value)))
