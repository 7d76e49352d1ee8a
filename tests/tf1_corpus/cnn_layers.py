"""A small convnet with tf.layers (conv2d, max_pooling2d, dropout, dense) on 8x8 "images".

    python cnn_layers.py
"""
import numpy as np
import tensorflow as tf

SEED = 2
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

images = rng.rand(32, 8, 8, 1).astype(np.float32)
labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)

x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
y = tf.placeholder(tf.int64, [None], name="y")
training = tf.placeholder_with_default(False, [], name="training")

conv1 = tf.layers.conv2d(x, filters=4, kernel_size=[3, 3], padding="same", activation=tf.nn.relu)
pool1 = tf.layers.max_pooling2d(conv1, pool_size=[2, 2], strides=2)
conv2 = tf.layers.conv2d(pool1, filters=6, kernel_size=[3, 3], padding="same",
                         activation=tf.nn.relu)
pool2 = tf.layers.max_pooling2d(conv2, pool_size=[2, 2], strides=2)
flat = tf.reshape(pool2, [-1, 2 * 2 * 6])
dense = tf.layers.dense(flat, units=16, activation=tf.nn.relu)
dropout = tf.layers.dropout(dense, rate=0.25, training=training, seed=SEED)
logits = tf.layers.dense(dropout, units=2)

loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
train_op = tf.train.AdamOptimizer(0.01).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        batch = slice((step * 8) % 32, (step * 8) % 32 + 8)
        _, loss_value = sess.run([train_op, loss],
                                 feed_dict={x: images[batch], y: labels[batch], training: True})
        print("step %d loss %.9g" % (step, loss_value))
