"""The activations of the notes (C06) in Keras 3: functions of `keras.ops`, and two layers.

Every function here has a twin of the same name in `tf1_compat/activations.py` and a NumPy
reference in `tfmodels/core/reference.py`; tests/test_activations.py holds the three to each other.
"""

from __future__ import annotations

import keras
from keras import ops

from tfmodels.core.checks import check_slopes

__all__ = [
    "step", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softmax", "RandomizedReLU", "Swish",
]


def step(x):
    """1 where `x > 0`, else 0: the first neuron of the notes. It has no useful gradient."""
    return ops.cast(ops.greater(x, 0), x.dtype)


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def relu(x):
    """`max(x, 0)`; the notes also write it `x if x > 0 else 0`, the same function."""
    return ops.relu(x)


def leaky_relu(x, alpha=0.2):
    """`x` for positive inputs, `alpha * x` otherwise, so no unit's gradient is ever 0."""
    return ops.leaky_relu(x, negative_slope=alpha)


def swish(x, beta=1.0):
    """`x * sigmoid(beta * x)`: smooth, and not monotonic just below 0."""
    return x * ops.sigmoid(beta * x)


def softmax(x):
    """`exp(x) / sum(exp(x))` per row, computed from `x - max(x)` so that large logits stay
    finite; every row sums to 1. With two classes it is the sigmoid of the difference."""
    return ops.softmax(x, axis=-1)


@keras.saving.register_keras_serializable(package="tfmodels")
class RandomizedReLU(keras.layers.Layer):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) for every element while
    training, and is the fixed mean `(lower + upper) / 2` at inference (RReLU, Xu et al. 2015)."""

    def __init__(self, lower=1 / 8, upper=1 / 3, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.lower, self.upper = check_slopes(lower, upper)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if training:
            slope = keras.random.uniform(ops.shape(x), self.lower, self.upper,
                                         dtype=x.dtype, seed=self.seed_generator)
        else:
            slope = (self.lower + self.upper) / 2
        return ops.where(x >= 0, x, slope * x)

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="tfmodels")
class Swish(keras.layers.Layer):
    """`x * sigmoid(beta * x)` as a layer; with `trainable_beta`, beta is a weight that learns
    (a fixed beta is a number, not a weight: the layer then has no weights, as an activation)."""

    def __init__(self, beta=1.0, trainable_beta=False, **kwargs):
        super().__init__(**kwargs)
        self.initial_beta, self.trainable_beta = beta, trainable_beta
        self.beta = beta

    def build(self, input_shape):
        if self.trainable_beta:
            self.beta = self.add_weight(shape=(), initializer=keras.initializers.Constant(
                self.initial_beta), trainable=True, name="beta")

    def call(self, x):
        return swish(x, ops.cast(self.beta, x.dtype))

    def get_config(self):
        return {**super().get_config(), "beta": self.initial_beta,
                "trainable_beta": self.trainable_beta}
