"""An LSTM classifier of variable-length sequences: tf.nn.dynamic_rnn with sequence_length.

    python lstm_dynamic.py
"""
import numpy as np
import tensorflow as tf

SEED = 4
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

max_len, n_features, n_hidden, n_classes = 7, 3, 6, 3
data = rng.normal(size=(30, max_len, n_features)).astype(np.float32)
lengths = rng.randint(2, max_len + 1, size=30).astype(np.int32)
for i, n in enumerate(lengths):
    data[i, n:] = 0.0
targets = rng.randint(0, n_classes, size=30)

x = tf.placeholder(tf.float32, [None, max_len, n_features])
seqlen = tf.placeholder(tf.int32, [None])
y = tf.placeholder(tf.int32, [None])

cell = tf.nn.rnn_cell.LSTMCell(n_hidden, use_peepholes=True)
outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=seqlen, dtype=tf.float32)
W = tf.get_variable("W", [n_hidden, n_classes])
b = tf.get_variable("b", [n_classes], initializer=tf.constant_initializer(0.0))
logits = tf.matmul(state.h, W) + b
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
optimizer = tf.train.RMSPropOptimizer(0.01)
grads, variables = zip(*optimizer.compute_gradients(loss))
grads, _ = tf.clip_by_global_norm(grads, 5.0)
train_op = optimizer.apply_gradients(zip(grads, variables))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        idx = slice(step * 6, step * 6 + 6)
        feed = {x: data[idx], seqlen: lengths[idx], y: targets[idx]}
        _, l = sess.run([train_op, loss], feed_dict=feed)
        print("step %d loss %.9g" % (step, l))
