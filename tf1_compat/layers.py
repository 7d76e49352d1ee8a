"""`tf.compat.v1.layers` again: TF1's functional layers, which raise under Keras 3 (TF >= 2.16).

    from tf1_compat import layers
    h = layers.conv2d(x, 32, 3, padding="same", activation=tf.nn.relu)   # conv2d/kernel, bias
    h = layers.max_pooling2d(h, 2, 2)
    h = layers.batch_normalization(h, training=is_training)            # UPDATE_OPS
    h = layers.dropout(layers.flatten(h), 0.3, training=is_training)
    logits = layers.dense(h, 10)                                         # dense/kernel, bias

Each function keeps TF1's signature, defaults and variable names: variables come from
`get_variable` inside a `variable_scope`, so `variable_scope(..., initializer=...)`, `reuse`,
`AUTO_REUSE`, savers and `tf.compat.v1.trainable_variables()` see them as they saw the old ones.

Naming is TF1's. A layer without `name` opens `variable_scope(None, default_name="dense")`, which
is unique within the current variable scope: dense, dense, conv2d, dense make `dense`, `dense_1`,
`conv2d`, `dense_2`. As in TF1, re-entering a scope by name restarts the count inside it, so a
second `with variable_scope("block"): dense(...)` asks for `block/dense` again (and fails unless
it reuses). A layer with variables and a `name` opens exactly that scope, so
`dense(x, 3, name="fc", reuse=True)` shares `fc/kernel`; an unnamed one with `reuse` shares
`dense/...`. The layers without variables (pooling, flatten, dropout) only use the name as the
default of a unique scope, as TF1's did (`pool`, `pool_1`, ...).

`training` is a Python bool or a boolean tensor (a placeholder), as in TF1: a bool (or a constant)
picks one branch when the graph is built, a tensor becomes a `tf.cond`. Activations are callables
(`activation=tf.nn.relu`).

Where the kernels run differently from TF1: `channels_first` convolutions and pooling transpose to
channels-last and back (CPUs have no NCHW kernels), with the same numbers. Where the layers keep
TF1's behaviour although Keras 3 differs, the function says so (the fused batch norm's moving
variance; the dropout masks, unless `keras_seed` is given).
"""

from __future__ import annotations

import contextlib
import functools
import operator
import threading

import tensorflow as tf

from tfmodels.core.errors import UserError

v1 = tf.compat.v1

# TF1's defaults, made once as TF1's signatures made them (one initializer object for every call).
ZEROS = v1.zeros_initializer()
ONES = v1.ones_initializer()

__all__ = ["average_pooling2d", "batch_normalization", "conv2d", "dense", "dropout", "flatten",
           "keras_masks", "max_pooling2d"]


# -- arguments -----------------------------------------------------------------------------------


def _padding(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise UserError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def _data_format(data_format) -> str:
    if (not isinstance(data_format, str)
            or data_format.lower() not in ("channels_last", "channels_first")):
        raise UserError(f"data_format must be 'channels_last' or 'channels_first', "
                        f"got {data_format!r}")
    return data_format.lower()


def _pair(value, what: str) -> tuple[int, int]:
    """An int or a pair of positive ints, as `(a, b)` (TF1's `normalize_tuple`)."""
    if isinstance(value, int):
        pair = (value, value)
    else:
        pair = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1
                             for v in pair):
        raise UserError(f"{what} must be a positive int or a pair of them, got {value!r}")
    return pair


def _rank(inputs, rank: int, layer: str):
    if inputs.shape.rank != rank:
        raise UserError(f"{layer} needs inputs of rank {rank}, got shape {inputs.shape}")


def _static_bool(training):
    """`training` as a Python bool when it is known while building, else None."""
    if isinstance(training, bool):
        return training
    value = tf.get_static_value(training)
    if value is None:
        return None
    return bool(value)


def _smart_cond(training, true_fn, false_fn):
    """`true_fn()` or `false_fn()` when `training` is known, else a `tf.cond` on it."""
    value = _static_bool(training)
    if value is None:
        return tf.cond(tf.convert_to_tensor(training, tf.bool), true_fn, false_fn)
    return true_fn() if value else false_fn()


# -- scopes --------------------------------------------------------------------------------------


def _layer_scope(name, base: str, reuse):
    """The variable scope of a layer with variables, as TF1's `base.Layer._set_scope` opened it:
    `name` itself, an unnamed reused layer `base`, otherwise a unique `base`, `base_1`, ..."""
    if name is None and reuse:
        return v1.variable_scope(base, reuse=reuse)
    return v1.variable_scope(name, default_name=base, reuse=reuse)


def _op_scope(name, base: str):
    """The scope of a layer without variables: always unique, `name` being only its default."""
    return v1.variable_scope(None, default_name=name or base)


def _activity_loss(outputs, regularizer):
    """TF1's activity regularization: `regularizer(outputs) / batch size`, a regularization
    loss (`tf.compat.v1.losses.get_regularization_loss` adds it up)."""
    if regularizer is None:
        return
    with tf.name_scope("ActivityRegularizer"):
        loss = regularizer(outputs) / tf.cast(tf.shape(outputs)[0], outputs.dtype)
    v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, loss)


# -- dense and conv2d ----------------------------------------------------------------------------


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=ZEROS, kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):
    """`activation(inputs @ kernel + bias)`: TF1's `tf.layers.dense`.

    Variables `<scope>/kernel` of shape (inputs' last dimension, units) and `<scope>/bias` (units,).
    `kernel_initializer=None` leaves the choice to `get_variable`: the enclosing scope's
    initializer, else Glorot uniform. Regularizers add their losses to `REGULARIZATION_LOSSES`
    once, when the variable is created. Inputs of rank > 2 are contracted on their last axis
    (`tensordot`), as TF1 did.
    """
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise UserError(f"units must be a positive integer, got {units!r}")
    inputs = tf.convert_to_tensor(inputs)
    depth = inputs.shape[-1] if inputs.shape.rank else None
    if depth is None:
        raise UserError(f"dense needs inputs whose last dimension is known, got shape "
                        f"{inputs.shape}")
    dtype = inputs.dtype.base_dtype
    with _layer_scope(name, "dense", reuse):
        kernel = v1.get_variable("kernel", (depth, units), dtype, kernel_initializer,
                                 kernel_regularizer, trainable, constraint=kernel_constraint)
        if inputs.shape.rank == 2:
            outputs = tf.matmul(inputs, kernel)
        else:
            outputs = tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([units]))
        if use_bias:
            bias = v1.get_variable("bias", (units,), dtype, bias_initializer, bias_regularizer,
                                   trainable, constraint=bias_constraint)
            outputs = tf.nn.bias_add(outputs, bias)
        if activation is not None:
            outputs = activation(outputs)
        _activity_loss(outputs, activity_regularizer)
        return outputs


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=ZEROS,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
    """A 2-D convolution: TF1's `tf.layers.conv2d`.

    Variables `<scope>/kernel` of shape (kernel rows, kernel cols, input channels, filters) and
    `<scope>/bias` (filters,); `kernel_size`, `strides`, `dilation_rate` are ints or pairs.
    """
    if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
        raise UserError(f"filters must be a positive integer, got {filters!r}")
    kernel_size = _pair(kernel_size, "kernel_size")
    strides = _pair(strides, "strides")
    dilation_rate = _pair(dilation_rate, "dilation_rate")
    tf_padding, data_format = _padding(padding), _data_format(data_format)
    inputs = tf.convert_to_tensor(inputs)
    _rank(inputs, 4, "conv2d")
    channels_first = data_format == "channels_first"
    depth = inputs.shape[1 if channels_first else -1]
    if depth is None:
        raise UserError(f"conv2d needs inputs whose channel dimension is known, got shape "
                        f"{inputs.shape}")
    dtype = inputs.dtype.base_dtype
    with _layer_scope(name, "conv2d", reuse):
        kernel = v1.get_variable("kernel", kernel_size + (depth, filters), dtype,
                                 kernel_initializer, kernel_regularizer, trainable,
                                 constraint=kernel_constraint)
        x = tf.transpose(inputs, (0, 2, 3, 1)) if channels_first else inputs
        outputs = tf.nn.convolution(x, kernel, strides=list(strides), padding=tf_padding,
                                    dilations=list(dilation_rate), data_format="NHWC",
                                    name="Conv2D")
        if use_bias:
            bias = v1.get_variable("bias", (filters,), dtype, bias_initializer, bias_regularizer,
                                   trainable, constraint=bias_constraint)
            outputs = tf.nn.bias_add(outputs, bias)
        if channels_first:
            outputs = tf.transpose(outputs, (0, 3, 1, 2))
        if activation is not None:
            outputs = activation(outputs)
        _activity_loss(outputs, activity_regularizer)
        return outputs


# -- pooling and flatten -------------------------------------------------------------------------


def _pool2d(pool, base, inputs, pool_size, strides, padding, data_format, name):
    pool_size, strides = _pair(pool_size, "pool_size"), _pair(strides, "strides")
    tf_padding, data_format = _padding(padding), _data_format(data_format)
    inputs = tf.convert_to_tensor(inputs)
    _rank(inputs, 4, base)
    with _op_scope(name, base):
        channels_first = data_format == "channels_first"
        x = tf.transpose(inputs, (0, 2, 3, 1)) if channels_first else inputs
        outputs = pool(x, ksize=(1,) + pool_size + (1,), strides=(1,) + strides + (1,),
                       padding=tf_padding, data_format="NHWC")
        return tf.transpose(outputs, (0, 3, 1, 2)) if channels_first else outputs


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """The largest value of each window: TF1's `tf.layers.max_pooling2d` (no default strides)."""
    return _pool2d(v1.nn.max_pool, "max_pooling2d", inputs, pool_size, strides, padding,
                   data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):
    """The mean of each window: TF1's `tf.layers.average_pooling2d`. With `padding="same"` the
    windows at the border average only the inputs they cover (the padding is not counted)."""
    return _pool2d(tf.nn.avg_pool, "average_pooling2d", inputs, pool_size, strides, padding,
                   data_format, name)


def flatten(inputs, name=None, data_format="channels_last"):
    """`(batch, everything else)`: TF1's `tf.layers.flatten`. `channels_first` inputs are moved
    to channels-last first, so both layouts flatten to the same order."""
    data_format = _data_format(data_format)
    inputs = tf.convert_to_tensor(inputs)
    with _op_scope(name, "flatten"):
        rank = inputs.shape.rank
        if data_format == "channels_first" and rank and rank > 1:
            inputs = tf.transpose(inputs, [0, *range(2, rank), 1])
        if rank == 1:
            return tf.expand_dims(inputs, axis=1)
        rest = inputs.shape[1:]
        if rest.is_fully_defined():
            return tf.reshape(inputs, (-1, functools.reduce(operator.mul, rest, 1)))
        if inputs.shape[0] is not None:
            return tf.reshape(inputs, (inputs.shape[0], -1))
        return tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))


# -- dropout -------------------------------------------------------------------------------------


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None, *,
            keras_seed=None, keras_jit_compile=False):
    """Zero each input with probability `rate` while `training`, scaling the kept ones by
    `1 / (1 - rate)`: TF1's `tf.layers.dropout`. Not training, the inputs pass unchanged.

    By default the mask comes from `tf.nn.dropout` with the op seed `seed` (and the graph's
    seed), as in TF1. With `keras_seed=s` it is the mask that Keras 3's `Dropout(rate, seed=s)`
    draws under the TensorFlow backend, call for call. Keras keeps a `SeedGenerator` state, an
    int64 variable `[s, n]` starting at `[s, 0]`; each training call reads it, adds 1 to `n`, and
    draws `tf.nn.experimental.stateless_dropout(inputs, rate, noise_shape=tf.shape(inputs),
    seed=int32(floormod([s, n], 2**31 - 2)))` (`keras.src.backend.tensorflow.random.dropout`;
    a `noise_shape` has its None entries filled from the inputs' shape). Here `n` is a
    non-trainable int64 variable `<scope>/seed_counter` (saved by a `Saver`, initialised to 0),
    read and advanced once per `session.run` that takes the training branch, so the k-th run
    draws Keras's k-th mask. Calls not training, and `rate` 0 or 1 (Keras returns the inputs or
    zeros without drawing), do not advance it. To continue a Keras layer, assign
    `layer.seed_generator.state[1]` to the counter.

    XLA draws other masks from the same seeds. Keras compiled with XLA (`jit_compile=True`,
    which `fit` picks by default on a machine with a GPU and no distribution strategy) is
    matched with `keras_jit_compile=True`, which compiles the draw with XLA too (`jit_scope`;
    checked on CPU).

    Unnamed calls get a counter each, as separate Keras layers would; calls with the same `name`
    share one, as calls of one Keras layer share its state (two such calls in one `run` then
    draw in an unspecified order).

    Under several replicas (Keras under `MirroredStrategy`; checked on two logical CPUs): the
    state is a mirrored variable with aggregation "none", so every replica keeps its own copy,
    starting at `[s, 0]` and advanced once per call. Every replica thus draws the same seed and,
    for per-replica batches of the same shape, the same mask as every other replica (and as one
    device would for that shape): the replicas do not drop different units. TF1 towers that each
    call this function in their own scope reproduce that, each tower having its own counter.
    """
    if not 0 <= rate <= 1:
        raise UserError(f"rate must be in [0, 1], got {rate!r}")
    inputs = tf.convert_to_tensor(inputs)
    if keras_seed is not None:
        if isinstance(keras_seed, bool) or not isinstance(keras_seed, int):
            raise UserError(f"keras_seed must be an integer, got {keras_seed!r}")
        scope = (v1.variable_scope(name, reuse=v1.AUTO_REUSE) if name is not None
                 else _op_scope(None, "dropout"))
    else:
        scope = _op_scope(name, "dropout")
    with scope:
        if rate == 0:
            return tf.identity(inputs)
        if rate == 1:  # TF1's tf.nn.dropout refuses rate 1; Keras returns zeros
            return _smart_cond(training, lambda: tf.zeros_like(inputs),
                               lambda: tf.identity(inputs))
        if keras_seed is None:
            def dropped():  # looked up when called: keras_masks() puts its own in its place
                return tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)
        else:
            counter = v1.get_variable("seed_counter", (), tf.int64, v1.zeros_initializer(),
                                      trainable=False, use_resource=True,
                                      collections=[v1.GraphKeys.GLOBAL_VARIABLES])

            def dropped():
                return _keras_dropout(inputs, rate, noise_shape, keras_seed, counter,
                                      keras_jit_compile)

        return _smart_cond(training, dropped, lambda: tf.identity(inputs))


def _keras_dropout(inputs, rate, noise_shape, seed, counter, jit_compile):
    """Keras 3's TensorFlow `dropout` with the seed `[seed, counter]`; advances the counter."""
    count = counter.read_value()
    with tf.control_dependencies([count]):
        advance = counter.assign_add(1, read_value=False)
    outputs = _keras_draw(inputs, rate, noise_shape, seed, count, jit_compile)
    with tf.control_dependencies([advance]):
        return tf.identity(outputs)


def _keras_draw(inputs, rate, noise_shape, seed, count, jit_compile=False):
    """What Keras 3's TensorFlow `dropout` draws from a SeedGenerator whose state is
    `[seed, count]` (`draw_seed` + `_cast_seed` of `keras.src.backend.tensorflow.random`)."""
    state = tf.stack([tf.constant(seed, tf.int64), tf.cast(count, tf.int64)])
    keras_seed = tf.cast(tf.math.floormod(state, tf.int32.max - 1), tf.int32)
    shape = tf.shape(inputs)
    if tf.is_tensor(noise_shape):  # TF1 code's tf.stack([tf.shape(h)[0], 1]): as given
        shape = noise_shape
    elif noise_shape is not None:  # Keras's _get_concrete_noise_shape: None takes the input's
        shape = [shape[i] if d is None else d for i, d in enumerate(noise_shape)]
    with tf.xla.experimental.jit_scope() if jit_compile else contextlib.nullcontext():
        return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=shape,
                                                    seed=keras_seed)


_MASKS = threading.local()  # .seed_and_step while keras_masks() is active in this thread


@contextlib.contextmanager
def keras_masks(seed: int, step):
    """Dropout masks aligned with Keras 3's, for tests (the Keras 3 stand-in for the migration
    guide's `DeterministicRandomTestTool`): while the context is active in this thread, every
    `dropout` of this module without `keras_seed`, and every `tf.nn.dropout` and
    `tf.compat.v1.nn.dropout` (the latter's `keep_prob` too), draws the mask that a Keras 3
    `Dropout` layer draws when its seed generator's state is `[seed, step]`. `step` is a number
    or an integer tensor (a placeholder, fed a new value each `session.run`). Set every Keras
    `Dropout` layer's `seed_generator.state` to `[seed, step]` before its call and the two sides
    drop the same units; the kit's `verify` does both. Every dropout draws from the same seed,
    so two dropouts of the same shape drop the same units (the guide's "constant" mode).
    `tf.nn.dropout` is replaced in TensorFlow's modules while the context is active (and put
    back after): code that imported the function itself beforehand is not reached.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserError(f"seed must be an integer, got {seed!r}")
    previous = getattr(_MASKS, "seed_and_step", None)
    nn_v2, nn_v1 = tf.nn.dropout, v1.nn.dropout

    def dropout_v2(x, rate, noise_shape=None, seed=None, name=None):
        if getattr(_MASKS, "seed_and_step", None) is None:  # a thread outside the context
            return nn_v2(x, rate=rate, noise_shape=noise_shape, seed=seed, name=name)
        with tf.name_scope(name or "dropout"):
            return _keras_draw(tf.convert_to_tensor(x), rate, noise_shape,
                               *_MASKS.seed_and_step)

    def dropout_v1(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
        if rate is None:
            if keep_prob is None:
                raise UserError("tf.compat.v1.nn.dropout needs keep_prob or rate")
            rate = 1 - keep_prob
        return dropout_v2(x, rate, noise_shape, seed, name)

    _MASKS.seed_and_step = (seed, step)
    tf.nn.dropout, v1.nn.dropout = dropout_v2, dropout_v1
    try:
        yield
    finally:
        _MASKS.seed_and_step = previous
        tf.nn.dropout, v1.nn.dropout = nn_v2, nn_v1


# -- batch normalization -------------------------------------------------------------------------


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=ZEROS,
                        gamma_initializer=ONES,
                        moving_mean_initializer=ZEROS,
                        moving_variance_initializer=ONES,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    """`gamma * (inputs - mean) / sqrt(variance + epsilon) + beta`: TF1's
    `tf.layers.batch_normalization`.

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
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise UserError("batch_normalization does not support renorm, virtual_batch_size or "
                        "adjustment")
    inputs = tf.convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None:
        raise UserError("batch_normalization needs inputs of known rank")
    axes = [axis] if isinstance(axis, int) else list(axis)
    if not axes or any(isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank
                       for a in axes):
        raise UserError(f"axis must be an axis of the inputs (rank {rank}), got {axis!r}")
    axes = sorted({a % rank for a in axes})
    for a in axes:
        if inputs.shape[a] is None:
            raise UserError(f"batch_normalization needs inputs whose axis {a} is known, got "
                            f"shape {inputs.shape}")
    dtype = inputs.dtype.base_dtype
    param_dtype = tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype
    data_format = {(4, 1): "NCHW", (4, 3): "NHWC", (5, 1): "NCDHW", (5, 4): "NDHWC"}.get(
        (rank, axes[0]) if len(axes) == 1 else None)
    use_fused = (fused in (None, True) and data_format is not None
                 and dtype in (tf.float16, tf.bfloat16, tf.float32))
    param_shape = ((inputs.shape[axes[0]],) if len(axes) == 1
                   else tuple(inputs.shape[i] if i in axes else 1 for i in range(rank)))

    with _layer_scope(name, "batch_normalization", reuse):
        def weight(var_name, initializer, regularizer, constraint):
            return v1.get_variable(var_name, param_shape, param_dtype, initializer, regularizer,
                                   trainable, constraint=constraint)

        def moving(var_name, initializer):
            return v1.get_variable(
                var_name, param_shape, param_dtype, initializer, trainable=False,
                synchronization=tf.VariableSynchronization.ON_READ,
                aggregation=tf.VariableAggregation.MEAN)

        gamma = weight("gamma", gamma_initializer, gamma_regularizer,
                       gamma_constraint) if scale else None
        beta = weight("beta", beta_initializer, beta_regularizer,
                      beta_constraint) if center else None
        moving_mean = moving("moving_mean", moving_mean_initializer)
        moving_variance = moving("moving_variance", moving_variance_initializer)

        training_value = _static_bool(training)
        if use_fused:
            outputs, mean, variance = _fused(inputs, gamma, beta, moving_mean, moving_variance,
                                             epsilon, training, data_format, param_shape,
                                             param_dtype)
        else:
            outputs, mean, variance = _plain(inputs, gamma, beta, moving_mean, moving_variance,
                                             epsilon, training, axes)
        if training_value is not False:
            # TF1's `1 - momentum`: in float32 after the fused kernel (1 - 0.99f), in Python before
            # the plain one (0.01f); a tensor `training` that is False moves nothing (rate 0).
            def rate_():
                if use_fused:
                    return 1.0 - tf.constant(momentum, param_dtype)
                return tf.constant(1.0 - momentum, param_dtype)

            rate = _smart_cond(training, rate_, lambda: tf.constant(0.0, param_dtype))
            for var, value in ((moving_mean, mean), (moving_variance, variance)):
                v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, _assign_moving_average(
                    var, value, rate))
        return outputs


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

    return _smart_cond(training, train, infer)


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

    if _static_bool(training) is False:
        mean, variance = tf.identity(moving_mean), tf.identity(moving_variance)
    else:
        batch_mean, batch_variance = tf.nn.moments(tf.cast(inputs, moving_mean.dtype), reduction,
                                                   keepdims=len(axes) > 1)
        mean = _smart_cond(training, lambda: batch_mean, lambda: tf.identity(moving_mean))
        variance = _smart_cond(training, lambda: batch_variance,
                               lambda: tf.identity(moving_variance))
    cast = functools.partial(tf.cast, dtype=inputs.dtype)
    outputs = tf.nn.batch_normalization(
        inputs, broadcast(cast(mean)), broadcast(cast(variance)),
        None if beta is None else broadcast(cast(beta)),
        None if gamma is None else broadcast(cast(gamma)), epsilon)
    outputs = tf.cast(outputs, dtype)
    outputs.set_shape(inputs.shape)
    return outputs, mean, variance
