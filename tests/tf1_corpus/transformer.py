"""A transformer encoder block: scaled dot-product multi-head self-attention written in tf ops,
a position-wise feed-forward network, residuals and tf.contrib.layers.layer_norm.

    python transformer.py
"""
import numpy as np
import tensorflow as tf

SEED = 11
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

seq_len, d_model, num_heads, d_ff, n_classes = 6, 8, 2, 16, 3
tokens = rng.normal(size=(24, seq_len, d_model)).astype(np.float32)
labels = rng.randint(0, n_classes, size=24)


def multihead_attention(queries, keys, num_units, num_heads, scope="multihead_attention"):
    with tf.variable_scope(scope):
        Q = tf.layers.dense(queries, num_units, name="q")
        K = tf.layers.dense(keys, num_units, name="k")
        V = tf.layers.dense(keys, num_units, name="v")
        Q_ = tf.concat(tf.split(Q, num_heads, axis=2), axis=0)
        K_ = tf.concat(tf.split(K, num_heads, axis=2), axis=0)
        V_ = tf.concat(tf.split(V, num_heads, axis=2), axis=0)
        scores = tf.matmul(Q_, tf.transpose(K_, [0, 2, 1]))
        scores = scores / (K_.get_shape().as_list()[-1] ** 0.5)
        weights = tf.nn.softmax(scores)
        outputs = tf.matmul(weights, V_)
        outputs = tf.concat(tf.split(outputs, num_heads, axis=0), axis=2)
        outputs = tf.layers.dense(outputs, num_units, name="out")
        outputs += queries
        return tf.contrib.layers.layer_norm(outputs, begin_norm_axis=-1, begin_params_axis=-1)


def feedforward(inputs, scope="feedforward"):
    with tf.variable_scope(scope):
        outputs = tf.layers.dense(inputs, d_ff, activation=tf.nn.relu, name="inner")
        outputs = tf.layers.dense(outputs, d_model, name="outer")
        outputs += inputs
        return tf.contrib.layers.layer_norm(outputs, begin_norm_axis=-1, begin_params_axis=-1)


x = tf.placeholder(tf.float32, [None, seq_len, d_model])
y = tf.placeholder(tf.int32, [None])
with tf.variable_scope("encoder_block"):
    enc = feedforward(multihead_attention(x, x, d_model, num_heads))
logits = tf.layers.dense(tf.reduce_mean(enc, axis=1), n_classes, name="classifier")
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
global_step = tf.Variable(0, name="global_step", trainable=False)
train_op = tf.train.AdamOptimizer(0.005, beta1=0.9, beta2=0.98, epsilon=1e-8).minimize(
    loss, global_step=global_step)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(5):
        i = sess.run(global_step)
        batch = slice((i * 6) % 24, (i * 6) % 24 + 6)
        _, l = sess.run([train_op, loss], {x: tokens[batch], y: labels[batch]})
        print("step %d loss %.9g" % (i, l))
