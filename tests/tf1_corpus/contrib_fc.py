"""A classifier on tf.contrib.layers: fully_connected layers with l2 regularizers, the
regularization losses added with tf.losses.get_regularization_loss.

    python contrib_fc.py
"""
import numpy as np
import tensorflow as tf

SEED = 15
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

features = rng.normal(size=(48, 6)).astype(np.float32)
classes = (features[:, 0] + features[:, 1] ** 2 > 1).astype(np.int32)

inputs = tf.placeholder(tf.float32, [None, 6])
labels = tf.placeholder(tf.int32, [None])
regularizer = tf.contrib.layers.l2_regularizer(scale=0.01)
net = tf.contrib.layers.fully_connected(inputs, 10, weights_regularizer=regularizer, scope="fc1")
net = tf.contrib.layers.fully_connected(net, 10, weights_regularizer=regularizer, scope="fc2")
logits = tf.contrib.layers.fully_connected(net, 2, activation_fn=None, scope="logits")
data_loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
total_loss = data_loss + tf.losses.get_regularization_loss()
train_op = tf.train.AdagradOptimizer(0.3).minimize(total_loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        batch = slice(step * 8, step * 8 + 8)
        _, value = sess.run([train_op, total_loss], {inputs: features[batch],
                                                     labels: classes[batch]})
        print("step %d loss %.9g" % (step, value))
