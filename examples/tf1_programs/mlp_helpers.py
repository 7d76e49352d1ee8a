"""The layers of mlp_layers.py, in a module of their own as TF1 projects kept them."""
import tensorflow as tf


def mlp(x, widths):
    init = tf.glorot_uniform_initializer(seed=3)
    for i, width in enumerate(widths):
        x = tf.layers.dense(x, width, activation=tf.nn.relu, kernel_initializer=init,
                            name=f"hidden{i}")
    return tf.layers.dense(x, 1, kernel_initializer=init, name="logits")
