"""TF1's base `tf.compat.v1.layers.Layer`, and the argument checks every layer shares.

A TF1 layer object owns one variable scope, fixed the first time it is needed (its first call, or
its construction when the functional form hands it `_scope=name`):

- an unnamed layer takes a unique scope named after its class in snake case (`dense`, `dense_1`,
  ... unique within the enclosing variable scope), a layer with `name` the unique scope
  `variable_scope(None, default_name=name)` (`fc`, then `fc_1` for a second object named `fc`);
- `_scope=name` (what `tf.layers.dense(x, name="fc")` passes) opens exactly `name`, so that two
  calls of the function with `reuse=True` share `fc/kernel`; `_reuse=True` without a name shares
  the scope of the class's name itself (`dense`).

`__call__` re-enters that scope (and its name scope) on every call: the first call builds the
layer (`build(input_shape)` creates the variables through `add_weight`, which is `get_variable`
in the layer's scope), later calls reuse them. `variables`, `trainable_variables`, `losses`
(the variables' regularization losses and the activity regularization losses) and `updates`
(batch normalization's moving-average assignments) are the layer's own, as in TF1.
"""

from __future__ import annotations

import contextlib
import numbers
import re
import weakref

import numpy as np
import tensorflow as tf

from tfmodels.core.errors import UserError

v1 = tf.compat.v1

# TF1's defaults, made once as TF1's signatures made them (one initializer object for every call).
ZEROS = v1.zeros_initializer()
ONES = v1.ones_initializer()

__all__ = ["InputSpec", "Layer", "activation_of", "activity_loss", "check_rank",
           "check_training", "data_format_of", "int_tuple", "padding_of", "positive_int",
           "smart_cond", "static_bool"]


# -- arguments -----------------------------------------------------------------------------------


def positive_int(value, what: str) -> int:
    """A positive integer (a Python or NumPy integer, as TF1's `int(units)` took), as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < 1:
        raise UserError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def padding_of(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise UserError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def data_format_of(data_format) -> str:
    if (not isinstance(data_format, str)
            or data_format.lower() not in ("channels_last", "channels_first")):
        raise UserError(f"data_format must be 'channels_last' or 'channels_first', "
                        f"got {data_format!r}")
    return data_format.lower()


_HOW_MANY = {1: "a tuple of one", 2: "a pair of them", 3: "a triple of them"}


def int_tuple(value, n: int, what: str) -> tuple[int, ...]:
    """An int or `n` positive ints, as a tuple of `n` (TF1's `normalize_tuple`)."""
    def integer(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and v >= 1

    if integer(value):
        return (int(value),) * n
    values = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(values) != n or not all(integer(v) for v in values):
        raise UserError(f"{what} must be a positive int or {_HOW_MANY[n]}, got {value!r}")
    return tuple(int(v) for v in values)


def check_rank(inputs, rank: int, layer: str):
    if inputs.shape.rank != rank:
        raise UserError(f"{layer} needs inputs of rank {rank}, got shape {inputs.shape}")


def _linear(x):
    return x


# What tf_keras's `activations.get(name)` resolved the names to (the same TensorFlow ops).
ACTIVATIONS = {
    "linear": _linear, "relu": tf.nn.relu, "elu": tf.nn.elu, "selu": tf.nn.selu,
    "sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh, "softplus": tf.math.softplus,
    "softsign": tf.math.softsign, "exponential": tf.math.exp, "swish": tf.nn.silu,
    "silu": tf.nn.silu, "softmax": lambda x: tf.nn.softmax(x, axis=-1),
    "gelu": lambda x: tf.nn.gelu(x, approximate=False),
}


def activation_of(activation):
    """A callable, None, or the name of a Keras activation (TF1's layers resolved names through
    `keras.activations.get`: `activation="relu"` is `tf.nn.relu`)."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in ACTIVATIONS:
        return ACTIVATIONS[activation]
    raise UserError(f"activation must be a callable or one of {sorted(ACTIVATIONS)}, "
                    f"got {activation!r}")


def check_training(training):
    """`training` as TF1's `smart_cond` took it: a Python bool, 0 or 1, or a tensor (a
    placeholder, a constant). None is False (TF1's learning phase defaulted to False)."""
    if training is None:
        return False
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    if isinstance(training, numbers.Integral) and training in (0, 1):
        return bool(training)
    if tf.is_tensor(training) or isinstance(training, tf.Variable):
        return training
    raise UserError(f"training must be a Python bool or a boolean tensor, got {training!r}")


def static_bool(training):
    """`training` as a Python bool when it is known while building, else None."""
    if isinstance(training, bool):
        return training
    value = tf.get_static_value(training)
    if value is None:
        return None
    return bool(value)


def smart_cond(training, true_fn, false_fn):
    """`true_fn()` or `false_fn()` when `training` is known, else a `tf.cond` on it."""
    value = static_bool(training)
    if value is None:
        return tf.cond(tf.convert_to_tensor(training, tf.bool), true_fn, false_fn)
    return true_fn() if value else false_fn()


def activity_loss(outputs, regularizer):
    """TF1's activity regularization: `regularizer(outputs) / batch size`, a regularization
    loss (`tf.compat.v1.losses.get_regularization_loss` adds it up). Returns it (or None)."""
    if regularizer is None:
        return None
    with tf.name_scope("ActivityRegularizer"):
        loss = regularizer(outputs) / tf.cast(tf.shape(outputs)[0], outputs.dtype)
    v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, loss)
    return loss


# -- the layer -----------------------------------------------------------------------------------


def _snake_case(name: str) -> str:
    """TF1's `to_snake_case`: Conv2DTranspose -> conv2d_transpose, Dense -> dense."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # graph -> {base: count}


def _unique_object_name(base: str) -> str:
    """TF1's names of unnamed layer objects, counted per graph and always numbered: dense_1,
    dense_2, ... (`backend.unique_object_name(zero_based=False)`; the function `dense` makes
    one too). Only the object's `name`: its variable scope is `dense`, `dense_1`, ..."""
    counts = _NAMES.setdefault(v1.get_default_graph(), {})
    counts[base] = counts.get(base, 0) + 1
    return f"{base}_{counts[base]}"


class InputSpec:
    """TF1's `tf.layers.InputSpec`: what a layer accepts (dtype, shape, ndim, min_ndim,
    max_ndim, axes {axis: size}); `Layer.__call__` checks the ranks and sizes."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = None if dtype is None else tf.as_dtype(dtype).name
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze, self.name = allow_last_axis_squeeze, name

    def check(self, inputs, layer: str):
        rank = inputs.shape.rank
        if rank is None:
            return
        for bound, ok in ((self.ndim, rank == self.ndim), (self.min_ndim, rank >= (
                self.min_ndim or 0)), (self.max_ndim, rank <= (self.max_ndim or rank))):
            if bound is not None and not ok:
                raise UserError(f"{layer} needs inputs of rank {self._ranks()}, got shape "
                                f"{inputs.shape}")
        for axis, size in self.axes.items():
            if size is not None and inputs.shape[axis] not in (None, size):
                raise UserError(f"{layer} needs inputs of size {size} on axis {axis}, got "
                                f"shape {inputs.shape}")

    def _ranks(self):
        if self.ndim is not None:
            return str(self.ndim)
        return f"{self.min_ndim or 0} to {self.max_ndim or 'any'}"

    def __repr__(self):
        return (f"InputSpec(dtype={self.dtype}, shape={self.shape}, ndim={self.ndim}, "
                f"max_ndim={self.max_ndim}, min_ndim={self.min_ndim}, axes={self.axes})")


class Layer:
    """TF1's `tf.compat.v1.layers.Layer`: subclass it with `build(input_shape)` (variables from
    `self.add_weight`) and `call(inputs, ...)`; calling the object builds it once, in its own
    variable scope (see the module's docstring), and reuses its variables after that.

    `trainable=False` makes every variable of the layer non-trainable; `dtype` is the variables'
    dtype (by default the first inputs' dtype); `activity_regularizer(outputs)` adds a loss per
    call, divided by the batch size.
    """

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None,
                 **kwargs):
        scope = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        kwargs.pop("autocast", None)
        if kwargs:
            raise UserError(f"{type(self).__name__} got an unexpected keyword argument "
                            f"{next(iter(kwargs))!r}")
        if name is not None and not isinstance(name, str):
            raise UserError(f"name must be a string, got {name!r}")
        self.trainable = bool(trainable)
        base = _snake_case(type(self).__name__)
        self._base_name = name or base
        self._name = name or _unique_object_name(base)
        self.dtype = None if dtype is None else tf.as_dtype(dtype).base_dtype
        self.activity_regularizer = activity_regularizer
        self.input_spec = None
        self.built = False
        self._trainable_weights, self._non_trainable_weights = [], []
        self._losses, self._updates = [], []
        self._scope = self._current_scope = None
        if scope:
            with v1.variable_scope(scope) as captured:
                self._scope = captured

    # -- naming ----------------------------------------------------------------------------------

    @property
    def name(self):
        return self._name

    @property
    def scope_name(self):
        if self._scope is None:
            raise UserError(f"layer {self._name!r} has no scope until it is first called")
        return self._scope.name

    def _set_scope(self, scope=None):
        """Fix the layer's variable scope the first time it is needed (TF1's `_set_scope`)."""
        if self._scope is not None:
            return
        if self._reuse:
            context = v1.variable_scope(scope if scope is not None else self._base_name)
        else:
            context = v1.variable_scope(scope, default_name=self._base_name)
        with context as captured:
            self._scope = captured

    def _enter(self, reuse):
        """`(variable scope, name scope)` contexts of the layer, to enter in that order."""
        return (v1.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False),
                self._scope.original_name_scope)

    # -- variables -------------------------------------------------------------------------------

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, use_resource=None,
                   synchronization=tf.VariableSynchronization.AUTO,
                   aggregation=tf.VariableAggregation.NONE, partitioner=None, **kwargs):
        """`get_variable(name, ...)` in the layer's scope (created once, then reused); a
        regularizer's loss goes to REGULARIZATION_LOSSES and `losses` when it is created."""
        kwargs.pop("experimental_autocast", None)
        if kwargs:
            raise UserError(f"add_weight got an unexpected keyword argument "
                            f"{next(iter(kwargs))!r}")
        if synchronization == tf.VariableSynchronization.ON_READ:
            if trainable:
                raise UserError("add_weight: synchronization ON_READ needs trainable=False, "
                                "got trainable=True")
            trainable = False
        elif trainable is None:
            trainable = True
        dtype = tf.as_dtype(dtype or self.dtype or tf.float32)
        self._set_scope(None)
        variable_scope, name_scope = self._enter(self.built or self._reuse)
        eager = tf.executing_eagerly()
        before = [] if eager else list(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))
        with variable_scope, _name_scope(name_scope, eager):
            variable = v1.get_variable(
                name, shape, dtype, initializer, regularizer, trainable and self.trainable,
                partitioner=partitioner, use_resource=use_resource, constraint=constraint,
                synchronization=synchronization, aggregation=aggregation)
        if not eager:
            self._losses += v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)[len(before):]
        if not any(variable is w for w in self.variables):
            listed = self._trainable_weights if trainable and self.trainable \
                else self._non_trainable_weights
            listed.append(variable)
        return variable

    add_variable = add_weight  # TF1's older name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def losses(self):
        return list(self._losses)

    @property
    def updates(self):
        return list(self._updates)

    def add_loss(self, losses, inputs=None):
        """A loss of the layer, also put in REGULARIZATION_LOSSES (as TF1's layers did; eagerly
        too, where `tfmodels.migration.tf1_style` takes it out again)."""
        for loss in tf.nest.flatten(losses):
            self._losses.append(loss)
            v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, loss)

    def add_update(self, updates, inputs=None):
        """An update op of the layer, also put in UPDATE_OPS (as TF1's `__call__` did)."""
        for update in tf.nest.flatten(updates):
            self._updates.append(update)
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update)

    # -- calling ---------------------------------------------------------------------------------

    def _check_inputs(self, inputs):
        """Refuse inputs the layer cannot take (rank, sizes), before building or calling."""
        if self.input_spec is not None:
            self.input_spec.check(inputs, self._base_name)

    def build(self, input_shape):
        """Create the variables (`self.add_weight`); the default has none."""
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        scope = kwargs.pop("scope", None)
        self._set_scope(scope)
        variable_scope, name_scope = self._enter(True if self.built else self._reuse)
        eager = tf.executing_eagerly()
        with variable_scope as current, _name_scope(name_scope, eager):
            self._current_scope = current
            inputs = tf.nest.map_structure(_tensor, inputs)
            first = tf.nest.flatten(inputs)[0]
            self._check_inputs(first)
            if not self.built:
                if self.dtype is None and first.dtype.is_floating:
                    self.dtype = first.dtype.base_dtype
                self.build(first.shape if not isinstance(inputs, (list, tuple)) else
                           [t.shape for t in inputs])
                self.built = True
            outputs = self.call(inputs, *args, **kwargs)
            if self.activity_regularizer is not None:
                self._losses.append(activity_loss(outputs, self.activity_regularizer))
        return outputs

    def apply(self, inputs, *args, **kwargs):
        """TF1's alias of `__call__`."""
        return self(inputs, *args, **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name!r} built={self.built}>"


def _name_scope(name, eager):
    """The layer's name scope (`dense/`, re-entered); eagerly there are no op names."""
    return contextlib.nullcontext() if eager else tf.name_scope(name)


def _tensor(value):
    return value if tf.is_tensor(value) or isinstance(value, tf.Variable) \
        else tf.convert_to_tensor(value)
