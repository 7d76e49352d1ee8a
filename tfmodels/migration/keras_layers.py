"""Keras 3 layers that compute what a TF1 layer computed, where Keras 3's own layer differs.

    from tfmodels.migration import FusedBatchNormalization
    h = FusedBatchNormalization()(h)      # the port of tf.compat.v1.layers.batch_normalization(h)

`FusedBatchNormalization` is `keras.layers.BatchNormalization` (same arguments, same weights,
same outputs) whose moving variance moves as TF1's did for 4-D and 5-D inputs: there
`tf.compat.v1.layers.batch_normalization` (fused by default) used the fused kernel, which hands
back the batch variance with Bessel's correction, `n / (n - 1)` times the one it normalizes with,
and fed that one to the moving variance; Keras 3 feeds the uncorrected one. After a training step
on `n` values per channel the two moving variances differ by `(1 - momentum) * variance / (n - 1)`
(with batch 8 of 12x12 images and momentum 0.99: about 1e-5 relative, the size of the migration
guide's tolerance). Inputs of other ranks were not fused in TF1: there the layer is Keras's own.
As TF1's fused kernel, it raises an epsilon below 1.001e-5 to 1.001e-5.

A port of a TF1 program whose batch norm was fused uses this layer to keep the moving averages,
and so the inference outputs after training, equal to the TF1 program's; the kit's `verify`
names the moving variance when a port with Keras's own layer drifts from them.
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["FusedBatchNormalization"]

FUSED_MIN_EPSILON = 1.001e-5  # the fused kernel's floor (cuDNN's CUDNN_BN_MIN_EPSILON)


@keras.saving.register_keras_serializable(package="tfmodels")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Keras's `BatchNormalization` with TF1's fused moving-variance update; see the module.
    Unnamed, it is numbered as Keras's own (`batch_normalization`, `batch_normalization_1`, ...),
    so its weights carry the names of the TF1 variables it replaces."""

    def __init__(self, *args, name=None, **kwargs):
        if name is None:
            from keras.src.utils.naming import auto_name

            name = auto_name("BatchNormalization")
        super().__init__(*args, name=name, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        self._tf1_fused = (rank in (4, 5) and len(axes) == 1
                           and axes[0] % rank in (1, rank - 1) and not self.renorm)
        self._tf1_epsilon = max(self.epsilon, FUSED_MIN_EPSILON) if self._tf1_fused else None

    def call(self, inputs, training=None, mask=None):
        if not self._tf1_fused or mask is not None:
            return super().call(inputs, training=training, mask=mask)
        epsilon, self.epsilon = self.epsilon, self._tf1_epsilon
        before = tf.identity(self.moving_variance.value)  # read before Keras's update
        try:
            outputs = super().call(inputs, training=training)
        finally:
            self.epsilon = epsilon
        if training and self.trainable:
            x = tf.cast(inputs, tf.float32)
            _, variance = tf.nn.moments(x, self._reduction_axes)
            n = tf.cast(tf.size(x) // tf.size(variance), tf.float32)
            corrected = variance * n / tf.maximum(n - 1.0, 1.0)
            rate = 1.0 - tf.constant(self.momentum, tf.float32)  # TF1's, in float32
            self.moving_variance.assign(
                before - (before - tf.cast(corrected, before.dtype)) * tf.cast(rate, before.dtype))
        return outputs
