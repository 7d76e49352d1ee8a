"""Saving and restoring with tf.train.Saver: train, save a checkpoint, restore it into a fresh
graph and session, check the loss is where it was, train on.

    python saver.py CHECKPOINT_DIR
"""
import os
import sys

import numpy as np
import tensorflow as tf

SEED = 13
rng = np.random.RandomState(SEED)
x_data = rng.rand(50, 2).astype(np.float32)
y_data = (x_data.dot([[0.7], [-0.4]]) + 0.2).astype(np.float32)
model_path = os.path.join(sys.argv[1], "model.ckpt")


def build():
    tf.set_random_seed(SEED)
    x = tf.placeholder(tf.float32, [None, 2])
    y = tf.placeholder(tf.float32, [None, 1])
    W = tf.Variable(tf.random_uniform([2, 1], -1.0, 1.0), name="W")
    b = tf.Variable(tf.zeros([1]), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, W) + b - y))
    train = tf.train.MomentumOptimizer(0.3, 0.9).minimize(loss)
    return x, y, loss, train


x, y, loss, train = build()
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(4):
        _, l = sess.run([train, loss], {x: x_data, y: y_data})
        print("step %d loss %.9g" % (step, l))
    save_path = saver.save(sess, model_path)
    saved_loss = sess.run(loss, {x: x_data, y: y_data})

tf.reset_default_graph()
x, y, loss, train = build()
saver = tf.train.Saver()
with tf.Session() as sess:
    saver.restore(sess, save_path)
    restored_loss = sess.run(loss, {x: x_data, y: y_data})
    assert restored_loss == saved_loss, (restored_loss, saved_loss)
    for step in range(4, 7):
        _, l = sess.run([train, loss], {x: x_data, y: y_data})
        print("step %d loss %.9g" % (step, l))
