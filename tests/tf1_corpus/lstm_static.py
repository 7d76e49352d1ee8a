"""An LSTM sequence classifier on tf.contrib.rnn.static_rnn: the input unstacked into timesteps.

    python lstm_static.py
"""
import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

SEED = 3
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

timesteps, num_input, num_hidden, num_classes = 6, 4, 8, 2
seqs = rng.normal(size=(24, timesteps, num_input)).astype(np.float32)
cls = (seqs[:, :, 0].sum(axis=1) > 0).astype(np.int64)
onehot = np.eye(num_classes, dtype=np.float32)[cls]

X = tf.placeholder("float", [None, timesteps, num_input])
Y = tf.placeholder("float", [None, num_classes])
weights = {'out': tf.Variable(tf.random_normal([num_hidden, num_classes]))}
biases = {'out': tf.Variable(tf.random_normal([num_classes]))}


def RNN(x, weights, biases):
    x = tf.unstack(x, timesteps, 1)
    lstm_cell = rnn.BasicLSTMCell(num_hidden, forget_bias=1.0)
    outputs, states = rnn.static_rnn(lstm_cell, x, dtype=tf.float32)
    return tf.matmul(outputs[-1], weights['out']) + biases['out']


logits = RNN(X, weights, biases)
loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=Y))
train_op = tf.train.GradientDescentOptimizer(learning_rate=0.5).minimize(loss_op)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        batch = slice((step * 8) % 24, (step * 8) % 24 + 8)
        _, loss = sess.run([train_op, loss_op], feed_dict={X: seqs[batch], Y: onehot[batch]})
        print("step %d loss %.9g" % (step, loss))
