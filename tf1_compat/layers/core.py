"""TF1's `Dense` and `Flatten` (`tf.compat.v1.layers.dense`, `flatten`), classes and functions.

`dense(x, ...)` is `Dense(..., name=name, _scope=name, _reuse=reuse)(x)`, as in TF1.
"""

from __future__ import annotations

import functools
import operator

import tensorflow as tf

from tf1_compat.layers.base import (
    ZEROS,
    Layer,
    UserError,
    activation_of,
    data_format_of,
    positive_int,
)

__all__ = ["Dense", "Flatten", "dense", "flatten"]


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`: TF1's `tf.layers.Dense`.

    Variables `<scope>/kernel` of shape (inputs' last dimension, units) and `<scope>/bias` (units,).
    `kernel_initializer=None` leaves the choice to `get_variable`: the enclosing scope's
    initializer, else Glorot uniform. Regularizers add their losses to `REGULARIZATION_LOSSES`
    once, when the variable is created. Inputs of rank > 2 are contracted on their last axis
    (`tensordot`), as TF1 did. `units` may be a NumPy integer, `activation` a callable or a
    Keras activation's name ("relu").
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=ZEROS, kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 trainable=True, name=None, **kwargs):
        units = positive_int(units, "units")
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.units, self.activation, self.use_bias = units, activation_of(activation), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        depth = input_shape[-1] if input_shape.rank else None
        if depth is None:
            raise UserError(f"dense needs inputs whose last dimension is known, got shape "
                            f"{input_shape}")
        self.kernel = self.add_weight("kernel", (depth, self.units), self.dtype,
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.dtype, self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        rank = inputs.shape.rank
        if rank == 2:
            outputs = tf.matmul(inputs, self.kernel)
        else:
            outputs = tf.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=ZEROS, kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's `tf.layers.dense`: `Dense(...)(inputs)` in the scope `name` (see `Dense`)."""
    layer = Dense(units, activation, use_bias, kernel_initializer, bias_initializer,
                  kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
                  bias_constraint, trainable, name=name, _scope=name, _reuse=reuse)
    return layer(inputs)


class Flatten(Layer):
    """`(batch, everything else)`: TF1's `tf.layers.Flatten`. `channels_first` inputs are moved
    to channels-last first, so both layouts flatten to the same order."""

    def __init__(self, data_format=None, **kwargs):
        self.data_format = data_format_of(data_format or "channels_last")
        super().__init__(**kwargs)

    def call(self, inputs):
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank and rank > 1:
            inputs = tf.transpose(inputs, [0, *range(2, rank), 1])
        if rank == 1:
            return tf.expand_dims(inputs, axis=1)
        rest = inputs.shape[1:]
        if rest.is_fully_defined():
            return tf.reshape(inputs, (-1, functools.reduce(operator.mul, rest, 1)))
        if inputs.shape[0] is not None:
            return tf.reshape(inputs, (inputs.shape[0], -1))
        return tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))


def flatten(inputs, name=None, data_format="channels_last"):
    """TF1's `tf.layers.flatten`: `Flatten(data_format, name=name)(inputs)`, in a unique scope
    (`flatten`, `flatten_1`, ...; `name` only its default)."""
    return Flatten(data_format=data_format, name=name)(inputs)
