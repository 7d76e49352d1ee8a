"""TF1 model functions with several inputs, integer ids and several outputs, and their Keras 3
ports, for `tfmodels verify` without `--input-shape` (each input is taken from the Keras model)
and tests/test_verify_io.py. Each `*_wrong` port has one planted mistake that `verify` names.

    tfmodels verify --tf1 examples/verify_models.py:two_heads_tf1 \\
        --keras examples/verify_models.py:two_heads
"""

import keras
import tensorflow as tf

from tf1_compat import layers

v1 = tf.compat.v1
VOCABULARY = 11

__all__ = ["VOCABULARY", "ids_tf1", "ids_unbounded", "ids_wrong", "ids", "listed",
           "listed_tf1", "open_length", "two_heads", "two_heads_tf1", "two_heads_wrong"]


# -- two float inputs by name, two outputs by name -----------------------------------------------


def two_heads_tf1(inputs, training=False):
    """{"a": (3,), "b": (2,)} -> a shared hidden layer -> {"y": 2 logits, "z": 1 value}."""
    h = layers.dense(tf.concat([inputs["a"], inputs["b"]], 1), 8, activation=tf.nn.relu)
    h = layers.dropout(h, 0.25, training=training)
    return {"y": layers.dense(h, 2), "z": layers.dense(h, 1)}


def _two_heads(z_activation=None):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Concatenate()([a, b]))
    h = keras.layers.Dropout(0.25)(h)
    y = keras.layers.Dense(2)(h)
    z = keras.layers.Dense(1, activation=z_activation)(h)
    return keras.Model({"a": a, "b": b}, {"y": y, "z": z})


def two_heads():
    return _two_heads()


def two_heads_wrong():
    """The "z" head squashed by a sigmoid that the TF1 head does not have."""
    return _two_heads("sigmoid")


# -- integer token ids into an embedding, and a float input --------------------------------------


def ids_tf1(inputs, training=False, scale=1.0):
    """{"ids": (5,) int32, "x": (3,)}: the ids' embeddings (scaled) flattened beside x -> 2."""
    table = v1.get_variable("embedding/embeddings", (VOCABULARY, 4), tf.float32,
                            v1.random_uniform_initializer(-0.05, 0.05))
    e = tf.reshape(tf.nn.embedding_lookup(table, inputs["ids"]) * scale, (-1, 5 * 4))
    return layers.dense(tf.concat([e, inputs["x"]], 1), 2)


def _ids(lookup):
    ids, x = keras.Input((5,), dtype="int32", name="ids"), keras.Input((3,), name="x")
    e = keras.layers.Flatten()(lookup(ids))
    return keras.Model({"ids": ids, "x": x},
                       keras.layers.Dense(2)(keras.layers.Concatenate()([e, x])))


def ids():
    return _ids(keras.layers.Embedding(VOCABULARY, 4))


def ids_wrong():
    """The embeddings scaled by 2 where the TF1 program does not scale them."""
    embedding = keras.layers.Embedding(VOCABULARY, 4)
    return _ids(lambda t: keras.layers.Rescaling(2.0)(embedding(t)))


def open_length():
    """Sequences of ids of any length (`Input((None,))`), averaged: `ids` must be described."""
    ids, x = keras.Input((None,), dtype="int32", name="ids"), keras.Input((3,), name="x")
    e = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(VOCABULARY, 4)(ids))
    return keras.Model({"ids": ids, "x": x},
                       keras.layers.Dense(2)(keras.layers.Concatenate()([e, x])))


def ids_unbounded():
    """The ids go through a cast before the Embedding: nothing says their range."""
    embedding = keras.layers.Embedding(VOCABULARY, 4)
    return _ids(lambda t: embedding(keras.layers.Identity()(t)))


# -- a list of inputs, a list of outputs (named by their layers) ---------------------------------


def listed_tf1(inputs, training=False):
    """[(4,), (4,)] -> {"sum": dense of their sum, "diff": dense of their difference}."""
    first, second = inputs
    return {"sum": layers.dense(first + second, 3, name="sum"),
            "diff": layers.dense(first - second, 2, name="diff")}


def listed():
    p, q = keras.Input((4,), name="p"), keras.Input((4,), name="q")
    total = keras.layers.Dense(3, name="sum")(keras.layers.Add()([p, q]))
    diff = keras.layers.Dense(2, name="diff")(keras.layers.Subtract()([p, q]))
    return keras.Model([p, q], [total, diff])
