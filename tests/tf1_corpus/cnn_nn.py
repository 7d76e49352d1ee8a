"""The same convnet written on tf.nn: tf.nn.conv2d, tf.nn.max_pool, tf.nn.dropout, tf.Variable.

    python cnn_nn.py
"""
import numpy as np
import tensorflow as tf

SEED = 2
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

images = rng.rand(32, 8, 8, 1).astype(np.float32)
labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)


def weight_variable(shape):
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def bias_variable(shape):
    return tf.Variable(tf.constant(0.1, shape=shape))


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding='SAME')


x = tf.placeholder(tf.float32, [None, 8, 8, 1])
y_ = tf.placeholder(tf.int64, [None])
keep_prob = tf.placeholder(tf.float32)

W_conv1 = weight_variable([3, 3, 1, 4])
b_conv1 = bias_variable([4])
h_pool1 = max_pool_2x2(tf.nn.relu(conv2d(x, W_conv1) + b_conv1))
W_conv2 = weight_variable([3, 3, 4, 6])
b_conv2 = bias_variable([6])
h_pool2 = max_pool_2x2(tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2))
W_fc1 = weight_variable([2 * 2 * 6, 16])
b_fc1 = bias_variable([16])
h_fc1 = tf.nn.relu(tf.matmul(tf.reshape(h_pool2, [-1, 2 * 2 * 6]), W_fc1) + b_fc1)
h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob, seed=SEED)
W_fc2 = weight_variable([16, 2])
b_fc2 = bias_variable([2])
y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2

cross_entropy = tf.reduce_mean(
    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=y_conv))
train_step = tf.train.AdamOptimizer(1e-2).minimize(cross_entropy)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(5):
        batch = slice((i * 8) % 32, (i * 8) % 32 + 8)
        _, loss = sess.run([train_step, cross_entropy],
                           feed_dict={x: images[batch], y_: labels[batch], keep_prob: 0.75})
        print("step %d loss %.9g" % (i, loss))
