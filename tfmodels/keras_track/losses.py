"""The losses of the notes (C09, C26) in Keras 3: one value per sample, last axis reduced.

Twins of the same names in `tf1_compat/losses.py`, references in `tfmodels/core/reference.py`.

Keras's cross-entropies take probabilities by default. On that path it clips them to
[eps, 1 - eps] with eps = `keras.backend.epsilon()` = 1e-7 before the log (and categorical first
rescales each row to sum to 1): a sample's loss is capped at -log(1e-7) = 16.1 and a clipped
probability passes no gradient. With `from_logits=True` they call TF's fused logits ops, which
need no clip. Inside a compiled model, a softmax or sigmoid output carries its logits
(`_keras_logits`, or the op's input in a graph) and Keras takes the logits path on its own.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = [
    "l1", "mean_absolute_error", "l2", "mean_squared_error", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "metric_sum", "spec_loss",
]


def l1(y_true, y_pred):
    """`sum |y - p|` over the last axis."""
    return ops.sum(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    return keras.losses.mean_absolute_error(y_true, y_pred)


def l2(y_true, y_pred):
    """`sum (y - p)^2` over the last axis."""
    return ops.sum(ops.square(y_true - y_pred), axis=-1)


def mean_squared_error(y_true, y_pred):
    return keras.losses.mean_squared_error(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    return keras.losses.binary_crossentropy(y_true, y_pred, from_logits=from_logits)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    return keras.losses.categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def sparse_categorical_crossentropy(labels, y_pred, from_logits=False):
    """Integer labels (C29) instead of one-hot rows; the same loss."""
    return keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits)


def metric_sum(name: str, loss: str, y_true, y_pred):
    """The sum over a batch of a per-sample metric (Keras's own metric functions), to be
    averaged over the epoch as Keras's `Mean` does. Twin of `tf1_compat.losses.metric_sum`.

    "accuracy" means what Keras makes of it for the loss: categorical or binary accuracy.
    """
    if name == "accuracy" and loss == "categorical_crossentropy":
        per_sample = keras.metrics.categorical_accuracy(y_true, y_pred)
    elif name == "accuracy" and loss == "binary_crossentropy":
        # Keras 3 returns one hit per unit; a sample's accuracy is their mean, as in TF1's twin
        per_sample = ops.mean(keras.metrics.binary_accuracy(y_true, y_pred), axis=-1)
    elif name == "sparse_categorical_accuracy":
        per_sample = keras.metrics.sparse_categorical_accuracy(y_true, y_pred)
    elif name == "mae":
        per_sample = keras.metrics.mean_absolute_error(y_true, y_pred)
    elif name == "mse":
        per_sample = keras.metrics.mean_squared_error(y_true, y_pred)
    else:
        raise ValueError(f"no Keras metric {name!r} for loss {loss!r}")
    return ops.sum(ops.cast(per_sample, y_pred.dtype))


_LOSS_CLASSES = {"categorical_crossentropy": "CategoricalCrossentropy",
                 "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                 "binary_crossentropy": "BinaryCrossentropy"}


def spec_loss(spec):
    """The Keras loss a spec trains with: Keras's own by name, or its class with
    `from_logits=True` where the spec says so. Twin of `tf1_compat.losses.per_sample_loss`."""
    if spec.from_logits:
        return getattr(keras.losses, _LOSS_CLASSES[spec.loss])(from_logits=True)
    return spec.loss
