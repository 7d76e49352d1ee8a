"""A TF 1.x LSTM regression: `from tensorflow.contrib import rnn` and tf.nn.dynamic_rnn.

    python -m tf1_compat contrib_rnn.py STEPS
"""
import sys

import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

rng = np.random.RandomState(0)
sequences = rng.normal(size=(6, 5, 3)).astype(np.float32)
targets = rng.normal(size=(6, 4)).astype(np.float32)

tf.set_random_seed(2)
inputs = tf.placeholder(tf.float32, [None, 5, 3])
with tf.variable_scope("model", initializer=tf.random_uniform_initializer(-0.5, 0.5, seed=4)):
    cell = rnn.BasicLSTMCell(4)
    outputs, state = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
loss = tf.reduce_mean(tf.square(state.h - targets))
train_op = tf.train.AdamOptimizer(0.05).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(int(sys.argv[1])):
        _, loss_value = sess.run([train_op, loss], {inputs: sequences})
print("final loss", repr(float(loss_value)))
