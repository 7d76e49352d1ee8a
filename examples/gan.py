"""A GAN written twice: a TF1 program in the manner of tutorial-era GAN code, and its Keras 3
port (two models, two optimizers, a training step of each), for `verify_phases`
(`tfmodels.migration.phases`) and tests/test_verify_gan.py.

    from tfmodels.migration import verify_phases
    print(verify_phases("examples/gan.py:gan_tf1", "examples/gan.py:gan", GAN_INPUTS))

The TF1 program: a generator (noise `z` -> a sample of 4 values) and a discriminator (a sample
-> one logit), each in a variable scope of its name; the discriminator built twice (real and
generated samples) sharing its variables; two losses of `sigmoid_cross_entropy_with_logits`,
two `AdamOptimizer(...).minimize(loss, var_list=...)`, each list the scope's trainable
variables; a training step runs the discriminator's op, then the generator's. The port does the
same with `keras.optimizers.Adam(..., epsilon=1e-8)` (TF1's Adam epsilon; docs/optimizers.md).

Two wrong ports: `gan_wrong_var_list` (the discriminator's step also updates the generator:
the gradient taken over every trainable weight, the classic `var_list` mistake) and
`gan_swapped_labels` (the discriminator's loss labels real samples 0 and generated ones 1).
"""

import keras
import tensorflow as tf

from tf1_compat import layers
from tfmodels.migration.phases import Port

v1 = tf.compat.v1
LEARNING_RATE, BETA_1 = 0.01, 0.5
GAN_INPUTS = ["x:4", "z:2"]

__all__ = ["GAN_INPUTS", "gan", "gan_swapped_labels", "gan_tf1", "gan_wrong_var_list"]


# -- the TF1 program -----------------------------------------------------------------------------


def generator(z):
    with v1.variable_scope("generator"):
        h = layers.dense(z, 8, activation=tf.nn.relu, name="hidden")
        return layers.dense(h, 4, name="sample")


def discriminator(x, reuse=False):
    with v1.variable_scope("discriminator", reuse=reuse):
        h = layers.dense(x, 8, activation=tf.nn.leaky_relu, name="hidden")
        return layers.dense(h, 1, name="logit")


def _sigmoid_loss(labels_like, logits, value):
    labels = tf.ones_like(labels_like) * value
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def gan_tf1(inputs):
    """{"x": real samples, "z": noise} -> the outputs and the two (loss, train op) in order."""
    generated = generator(inputs["z"])
    real_logit = discriminator(inputs["x"])
    fake_logit = discriminator(generated, reuse=True)
    d_loss = (_sigmoid_loss(real_logit, real_logit, 1.0)
              + _sigmoid_loss(fake_logit, fake_logit, 0.0))
    g_loss = _sigmoid_loss(fake_logit, fake_logit, 1.0)
    d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator/")]
    g_vars = [v for v in v1.trainable_variables() if v.name.startswith("generator/")]
    d_train = v1.train.AdamOptimizer(LEARNING_RATE, beta1=BETA_1).minimize(d_loss,
                                                                            var_list=d_vars)
    g_train = v1.train.AdamOptimizer(LEARNING_RATE, beta1=BETA_1).minimize(g_loss,
                                                                            var_list=g_vars)
    return {"outputs": {"generated": generated, "real_logit": real_logit,
                        "fake_logit": fake_logit},
            "train": {"discriminator": (d_loss, d_train), "generator": (g_loss, g_train)}}


# -- the Keras 3 port ----------------------------------------------------------------------------


def _networks():
    z = keras.Input((2,), name="z")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(z)
    g = keras.Model(z, keras.layers.Dense(4, name="sample")(h), name="generator")
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(8, activation=keras.activations.leaky_relu, name="hidden")(x)
    d = keras.Model(x, keras.layers.Dense(1, name="logit")(h), name="discriminator")
    return g, d


def _bce(logits, value):
    labels = keras.ops.ones_like(logits) * value
    return keras.ops.mean(keras.ops.binary_crossentropy(labels, logits, from_logits=True))


def _port(d_labels=(1.0, 0.0), d_updates_generator=False) -> Port:
    g, d = _networks()
    d_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=1e-8)
    g_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=1e-8)

    def outputs(inputs):
        generated = g(inputs["z"])
        return {"generated": generated, "real_logit": d(inputs["x"]),
                "fake_logit": d(generated)}

    def d_step(inputs):
        weights = d.trainable_weights + (g.trainable_weights if d_updates_generator else [])
        with tf.GradientTape() as tape:
            loss = (_bce(d(inputs["x"]), d_labels[0])
                    + _bce(d(g(inputs["z"])), d_labels[1]))
        d_optimizer.apply(tape.gradient(loss, weights), weights)
        return loss

    def g_step(inputs):
        with tf.GradientTape() as tape:
            loss = _bce(d(g(inputs["z"])), 1.0)
        g_optimizer.apply(tape.gradient(loss, g.trainable_weights), g.trainable_weights)
        return loss

    return Port({"generator": g, "discriminator": d}, outputs,
                {"discriminator": d_step, "generator": g_step})


def gan():
    return _port()


def gan_wrong_var_list():
    """The discriminator's step updates the generator's weights too."""
    return _port(d_updates_generator=True)


def gan_swapped_labels():
    """The discriminator's loss calls real samples fake (0) and generated ones real (1)."""
    return _port(d_labels=(0.0, 1.0))
