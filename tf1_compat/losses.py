"""Losses and metrics as graph ops, written to compute exactly what Keras 3 computes."""

from __future__ import annotations

import tensorflow as tf


def per_sample_loss(name: str, labels, outputs, logits):
    """One loss value per sample.

    Cross-entropies work on the logits (Keras does the same behind a softmax or sigmoid output:
    it recovers the logits and calls these very ops).
    """
    if name == "categorical_crossentropy":
        return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if name == "binary_crossentropy":
        return tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=-1
        )
    if name == "mean_squared_error":
        return tf.reduce_mean(tf.square(labels - outputs), axis=-1)
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
    if name == "mae":
        return tf.reduce_sum(tf.reduce_mean(tf.abs(labels - outputs), axis=-1))
    raise ValueError(f"no TF1 metric {name!r} for loss {loss!r}")
