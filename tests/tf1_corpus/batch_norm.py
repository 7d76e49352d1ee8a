"""Batch normalization with tf.layers.batch_normalization: the moving averages updated through
the UPDATE_OPS collection (control_dependencies on the train op), is_training fed.

    python batch_norm.py
"""
import numpy as np
import tensorflow as tf

SEED = 16
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

xs = (rng.normal(size=(40, 5)) * [1, 10, 0.1, 5, 2] + [0, 3, -1, 0, 8]).astype(np.float32)
ys = (xs[:, 0] * 2 - xs[:, 1] * 0.1 + xs[:, 3] * 0.3).reshape(-1, 1).astype(np.float32)

x = tf.placeholder(tf.float32, [None, 5])
y = tf.placeholder(tf.float32, [None, 1])
is_training = tf.placeholder(tf.bool)

h = tf.layers.dense(x, 8, use_bias=False)
h = tf.layers.batch_normalization(h, training=is_training, momentum=0.9)
h = tf.nn.relu(h)
pred = tf.layers.dense(h, 1)
loss = tf.losses.mean_squared_error(y, pred)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.GradientDescentOptimizer(0.05).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        batch = slice(step * 8, step * 8 + 8)
        _, l = sess.run([train_op, loss], {x: xs[batch], y: ys[batch], is_training: True})
        print("step %d loss %.9g" % (step, l))
    print("eval loss %.9g" % sess.run(loss, {x: xs, y: ys, is_training: False}))
