"""TF1's `BatchNormalization` (`tf.compat.v1.layers.batch_normalization`), class and function."""

from __future__ import annotations

import functools

import tensorflow as tf

from tf1_compat.layers.base import (
    ONES,
    ZEROS,
    Layer,
    UserError,
    check_training,
    smart_cond,
    static_bool,
)

v1 = tf.compat.v1

__all__ = ["BatchNormalization", "batch_normalization"]


class BatchNormalization(Layer):
    """`gamma * (inputs - mean) / sqrt(variance + epsilon) + beta`: TF1's
    `tf.layers.BatchNormalization`, called as `layer(x, training=...)`.

    Training, `mean` and `variance` are the batch's (over every axis but `axis`), and the moving
    averages move towards them, `moving -= (moving - batch) * (1 - momentum)`, through two ops
    added to `tf.compat.v1.GraphKeys.UPDATE_OPS`: run them with the train op (for example
    `tf.control_dependencies(tf.compat.v1.get_collection(UPDATE_OPS))` around `minimize`);
    nothing else updates the moving averages. Not training, the moving averages are used and no
    update op is made. A tensor `training` makes both, the updates moving nothing when it is
    False.

    Variables: `<scope>/gamma`, `beta` (trainable unless `trainable=False`), `moving_mean` and
    `moving_variance` (never trainable; in GLOBAL_VARIABLES only, as TF1's: not in
    MOVING_AVERAGE_VARIABLES, which `ExponentialMovingAverage.variables_to_restore()` reads as
    "variables that have an average", so that an evaluation restoring the averages of the
    trainable variables would look for `moving_mean/ExponentialMovingAverage` in the checkpoint).

    Like TF1 (`fused=None` or True), 4-D inputs normalized over axis 1 or 3, and 5-D over 1 or 4,
    in float16/bfloat16/float32, use the fused kernel (`tf.compat.v1.nn.fused_batch_norm`);
    everything else, or `fused=False`, the plain `tf.nn.moments` + `tf.nn.batch_normalization`.
    The fused kernel hands back the batch variance with Bessel's correction, `n / (n - 1)`
    times the one it normalizes with, and TF1 fed that one to the moving variance: so does this
    layer. Keras 3 (and `fused=False`) average the uncorrected variance: on the same batches the
    moving variances differ by that factor. It also raises an `epsilon` below 1.001e-5 to
    1.001e-5. `renorm`, `virtual_batch_size` and `adjustment` are not supported.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=ZEROS, gamma_initializer=ONES, moving_mean_initializer=ZEROS,
                 moving_variance_initializer=ONES, beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None,
                 trainable=True, virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise UserError("batch_normalization does not support renorm, virtual_batch_size "
                            "or adjustment")
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale, self.fused = center, scale, fused
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def _layout(self, shape):
        """`(axes, data_format of the fused kernel or None, parameter shape)` for `shape`."""
        rank, axis = shape.rank, self.axis
        if rank is None:
            raise UserError("batch_normalization needs inputs of known rank")
        axes = [axis] if isinstance(axis, int) else list(axis)
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank
                           for a in axes):
            raise UserError(f"axis must be an axis of the inputs (rank {rank}), got {axis!r}")
        axes = sorted({a % rank for a in axes})
        for a in axes:
            if shape[a] is None:
                raise UserError(f"batch_normalization needs inputs whose axis {a} is known, "
                                f"got shape {shape}")
        data_format = {(4, 1): "NCHW", (4, 3): "NHWC", (5, 1): "NCDHW", (5, 4): "NDHWC"}.get(
            (rank, axes[0]) if len(axes) == 1 else None)
        param_shape = ((shape[axes[0]],) if len(axes) == 1
                       else tuple(shape[i] if i in axes else 1 for i in range(rank)))
        return axes, data_format, param_shape

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        _, _, param_shape = self._layout(input_shape)
        dtype = self.dtype or tf.float32
        param_dtype = tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype

        def weight(var_name, initializer, regularizer, constraint):
            return self.add_weight(var_name, param_shape, param_dtype, initializer, regularizer,
                                   constraint=constraint)

        def moving(var_name, initializer):
            return self.add_weight(
                var_name, param_shape, param_dtype, initializer, trainable=False,
                synchronization=tf.VariableSynchronization.ON_READ,
                aggregation=tf.VariableAggregation.MEAN)

        if self.scale:
            self.gamma = weight("gamma", self.gamma_initializer, self.gamma_regularizer,
                                self.gamma_constraint)
        if self.center:
            self.beta = weight("beta", self.beta_initializer, self.beta_regularizer,
                               self.beta_constraint)
        self.moving_mean = moving("moving_mean", self.moving_mean_initializer)
        self.moving_variance = moving("moving_variance", self.moving_variance_initializer)
        self.built = True

    def call(self, inputs, training=False):
        training = check_training(training)
        axes, data_format, param_shape = self._layout(inputs.shape)
        dtype = inputs.dtype.base_dtype
        param_dtype = self.moving_mean.dtype.base_dtype
        use_fused = (self.fused in (None, True) and data_format is not None
                     and dtype in (tf.float16, tf.bfloat16, tf.float32))
        moving_mean, moving_variance = self.moving_mean, self.moving_variance
        if use_fused:
            outputs, mean, variance = _fused(inputs, self.gamma, self.beta, moving_mean,
                                             moving_variance, self.epsilon, training,
                                             data_format, param_shape, param_dtype)
        else:
            outputs, mean, variance = _plain(inputs, self.gamma, self.beta, moving_mean,
                                             moving_variance, self.epsilon, training, axes)
        if static_bool(training) is not False:
            # TF1's `1 - momentum`: in float32 after the fused kernel (1 - 0.99f), in Python before
            # the plain one (0.01f); a tensor `training` that is False moves nothing (rate 0).
            momentum = self.momentum

            def rate_():
                if use_fused:
                    return 1.0 - tf.constant(momentum, param_dtype)
                return tf.constant(1.0 - momentum, param_dtype)

            rate = smart_cond(training, rate_, lambda: tf.constant(0.0, param_dtype))
            for var, value in ((moving_mean, mean), (moving_variance, variance)):
                self.add_update(_assign_moving_average(var, value, rate))
        return outputs


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=ZEROS,
                        gamma_initializer=ONES,
                        moving_mean_initializer=ZEROS,
                        moving_variance_initializer=ONES,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    """TF1's `tf.layers.batch_normalization`: `BatchNormalization(...)(inputs, training)` in
    the scope `name` (see `BatchNormalization`)."""
    layer = BatchNormalization(
        axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
        moving_mean_initializer, moving_variance_initializer, beta_regularizer,
        gamma_regularizer, beta_constraint, gamma_constraint, renorm, renorm_clipping,
        renorm_momentum, fused, trainable, virtual_batch_size, adjustment, name=name,
        _scope=name, _reuse=reuse)
    return layer(inputs, training=training)


def _assign_moving_average(variable, value, rate):
    """TF1's update: `variable -= (variable - value) * (1 - momentum)`."""
    with tf.name_scope("AssignMovingAvg") as scope:
        delta = (variable - tf.cast(value, variable.dtype)) * rate
        return v1.assign_sub(variable, delta, name=scope)


def _fused(inputs, gamma, beta, moving_mean, moving_variance, epsilon, training, data_format,
           param_shape, param_dtype):
    """The fused kernel, as TF1 called it in graph mode: `(outputs, batch mean, batch variance
    with Bessel's correction)` training, `(outputs, moving mean, moving variance)` not."""
    if gamma is None:
        gamma = tf.ones(param_shape, param_dtype)
    if beta is None:
        beta = tf.zeros(param_shape, param_dtype)

    def train():
        return v1.nn.fused_batch_norm(inputs, gamma, beta, mean=moving_mean,
                                      variance=moving_variance, epsilon=epsilon,
                                      is_training=True, data_format=data_format)

    def infer():
        return v1.nn.fused_batch_norm(inputs, gamma, beta, mean=moving_mean,
                                      variance=moving_variance, epsilon=epsilon,
                                      is_training=False, data_format=data_format)

    return smart_cond(training, train, infer)


def _plain(inputs, gamma, beta, moving_mean, moving_variance, epsilon, training, axes):
    """`tf.nn.moments` and `tf.nn.batch_normalization`, as TF1's unfused layer.

    As TF1 did, the batch's moments are taken outside the `tf.cond` on a tensor `training`, and
    one cond each picks the mean and the variance (or the moving ones): the same forward numbers
    as moments inside one cond, but the gradients reach the inputs in TF1's order, so that they
    (and training) are TF1's bit for bit. Not training (a Python False), no moments are taken."""
    dtype = inputs.dtype.base_dtype
    if dtype in (tf.float16, tf.bfloat16):  # statistics in float32, as TF1 and Keras do
        inputs = tf.cast(inputs, tf.float32)
    rank = inputs.shape.rank
    reduction = [i for i in range(rank) if i not in axes]
    broadcast_shape = [1] * rank
    broadcast_shape[axes[0]] = inputs.shape[axes[0]]

    def broadcast(v):
        if v is not None and v.shape.rank != rank and reduction != list(range(rank - 1)):
            return tf.reshape(v, broadcast_shape)
        return v

    if static_bool(training) is False:
        mean, variance = tf.identity(moving_mean), tf.identity(moving_variance)
    else:
        batch_mean, batch_variance = tf.nn.moments(tf.cast(inputs, moving_mean.dtype), reduction,
                                                   keepdims=len(axes) > 1)
        mean = smart_cond(training, lambda: batch_mean, lambda: tf.identity(moving_mean))
        variance = smart_cond(training, lambda: batch_variance,
                               lambda: tf.identity(moving_variance))
    cast = functools.partial(tf.cast, dtype=inputs.dtype)
    outputs = tf.nn.batch_normalization(
        inputs, broadcast(cast(mean)), broadcast(cast(variance)),
        None if beta is None else broadcast(cast(beta)),
        None if gamma is None else broadcast(cast(gamma)), epsilon)
    outputs = tf.cast(outputs, dtype)
    outputs.set_shape(inputs.shape)
    return outputs, mean, variance

