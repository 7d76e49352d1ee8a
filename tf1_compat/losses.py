"""Losses and metrics as graph ops, written to compute exactly what Keras 3 computes.

The losses of the notes (C09) have the names of their Keras-track twins in
`tfmodels/keras_track/losses.py`: one value per sample. On probabilities they clip to [1e-7, 1 -
1e-7] as Keras does; on logits they are TF's fused ops (`softmax_cross_entropy_with_logits` and its
sigmoid and sparse kins)."""

from __future__ import annotations

import tensorflow as tf

__all__ = [
    "EPSILON", "l1", "mean_absolute_error", "l2", "mean_squared_error", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "per_sample_loss", "mean_loss",
    "metric_sum",
]

# Keras's `backend.epsilon()`: the clip of probabilities before a log.
EPSILON = 1e-7


def l1(labels, outputs):
    return tf.reduce_sum(tf.abs(labels - outputs), axis=-1)


def mean_absolute_error(labels, outputs):
    return tf.reduce_mean(tf.abs(labels - outputs), axis=-1)


def l2(labels, outputs):
    return tf.reduce_sum(tf.square(labels - outputs), axis=-1)


def mean_squared_error(labels, outputs):
    return tf.reduce_mean(tf.square(labels - outputs), axis=-1)


def _clip(probabilities):
    return tf.clip_by_value(probabilities, EPSILON, 1.0 - EPSILON)


def binary_crossentropy(labels, outputs, from_logits=False):
    if from_logits:
        per_unit = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=outputs)
    else:
        p = _clip(outputs)
        per_unit = -(labels * tf.math.log(p) + (1 - labels) * tf.math.log(1 - p))
    return tf.reduce_mean(per_unit, axis=-1)


def categorical_crossentropy(labels, outputs, from_logits=False):
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=outputs)
    p = _clip(outputs / tf.reduce_sum(outputs, axis=-1, keepdims=True))
    return -tf.reduce_sum(labels * tf.math.log(p), axis=-1)


def sparse_categorical_crossentropy(labels, outputs, from_logits=False):
    """Integer labels; on probabilities, the log of the clipped probabilities is handed to the
    logits op, as Keras does (which normalises the clipped row once more)."""
    logits = outputs if from_logits else tf.math.log(_clip(outputs))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int64),
                                                          logits=logits)


def per_sample_loss(name: str, labels, outputs, logits):
    """One loss value per sample.

    Cross-entropies work on the logits (Keras does the same behind a softmax or sigmoid output:
    it recovers the logits and calls these very ops; with `from_logits` the output is linear and
    the logits are the outputs). Sparse labels are class numbers.
    """
    if name == "categorical_crossentropy":
        return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if name == "sparse_categorical_crossentropy":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(labels, tf.int64), logits=logits)
    if name == "binary_crossentropy":
        return tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=-1
        )
    if name == "mean_squared_error":
        return tf.reduce_mean(tf.square(labels - outputs), axis=-1)
    if name == "mean_absolute_error":
        return tf.reduce_mean(tf.abs(labels - outputs), axis=-1)
    raise ValueError(f"no TF1 loss for {name!r}")


def mean_loss(per_sample):
    """Keras's "sum_over_batch_size" reduction: sum / number of samples."""
    count = tf.cast(tf.size(per_sample), per_sample.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(per_sample), count)


def metric_sum(name: str, loss: str, labels, outputs):
    """The sum over a batch of a per-sample metric, to be averaged over the epoch as Keras does.

    "accuracy" means what Keras makes of it for the loss: categorical or binary accuracy.
    """
    if name == "accuracy" and loss == "categorical_crossentropy":
        hits = tf.equal(tf.argmax(labels, axis=-1), tf.argmax(outputs, axis=-1))
        return tf.reduce_sum(tf.cast(hits, outputs.dtype))
    if name == "accuracy" and loss == "binary_crossentropy":
        predicted = tf.cast(outputs > 0.5, labels.dtype)
        hits = tf.cast(tf.equal(labels, predicted), outputs.dtype)
        return tf.reduce_sum(tf.reduce_mean(hits, axis=-1))
    if name == "sparse_categorical_accuracy":
        hits = tf.equal(tf.cast(labels, tf.int64), tf.argmax(outputs, axis=-1))
        return tf.reduce_sum(tf.cast(hits, outputs.dtype))
    if name == "mae":
        return tf.reduce_sum(tf.reduce_mean(tf.abs(labels - outputs), axis=-1))
    if name == "mse":
        return tf.reduce_sum(tf.reduce_mean(tf.square(labels - outputs), axis=-1))
    raise ValueError(f"no TF1 metric {name!r} for loss {loss!r}")
