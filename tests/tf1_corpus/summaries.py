"""TensorBoard summaries: name scopes, tf.summary.scalar and histogram, merge_all, FileWriter.

    python summaries.py LOG_DIR
"""
import sys

import numpy as np
import tensorflow as tf

SEED = 14
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)
logs_path = sys.argv[1]

x_np = rng.normal(size=(40, 5)).astype(np.float32)
y_np = (x_np[:, :2].sum(axis=1) > 0).astype(np.float32).reshape(-1, 1)

with tf.name_scope("input"):
    x = tf.placeholder(tf.float32, [None, 5], name="x-input")
    y_ = tf.placeholder(tf.float32, [None, 1], name="y-input")


def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):
    with tf.name_scope(layer_name):
        with tf.name_scope("weights"):
            weights = tf.Variable(tf.truncated_normal([input_dim, output_dim], stddev=0.5))
            tf.summary.histogram("weights", weights)
        with tf.name_scope("biases"):
            biases = tf.Variable(tf.constant(0.1, shape=[output_dim]))
            tf.summary.histogram("biases", biases)
        preactivate = tf.matmul(input_tensor, weights) + biases
        tf.summary.histogram("pre_activations", preactivate)
        return act(preactivate, name="activation")


hidden = nn_layer(x, 5, 6, "layer1")
logits = nn_layer(hidden, 6, 1, "layer2", act=tf.identity)
with tf.name_scope("cross_entropy"):
    cross_entropy = tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y_, logits=logits))
tf.summary.scalar("cross_entropy", cross_entropy)
with tf.name_scope("train"):
    train_step = tf.train.AdamOptimizer(0.05).minimize(cross_entropy)

merged = tf.summary.merge_all()
with tf.Session() as sess:
    writer = tf.summary.FileWriter(logs_path, graph=tf.get_default_graph())
    sess.run(tf.global_variables_initializer())
    for i in range(5):
        summary, _, loss = sess.run([merged, train_step, cross_entropy],
                                    feed_dict={x: x_np, y_: y_np})
        writer.add_summary(summary, i)
        print("step %d loss %.9g" % (i, loss))
    writer.close()
