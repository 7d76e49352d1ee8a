"""An autoencoder: an encoder and a decoder of sigmoid layers, RMSProp on the squared error.

    python autoencoder.py
"""
import numpy as np
import tensorflow as tf

SEED = 7
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

num_input, num_hidden_1, num_hidden_2 = 16, 8, 4
# inputs on a low-dimensional manifold, so there is something to learn
codes = rng.rand(40, 3)
mixing = rng.normal(size=(3, num_input))
data = (1 / (1 + np.exp(-codes.dot(mixing)))).astype(np.float32)

X = tf.placeholder("float", [None, num_input])
weights = {
    'encoder_h1': tf.Variable(tf.random_normal([num_input, num_hidden_1])),
    'encoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_hidden_2])),
    'decoder_h1': tf.Variable(tf.random_normal([num_hidden_2, num_hidden_1])),
    'decoder_h2': tf.Variable(tf.random_normal([num_hidden_1, num_input])),
}
biases = {
    'encoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'encoder_b2': tf.Variable(tf.random_normal([num_hidden_2])),
    'decoder_b1': tf.Variable(tf.random_normal([num_hidden_1])),
    'decoder_b2': tf.Variable(tf.random_normal([num_input])),
}


def encoder(x):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']), biases['encoder_b1']))
    return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['encoder_h2']), biases['encoder_b2']))


def decoder(x):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['decoder_h1']), biases['decoder_b1']))
    return tf.nn.sigmoid(tf.add(tf.matmul(layer_1, weights['decoder_h2']), biases['decoder_b2']))


y_pred = decoder(encoder(X))
loss = tf.reduce_mean(tf.pow(X - y_pred, 2))
optimizer = tf.train.RMSPropOptimizer(0.05).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(6):
        batch_x = data[(i * 10) % 40:(i * 10) % 40 + 10]
        _, l = sess.run([optimizer, loss], feed_dict={X: batch_x})
        print("step %d loss %.9g" % (i, l))
