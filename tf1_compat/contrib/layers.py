"""`tf.contrib.layers` again: the TF-Slim layers, initializers and regularizers TF1 programs used
most (TF 2 removed `tf.contrib`; `tf_slim` still has them, but it needs TF1's legacy layers,
which Keras 3 removed).

    from tf1_compat.contrib import layers as slim
    h = slim.conv2d(images, 32, [3, 3], normalizer_fn=slim.batch_norm,
                    normalizer_params={"is_training": is_training})   # Conv/weights, BatchNorm/...
    h = slim.flatten(h)
    logits = slim.fully_connected(h, 10, activation_fn=None)          # fully_connected/weights
    h = slim.layer_norm(h)                                            # LayerNorm/beta, gamma

As in TF-Slim, every variable is a model variable (in GLOBAL_VARIABLES and MODEL_VARIABLES, and
TRAINABLE_VARIABLES unless `trainable=False`), named `<scope>/weights` and `<scope>/biases`
(`kernel`/`bias` renamed), the scopes unique (`fully_connected`, `fully_connected_1`, ...)
unless `scope=` names one; `variables_collections` adds them to more collections (a list, or a
dict by variable name), `outputs_collections` the outputs (with their `aliases`). The weights
start from Xavier (Glorot) uniform, computed as contrib's `variance_scaling_initializer` did.
The layers take their defaults from `arg_scope` (here as in TF-Slim; `contrib.framework`'s).
"""

from __future__ import annotations

import math
import numbers

import tensorflow as tf

from tf1_compat import layers as tf1_layers
from tf1_compat.contrib.framework import add_arg_scope, arg_scope
from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["apply_regularization", "arg_scope", "batch_norm", "conv2d", "convolution2d", "flatten",
           "fully_connected", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer",
           "layer_norm", "sum_regularizer", "variance_scaling_initializer",
           "xavier_initializer", "xavier_initializer_conv2d"]


# -- initializers --------------------------------------------------------------------------------


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=tf.float32):
    """contrib's initializer (not `tf.compat.v1.variance_scaling_initializer`, whose arguments
    are scale/mode/distribution): fan_in is `shape[-2]`, fan_out `shape[-1]`, both times the
    receptive field `shape[:-2]`; `n` is fan_in, fan_out or their mean (FAN_IN, FAN_OUT,
    FAN_AVG); uniform on +-sqrt(3 factor / n), else a truncated normal of standard deviation
    sqrt(1.3 factor / n). The default is He's initialization."""
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise UserError(f"variance_scaling_initializer needs a floating dtype, got {dtype.name}")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise UserError(f"mode must be 'FAN_IN', 'FAN_OUT' or 'FAN_AVG', got {mode!r}")

    def initializer(shape, dtype=dtype, partition_info=None):
        shape = tf.TensorShape(shape).as_list()
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
        fan_out = float(shape[-1]) if shape else 1.0
        for dim in shape[:-2]:
            fan_in *= float(dim)
            fan_out *= float(dim)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        return v1.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype, seed=seed)

    return initializer


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """Glorot's initializer, contrib's way: `variance_scaling_initializer(1.0, "FAN_AVG",
    uniform)` (uniform on +-sqrt(6 / (fan_in + fan_out)))."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer
_XAVIER = xavier_initializer()
_ZEROS = v1.zeros_initializer()


# -- regularizers --------------------------------------------------------------------------------


def _scale(scale, what):
    if isinstance(scale, numbers.Integral):
        raise UserError(f"{what}: scale cannot be an integer, got {scale!r}")
    if isinstance(scale, numbers.Real) and scale < 0:
        raise UserError(f"{what}: scale must be >= 0, got {scale!r}")
    return scale


def _penalty(kind: str, scale, scope, penalty):
    """A TF1 regularizer: `scale * penalty(weights)` in a name scope of `kind` (a scale of 0:
    a regularizer returning None, as TF1's)."""
    if _scale(scale, kind) == 0:
        return lambda _: None

    def regularizer(weights):
        with tf.name_scope(scope or kind) as name:
            my_scale = tf.convert_to_tensor(scale, weights.dtype.base_dtype, name="scale")
            return tf.multiply(my_scale, penalty(weights), name=name)

    return regularizer


def l1_regularizer(scale, scope=None):
    """`scale * sum(|weights|)` (a scale of 0 gives a regularizer returning None, as TF1's)."""
    return _penalty("l1_regularizer", scale, scope, lambda w: tf.reduce_sum(tf.abs(w)))


def l2_regularizer(scale, scope=None):
    """`scale * sum(weights ** 2) / 2` (`tf.nn.l2_loss`; a scale of 0: None, as TF1's)."""
    return _penalty("l2_regularizer", scale, scope, tf.nn.l2_loss)


def sum_regularizer(regularizer_list, scope=None):
    """The sum of the regularizers' penalties (those that are not None)."""
    regularizer_list = [r for r in regularizer_list if r]
    if not regularizer_list:
        return None

    def summed(weights):
        with tf.name_scope(scope or "sum_regularizer") as name:
            penalties = [p for p in (r(weights) for r in regularizer_list) if p is not None]
            return tf.add_n(penalties, name=name)

    return summed


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """`l1_regularizer(scale_l1) + l2_regularizer(scale_l2)`."""
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)],
                           scope=scope or "l1_l2_regularizer")


def apply_regularization(regularizer, weights_list=None):
    """The sum of `regularizer(w)` over `weights_list` (default: the WEIGHTS collection), added
    to REGULARIZATION_LOSSES and returned."""
    weights_list = weights_list or v1.get_collection(v1.GraphKeys.WEIGHTS)
    if not weights_list:
        raise UserError("apply_regularization: no weights to regularize (weights_list is empty "
                        "and so is the WEIGHTS collection)")
    with tf.name_scope("get_regularization_penalty") as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [tf.constant(0.0) if p is None else p for p in penalties]
        for p in penalties:
            if p.shape.rank != 0:
                raise UserError(f"apply_regularization: a penalty must be a scalar, got shape "
                                f"{p.shape}")
        summed = tf.add_n(penalties, name=scope)
    v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, summed)
    return summed


# -- model variables and outputs -----------------------------------------------------------------


def _variable_collections(variables_collections, name):
    """Slim's `get_variable_collections`: a dict by variable name, or one list for all."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name)
    return variables_collections


def _model_variable_getter(renames=None):
    """A custom getter making every variable a model variable (GLOBAL_VARIABLES and
    MODEL_VARIABLES, plus the collections asked for), `renames` its last name component."""
    renames = renames or {}

    def getter(getter, name, *args, **kwargs):  # TF calls it with keywords only
        parts = name.split("/")
        parts[-1] = renames.get(parts[-1], parts[-1])
        collections = list(kwargs.pop("collections", None) or [])
        for key in (v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.MODEL_VARIABLES):
            if key not in collections:
                collections.append(key)
        return getter("/".join(parts), *args, collections=collections, **kwargs)

    return getter


def _model_variable(name, shape, dtype, initializer, regularizer=None, collections=None,
                    trainable=True):
    """Slim's `model_variable`: `get_variable` in GLOBAL_VARIABLES and MODEL_VARIABLES."""
    collections = list(collections or [])
    for key in (v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.MODEL_VARIABLES):
        if key not in collections:
            collections.append(key)
    return v1.get_variable(name, shape, dtype, initializer, regularizer, trainable,
                           collections=collections)


def _add_to_collections(variable, variables_collections, name):
    for key in _variable_collections(variables_collections, name) or []:
        if not any(variable is v for v in v1.get_collection(key)):
            v1.add_to_collection(key, variable)


def _collect_outputs(outputs_collections, alias, outputs):
    """Slim's `collect_named_outputs`: the outputs, with `aliases` [scope name], in the
    collections named."""
    if outputs_collections:
        alias = alias[:-1] if alias.endswith("/") else alias
        if hasattr(outputs, "aliases"):
            outputs.aliases.append(alias)
        else:
            outputs.aliases = [alias]
        for key in outputs_collections:
            v1.add_to_collection(key, outputs)
    return outputs


def _finish(outputs, normalizer_fn, normalizer_params, activation_fn):
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return outputs


# -- layers --------------------------------------------------------------------------------------


def _apply(layer, inputs, sc, normalizer_fn, normalizer_params, activation_fn,
           variables_collections, outputs_collections):
    """What slim's fully_connected and conv2d do after making their layer: call it, file its
    `weights` and `biases` in the collections asked for, normalize, activate, collect."""
    outputs = layer(inputs)
    _add_to_collections(layer.kernel, variables_collections, "weights")
    if layer.bias is not None:
        _add_to_collections(layer.bias, variables_collections, "biases")
    outputs = _finish(outputs, normalizer_fn, normalizer_params, activation_fn)
    return _collect_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=_XAVIER,
                    weights_regularizer=None, biases_initializer=_ZEROS,
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """`activation_fn(normalizer_fn(inputs @ weights + biases))`: TF-Slim's
    `fully_connected`, in the scope `fully_connected` (unique) or `scope`. Its activation is
    ReLU unless `activation_fn=None`; with a `normalizer_fn` (or `biases_initializer=None`)
    there are no biases. Inputs of rank > 2 are contracted on their last axis."""
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, numbers.Integral):
        raise UserError(f"num_outputs must be an integer, got {num_outputs!r}")
    with v1.variable_scope(scope, "fully_connected", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter({"kernel": "weights",
                                                                 "bias": "biases"})) as sc:
        inputs = tf.convert_to_tensor(inputs)
        layer = tf1_layers.Dense(
            num_outputs, None, not normalizer_fn and biases_initializer is not None,
            weights_initializer, biases_initializer, weights_regularizer, biases_regularizer,
            trainable=trainable, name=sc.name, dtype=inputs.dtype.base_dtype, _scope=sc,
            _reuse=reuse)
        return _apply(layer, inputs, sc, normalizer_fn, normalizer_params, activation_fn,
                      variables_collections, outputs_collections)


@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
                  rate=1, activation_fn=tf.nn.relu, normalizer_fn=None, normalizer_params=None,
                  weights_initializer=_XAVIER, weights_regularizer=None,
                  biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable=True,
                  scope=None):
    """TF-Slim's `conv2d`: a 2-D convolution in the scope `Conv` (unique) or `scope`, variables
    `weights` (kernel rows, cols, input channels, outputs) and `biases`; padding "SAME" and a
    ReLU by default; `data_format` None/"NHWC" or "NCHW"; `rate` the dilation."""
    if data_format not in (None, "NHWC", "NCHW"):
        raise UserError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    with v1.variable_scope(scope, "Conv", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter({"kernel": "weights",
                                                                 "bias": "biases"})) as sc:
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 4:
            raise UserError(f"conv2d needs inputs of rank 4, got shape {inputs.shape}")
        layer = tf1_layers.Conv2D(
            num_outputs, kernel_size, stride, padding,
            "channels_first" if data_format == "NCHW" else "channels_last", rate, None,
            not normalizer_fn and biases_initializer is not None, weights_initializer,
            biases_initializer, weights_regularizer, biases_regularizer, trainable=trainable,
            name=sc.name, dtype=inputs.dtype.base_dtype, _scope=sc, _reuse=reuse)
        return _apply(layer, inputs, sc, normalizer_fn, normalizer_params, activation_fn,
                      variables_collections, outputs_collections)


conv2d = convolution2d


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """`(batch, everything else)`: TF-Slim's `flatten`, in the name scope `Flatten`."""
    with tf.name_scope(scope or "Flatten") as sc:
        outputs = tf1_layers.flatten(tf.convert_to_tensor(inputs))
        return _collect_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """TF-Slim's layer normalization: `(x - mean) / sqrt(variance + 1e-12) * gamma + beta`, the
    moments over the axes from `begin_norm_axis` on (`tf.nn.moments`, kept), `beta` and `gamma`
    of shape `inputs.shape[begin_params_axis:]` (zeros and ones) in the scope `LayerNorm`;
    float16 inputs take 1e-3 for 1e-12."""
    with v1.variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = tf.convert_to_tensor(inputs)
        shape, rank = inputs.shape, inputs.shape.rank
        if rank is None:
            raise UserError("layer_norm needs inputs of known rank")
        norm_axis = begin_norm_axis + rank if begin_norm_axis < 0 else begin_norm_axis
        if begin_params_axis >= rank or norm_axis >= rank:
            raise UserError(f"layer_norm: begin_params_axis ({begin_params_axis}) and "
                            f"begin_norm_axis ({begin_norm_axis}) must be < rank(inputs) "
                            f"({rank})")
        params_shape = shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise UserError(f"layer_norm needs inputs whose shape[{begin_params_axis}:] is "
                            f"known, got shape {shape}")
        dtype = inputs.dtype.base_dtype
        beta = gamma = None
        if center:
            beta = _model_variable("beta", params_shape, dtype, v1.zeros_initializer(),
                                   collections=_variable_collections(variables_collections,
                                                                     "beta"),
                                   trainable=trainable)
        if scale:
            gamma = _model_variable("gamma", params_shape, dtype, v1.ones_initializer(),
                                    collections=_variable_collections(variables_collections,
                                                                      "gamma"),
                                    trainable=trainable)
        mean, variance = tf.nn.moments(inputs, list(range(norm_axis, rank)), keepdims=True)
        outputs = tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                            variance_epsilon=1e-12 if dtype != tf.float16
                                            else 1e-3)
        outputs.set_shape(shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect_outputs(outputs_collections, sc.name, outputs)


# -- batch normalization -------------------------------------------------------------------------


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None,
               updates_collections=v1.GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC",
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """TF-Slim's `batch_norm`: variables `BatchNorm/beta` (center), `gamma` (only with
    `scale=True`: off by default), `moving_mean`, `moving_variance` (model variables, never
    trainable); the moving averages move by `(moving - batch) * (1 - decay)` (decay 0.999)
    through two ops put in `updates_collections` (UPDATE_OPS), or run with the outputs when
    `updates_collections=None`; `is_training` a Python bool or a boolean tensor.

    As TF-Slim chose: 2-D inputs (and 4-D ones with `updates_collections` other than
    UPDATE_OPS) are reshaped to (-1, 1, 1, C) for the fused kernel, whose batch variance (with
    Bessel's correction) feeds the moving variance; the others go through TF1's
    `BatchNormalization` layer (`tf1_compat.layers`). `batch_weights`, `zero_debias_moving_mean`,
    `renorm`, `adjustment` and `fused=False` are not supported."""
    if (batch_weights is not None or zero_debias_moving_mean or renorm or adjustment is not None
            or fused is False):
        raise UserError("batch_norm does not support batch_weights, zero_debias_moving_mean, "
                        "renorm, adjustment or fused=False")
    if data_format not in ("NHWC", "NCHW"):
        raise UserError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    is_training = tf1_layers.base.check_training(is_training)
    rank = tf.convert_to_tensor(inputs).shape.rank
    if rank in (2, 4) and (rank == 2 or updates_collections != v1.GraphKeys.UPDATE_OPS):
        return _fused_batch_norm(inputs, decay, center, scale, epsilon, activation_fn,
                                 param_initializers or {}, param_regularizers or {},
                                 updates_collections, is_training, reuse,
                                 variables_collections, outputs_collections, trainable,
                                 data_format, scope)
    if updates_collections != v1.GraphKeys.UPDATE_OPS:
        raise UserError(f"batch_norm of rank-{rank} inputs supports only "
                        f"updates_collections=UPDATE_OPS, got {updates_collections!r}")
    inits, regs = param_initializers or {}, param_regularizers or {}
    with v1.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter()) as sc:
        inputs = tf.convert_to_tensor(inputs)
        layer = tf1_layers.BatchNormalization(
            axis=1 if data_format == "NCHW" else -1, momentum=decay, epsilon=epsilon,
            center=center, scale=scale,
            beta_initializer=inits.get("beta", v1.zeros_initializer()),
            gamma_initializer=inits.get("gamma", v1.ones_initializer()),
            moving_mean_initializer=inits.get("moving_mean", v1.zeros_initializer()),
            moving_variance_initializer=inits.get("moving_variance", v1.ones_initializer()),
            beta_regularizer=regs.get("beta"), gamma_regularizer=regs.get("gamma"),
            trainable=trainable, name=sc.name, _scope=sc, _reuse=reuse, fused=fused)
        outputs = layer(inputs, training=is_training)
        for name in ("moving_mean", "moving_variance", "beta", "gamma"):
            if getattr(layer, name) is not None:
                _add_to_collections(getattr(layer, name), variables_collections, name)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect_outputs(outputs_collections, sc.name, outputs)


def _assign_moving_average(variable, value, decay):
    """TF1's `assign_moving_average` (no debiasing): `variable -= (variable - value) * (1 -
    decay)`, `1 - decay` taken in Python."""
    with tf.name_scope("AssignMovingAvg") as scope:
        rate = tf.cast(tf.convert_to_tensor(1.0 - decay, name="decay"), variable.dtype)
        return v1.assign_sub(variable, (variable - value) * rate, name=scope)


def _fused_batch_norm(inputs, decay, center, scale, epsilon, activation_fn, inits, regs,
                      updates_collections, is_training, reuse, variables_collections,
                      outputs_collections, trainable, data_format, scope):
    """TF-Slim's fused path: 2-D inputs as (-1, 1, 1, C), the fused kernel, TF1's updates."""
    smart_cond = tf1_layers.base.smart_cond
    with v1.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        inputs = original = tf.convert_to_tensor(inputs)
        channels = inputs.shape[1 if data_format == "NCHW" else -1]
        if channels is None:
            raise UserError(f"batch_norm needs inputs whose channels are known, got shape "
                            f"{inputs.shape}")
        if inputs.shape.rank == 2:
            inputs = tf.reshape(inputs, [-1, channels, 1, 1] if data_format == "NCHW"
                                else [-1, 1, 1, channels])

        def variable(name, default, regularizer=None, trainable_=trainable):
            return _model_variable(name, (channels,), tf.float32, inits.get(name, default),
                                   regularizer, _variable_collections(variables_collections,
                                                                      name), trainable_)

        beta = (variable("beta", v1.zeros_initializer(), regs.get("beta")) if center
                else tf.constant(0.0, tf.float32, (channels,)))
        gamma = (variable("gamma", v1.ones_initializer(), regs.get("gamma")) if scale
                 else tf.constant(1.0, tf.float32, (channels,)))
        moving_mean = variable("moving_mean", v1.zeros_initializer(), trainable_=False)
        moving_variance = variable("moving_variance", v1.ones_initializer(), trainable_=False)
        outputs, mean, variance = smart_cond(
            is_training,
            lambda: v1.nn.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                           data_format=data_format),
            lambda: v1.nn.fused_batch_norm(inputs, gamma, beta, mean=moving_mean,
                                           variance=moving_variance, epsilon=epsilon,
                                           is_training=False, data_format=data_format))
        if tf1_layers.base.static_bool(is_training) is not False:
            outputs = _moving_updates(outputs, mean, variance, moving_mean, moving_variance,
                                      decay, is_training, updates_collections)
        outputs.set_shape(inputs.shape)
        if original.shape.rank == 2:
            outputs = tf.reshape(outputs, tf.shape(original))
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect_outputs(outputs_collections, sc.name, outputs)


def _moving_updates(outputs, mean, variance, moving_mean, moving_variance, decay, is_training,
                    updates_collections):
    """The moving averages' updates: run with the outputs (`updates_collections=None`) or put
    in `updates_collections`; a tensor `is_training` conds them as TF-Slim did."""
    smart_cond = tf1_layers.base.smart_cond

    def updates():
        return (_assign_moving_average(moving_mean, mean, decay),
                _assign_moving_average(moving_variance, variance, decay))

    if updates_collections is None:
        def forced():
            with tf.control_dependencies(updates()):
                return tf.identity(outputs)

        return smart_cond(is_training, forced, lambda: outputs)
    update_mean, update_variance = smart_cond(is_training, updates,
                                              lambda: (moving_mean, moving_variance))
    for update in (update_mean, update_variance):
        v1.add_to_collections(updates_collections, update)
    return outputs
