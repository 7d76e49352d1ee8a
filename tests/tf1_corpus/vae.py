"""A variational autoencoder: tf.layers.dense encoder to (mu, log sigma^2), the
reparameterization trick with tf.random_normal, a Bernoulli decoder, the ELBO.

    python vae.py
"""
import numpy as np
import tensorflow as tf

SEED = 8
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

n_input, n_hidden, n_z, batch_size = 12, 10, 2, 8
data = (rng.rand(32, n_input) > 0.6).astype(np.float32)

x = tf.placeholder(tf.float32, [None, n_input])
with tf.variable_scope("encoder"):
    h = tf.layers.dense(x, n_hidden, activation=tf.nn.softplus)
    z_mean = tf.layers.dense(h, n_z)
    z_log_sigma_sq = tf.layers.dense(h, n_z)
eps = tf.random_normal(tf.shape(z_mean), 0, 1, dtype=tf.float32, seed=SEED)
z = z_mean + tf.sqrt(tf.exp(z_log_sigma_sq)) * eps
with tf.variable_scope("decoder"):
    h_dec = tf.layers.dense(z, n_hidden, activation=tf.nn.softplus)
    x_logits = tf.layers.dense(h_dec, n_input)

reconstr_loss = tf.reduce_sum(
    tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x_logits), 1)
latent_loss = -0.5 * tf.reduce_sum(
    1 + z_log_sigma_sq - tf.square(z_mean) - tf.exp(z_log_sigma_sq), 1)
cost = tf.reduce_mean(reconstr_loss + latent_loss)
optimizer = tf.train.AdamOptimizer(learning_rate=0.01).minimize(cost)

sess = tf.InteractiveSession()
sess.run(tf.global_variables_initializer())
for step in range(5):
    batch = data[(step * batch_size) % 32:(step * batch_size) % 32 + batch_size]
    _, c = sess.run((optimizer, cost), feed_dict={x: batch})
    print("step %d loss %.9g" % (step, c))
sess.close()
