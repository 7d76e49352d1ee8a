"""Keras's `Embedding` whose table gets a dense gradient, so every optimizer applies its own
rule to it.

Keras 3 hands an optimizer an embedding table's gradient as `tf.IndexedSlices`, one slice per
token *occurrence*, and its TensorFlow optimizers apply the update ops to those slices as they
are (`keras.src.backend.tensorflow.optimizer`): Adam's and RMSprop's squares are then taken of
each occurrence's gradient and summed, not of the summed gradient. A token read twice in a batch
with gradients 1 and 3 gets `v = (1 + 9)(1 - beta_2)` where Adam's rule (and TF1's `AdamOptimizer`,
which sums a sparse gradient's duplicate rows first) gives `(1 + 3)^2 (1 - beta_2)`. The
project's Keras track keeps Adam's maths: the table's gradient is summed into a dense tensor
(`tf.convert_to_tensor`, an unsorted segment sum) before the optimizer sees it. The forward pass
is Keras's own.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

__all__ = ["DenseGradientEmbedding"]


@tf.custom_gradient
def _summed_gradient(table):
    """The table as it is; its gradient, slices of repeated rows summed, as a dense tensor."""
    def grad(upstream):
        return tf.convert_to_tensor(upstream)
    return tf.identity(table), grad


@keras.saving.register_keras_serializable(package="tfmodels")
class DenseGradientEmbedding(keras.layers.Embedding):
    """`keras.layers.Embedding` (same weights, config and outputs) with the dense gradient of
    the module docstring. Token ids may arrive as floats holding integers (the spec's inputs
    are float32): cast to int32, as Keras's own layer does."""

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        table = tf.convert_to_tensor(self.embeddings)  # a read: the gradient reaches it
        outputs = tf.gather(_summed_gradient(table), inputs)
        return ops.cast(outputs, self.compute_dtype)
