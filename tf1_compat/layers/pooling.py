"""TF1's pooling layers (`tf.compat.v1.layers.max_pooling1d/2d/3d`, `average_pooling1d/2d/3d`),
classes and functions. No variables: each call takes a unique scope (`max_pooling2d`,
`max_pooling2d_1`, ...; `name` only its default). `pool_size` and `strides` (no default, as in
TF1) are ints or tuples of `rank` ints. With `padding="same"` the average pools' windows at the
border average only the inputs they cover (the padding is not counted).

`channels_first` inputs are moved to channels-last, pooled and moved back (CPUs have no NCHW
pooling kernels): the same numbers.
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat.layers.base import Layer, check_rank, data_format_of, int_tuple, padding_of
from tf1_compat.layers.convolutional import to_channels_first, to_channels_last

v1 = tf.compat.v1

__all__ = ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "MaxPooling1D",
           "MaxPooling2D", "MaxPooling3D", "average_pooling1d", "average_pooling2d",
           "average_pooling3d", "max_pooling1d", "max_pooling2d", "max_pooling3d"]


class _Pooling(Layer):
    rank, kind, largest = 2, "max_pooling2d", True

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        self.pool_size = int_tuple(pool_size, self.rank, "pool_size")
        self.strides = int_tuple(strides, self.rank, "strides")
        self.padding, self.data_format = padding_of(padding), data_format_of(data_format)
        super().__init__(name=name, **kwargs)

    def _check_inputs(self, inputs):
        check_rank(inputs, self.rank + 2, self.kind)

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        pool_size, strides, rank, x = self.pool_size, self.strides, self.rank, inputs
        if rank == 1:  # as TF1: a column of width 1 (the last axis of its layout), pooled in 2-D
            x = tf.expand_dims(x, 3 if channels_first else 2)
            pool_size, strides, rank = pool_size + (1,), strides + (1,), 2
        x = to_channels_last(x, rank) if channels_first else x
        if self.rank == 3:
            pool = tf.nn.max_pool3d if self.largest else tf.nn.avg_pool3d
            data_format = "NDHWC"
        else:
            pool = v1.nn.max_pool if self.largest else tf.nn.avg_pool
            data_format = "NHWC"
        outputs = pool(x, ksize=(1, *pool_size, 1), strides=(1, *strides, 1),
                       padding=self.padding, data_format=data_format)
        outputs = to_channels_first(outputs, rank) if channels_first else outputs
        return tf.squeeze(outputs, [3 if channels_first else 2]) if self.rank == 1 else outputs


class MaxPooling1D(_Pooling):
    """The largest value of each window: TF1's `tf.layers.MaxPooling1D`."""

    rank, kind, largest = 1, "max_pooling1d", True


class MaxPooling2D(_Pooling):
    """The largest value of each window: TF1's `tf.layers.MaxPooling2D`."""

    rank, kind, largest = 2, "max_pooling2d", True


class MaxPooling3D(_Pooling):
    """The largest value of each window: TF1's `tf.layers.MaxPooling3D`."""

    rank, kind, largest = 3, "max_pooling3d", True


class AveragePooling1D(_Pooling):
    """The mean of each window: TF1's `tf.layers.AveragePooling1D`."""

    rank, kind, largest = 1, "average_pooling1d", False


class AveragePooling2D(_Pooling):
    """The mean of each window: TF1's `tf.layers.AveragePooling2D`."""

    rank, kind, largest = 2, "average_pooling2d", False


class AveragePooling3D(_Pooling):
    """The mean of each window: TF1's `tf.layers.AveragePooling3D`."""

    rank, kind, largest = 3, "average_pooling3d", False


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """TF1's `tf.layers.max_pooling1d`: `MaxPooling1D(...)(inputs)`."""
    return MaxPooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """The largest value of each window: TF1's `tf.layers.max_pooling2d` (no default strides)."""
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """TF1's `tf.layers.max_pooling3d`: `MaxPooling3D(...)(inputs)`."""
    return MaxPooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):
    """TF1's `tf.layers.average_pooling1d`: `AveragePooling1D(...)(inputs)`."""
    return AveragePooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):
    """The mean of each window: TF1's `tf.layers.average_pooling2d`."""
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):
    """TF1's `tf.layers.average_pooling3d`: `AveragePooling3D(...)(inputs)`."""
    return AveragePooling3D(pool_size, strides, padding, data_format, name=name)(inputs)
