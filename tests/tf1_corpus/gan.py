"""A GAN on 1-D data: generator and discriminator in variable scopes (reuse for the second
discriminator), two optimizers each given its own var_list.

    python gan.py
"""
import numpy as np
import tensorflow as tf

SEED = 9
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

batch_size, noise_dim, hidden = 16, 4, 8


def generator(z):
    with tf.variable_scope("generator"):
        h = tf.nn.relu(tf.layers.dense(z, hidden, name="h"))
        return tf.layers.dense(h, 1, name="out")


def discriminator(x, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        w1 = tf.get_variable("w1", [1, hidden], initializer=tf.random_normal_initializer(0, 0.5))
        b1 = tf.get_variable("b1", [hidden], initializer=tf.zeros_initializer())
        w2 = tf.get_variable("w2", [hidden, 1], initializer=tf.random_normal_initializer(0, 0.5))
        b2 = tf.get_variable("b2", [1], initializer=tf.zeros_initializer())
        h = tf.nn.leaky_relu(tf.matmul(x, w1) + b1, alpha=0.2)
        return tf.matmul(h, w2) + b2


real = tf.placeholder(tf.float32, [None, 1])
noise = tf.placeholder(tf.float32, [None, noise_dim])
fake = generator(noise)
d_real = discriminator(real)
d_fake = discriminator(fake, reuse=True)

d_loss = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=d_real, labels=tf.ones_like(d_real)) +
    tf.nn.sigmoid_cross_entropy_with_logits(logits=d_fake, labels=tf.zeros_like(d_fake)))
g_loss = tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=d_fake, labels=tf.ones_like(d_fake)))

t_vars = tf.trainable_variables()
d_vars = [v for v in t_vars if v.name.startswith("discriminator/")]
g_vars = [v for v in t_vars if v.name.startswith("generator/")]
d_optim = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(d_loss, var_list=d_vars)
g_optim = tf.train.AdamOptimizer(0.01, beta1=0.5).minimize(g_loss, var_list=g_vars)

with tf.Session() as sess:
    tf.global_variables_initializer().run()
    for step in range(5):
        batch_real = rng.normal(3.0, 0.5, size=(batch_size, 1)).astype(np.float32)
        batch_noise = rng.uniform(-1, 1, size=(batch_size, noise_dim)).astype(np.float32)
        _, d_loss_val = sess.run([d_optim, d_loss], {real: batch_real, noise: batch_noise})
        _, g_loss_val = sess.run([g_optim, g_loss], {noise: batch_noise})
        print("step %d loss %.9g g_loss %.9g" % (step, d_loss_val, g_loss_val))
