"""Tensors and the TF basics of the notes (C15-C21) in Keras 3, function for function the
twins of `tf1_compat/basics.py`.

Where TF1 builds a graph and runs it in a Session, Keras 3 computes at once (eager): a constant
has its value, `keras.Input` stands for a batch of any size, a layer's weights are made once when
it is built and shared by every call, and `compile`/`train_on_batch` trains a logits layer.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from tfmodels.core.data import LAYOUTS
from tfmodels.core.errors import UserError

__all__ = [
    "example", "to_channels_first", "neuron_outputs", "run_constants", "run_placeholder",
    "variable_and_get_variable", "get_variable_without_reuse", "initialised_value",
    "train_logits_layer",
]


def example(layout: str, dtype="float32"):
    """C16: a tensor of zeros in a named layout (`tfmodels.core.data.LAYOUTS`)."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    return ops.zeros(LAYOUTS[layout], dtype=dtype)


def to_channels_first(images):
    """(samples, h, w, c) -> (samples, c, h, w): the same pixels, another axis order."""
    return ops.transpose(images, (0, 3, 1, 2))


def neuron_outputs(inputs, weights, biases):
    """C02: a layer of neurons as the notes first write it, `dot(weights, inputs) + biases` for
    one sample; for a batch the weights must be transposed: `inputs @ weights.T + biases`."""
    inputs, weights = np.asarray(inputs), np.asarray(weights)
    if inputs.ndim == 1:
        return ops.convert_to_numpy(ops.dot(weights, inputs) + biases)
    return ops.convert_to_numpy(ops.matmul(inputs, ops.transpose(weights)) + biases)


def run_constants():
    """C17 in eager Keras: the product of two constants has its value at once, no Session.

    Returns the product (a tensor holding its value), that value and `(a, sum(b))`, as the TF1
    twin returns them from `sess.run`.
    """
    a = ops.convert_to_tensor(2.0)
    b = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    product = a * b
    return product, ops.convert_to_numpy(product), (float(a), float(ops.sum(b)))


def run_placeholder(batches):
    """C18 in Keras: `keras.Input(shape=(3,))` is a symbolic batch of shape `(None, 3)`; the
    model built on it takes a batch of any size. Returns the input and each batch's row sums."""
    x = keras.Input(shape=(3,), name="x")
    row_sums = keras.Model(x, ops.sum(x, axis=1))
    return x, [ops.convert_to_numpy(row_sums(batch)) for batch in batches]


def variable_and_get_variable():
    """C19 in Keras: two `keras.Variable`s of one name are two variables; a layer makes its
    weights once, when first called, and every later call (eager or in a `tf.function`) uses
    the very same ones - Keras's sharing, where TF1 needs `get_variable` and `reuse`.

    Returns `((first, second), (made, reused, in_function))` like the TF1 twin.
    """
    import tensorflow as tf

    first, second = keras.Variable(1.0, name="w"), keras.Variable(1.0, name="w")
    layer = keras.layers.Dense(2, name="layer")
    x = np.ones((1, 2), np.float32)
    layer(x)
    made = layer.kernel
    layer(x)
    reused = layer.kernel
    tf.function(layer)(x)
    return (first, second), (made, reused, layer.kernel)


def get_variable_without_reuse():
    """C19's mistake in Keras: two layers of one name in one model raise Keras's ValueError."""
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="layer"),
                      keras.layers.Dense(2, name="layer")])  # raises


def initialised_value():
    """C20 in Keras: a layer has no weights until it is built (reading one first raises
    AttributeError); building draws them from the initializer. Returns (the error, the value
    after building)."""
    layer = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant(0.5))
    try:
        layer.kernel  # noqa: B018 - the read is the lesson
        error = None
    except AttributeError as e:
        error = e
    layer.build((None, 1))
    return error, ops.convert_to_numpy(layer.kernel)[0]


def train_logits_layer(x, labels, optimizer="gradient_descent", steps=50, learning_rate=0.5,
                       weights=None):
    """C21 in Keras: a `Dense` logits layer, the cross-entropy on its logits
    (`from_logits=True`), an optimizer; `train_on_batch` once per step. Returns the loss before
    each step. `weights` (kernel, bias) sets the start, as in the TF1 twin."""
    model = keras.Sequential([keras.Input((x.shape[1],)),
                              keras.layers.Dense(labels.shape[1], name="logits")])
    if weights is not None:
        model.set_weights(weights)
    make = {"gradient_descent": keras.optimizers.SGD,
            # TF1's AdamOptimizer defaults to epsilon 1e-8, Keras's Adam to 1e-7
            "adam": lambda lr: keras.optimizers.Adam(lr, epsilon=1e-8)}[optimizer]
    model.compile(make(learning_rate),
                  keras.losses.CategoricalCrossentropy(from_logits=True))
    return [float(model.train_on_batch(x, labels)) for _ in range(steps)]
