"""A spec's optimizer as a `tf.compat.v1.train` optimizer that makes Keras's update.

Spec hyper-parameters are Keras's. Where TF1 differs, the mapping brings it into line:
- RMSProp: TF1's `decay` is Keras's `rho`; TF1 starts the mean-square slot `rms` at ones, Keras
  at zeros - `after_init` sets it to zeros. Both add epsilon inside the square root. TF1's fused
  kernel writes the average as `ms + (g^2 - ms)(1 - rho)`, Keras as `rho ms + (1 - rho) g^2`:
  equal maths, rounded differently (about 1 ulp a step).
- Adam: the same "epsilon hat" formula in both; TF1's default epsilon is 1e-8, Keras's 1e-7, and
  the spec's value is passed explicitly. TF1 keeps `beta^t` as a running product, Keras calls
  `pow(beta, t)`; `AdamOptimizer` below uses `pow` too, which makes the tracks equal bit for bit.
- SGD with momentum (and Nesterov): TF1 keeps `a = m*a + g; w -= lr*a`, Keras
  `v = m*v - lr*g; w += v`: the same for a constant learning rate, not under a schedule.
- Adagrad: Keras divides by `sqrt(acc + epsilon)`, TF1's kernel by `sqrt(acc)`. Epsilon 0 uses
  TF1's own kernel; any other epsilon, `AdagradOptimizer` below, which writes Keras's formula.
The table with measured differences is docs/optimizers.md.
"""

from __future__ import annotations

import tensorflow as tf

from tfmodels.core.spec import OptimizerSpec

__all__ = ["AdamOptimizer", "AdagradOptimizer", "TF1AdagradOptimizer", "RMSPropOptimizer",
           "make_optimizer", "after_init"]

train = tf.compat.v1.train

# The stock Adagrad and RMSProp make their slots with `constant_initializer(v, dtype=...)` and
# `ones_initializer(dtype=...)`: a dtype given to an initializer's constructor, which TF deprecated
# ("Instructions for updating: Call initializer instance with the dtype argument instead"), so
# the first TF1 model of every process printed a warning about code the user never wrote. The
# classes below make the same slots, of the same values and names, with initializers that
# `get_variable` calls with the variable's dtype; their kernels are TF1's.


class AdamOptimizer(train.AdamOptimizer):
    """`tf.compat.v1.train.AdamOptimizer` with `beta^t` from `pow`, as Keras computes it.

    The stock optimizer multiplies its `beta1_power` accumulator by `beta1` after every step; in
    float32 that running product drifts from `pow(beta1, t)` by an ulp every few steps, which
    changes the step size. Here a step counter `t` is kept beside the accumulators and they are
    set to `pow(beta, t)` instead. Everything else is the stock fused `ApplyAdam` kernel.
    """

    def _create_slots(self, var_list):
        # The powers are kept in the variables' dtype (the stock class: always float32), so a
        # float64 model gets float64 powers, as Keras computes them.
        first = min(var_list, key=lambda v: v.name)  # where the stock class puts its powers
        dtype = first.dtype.base_dtype.as_numpy_dtype
        for name, value in (("beta1_power", self._beta1), ("beta2_power", self._beta2),
                            ("t", 1.0)):
            self._create_non_slot_variable(initial_value=dtype(value), name=name,
                                           colocate_with=first)
        super()._create_slots(var_list)  # finds the powers made, adds the `m` and `v` slots

    def _finish(self, update_ops, name_scope):
        with tf.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            t = self._get_non_slot_variable("t", graph=beta1_power.graph)
            t_next = t.assign_add(1.0)
            update_beta1 = beta1_power.assign(tf.pow(tf.cast(self._beta1_t, t.dtype), t_next))
            update_beta2 = beta2_power.assign(tf.pow(tf.cast(self._beta2_t, t.dtype), t_next))
        return tf.group(*update_ops, update_beta1, update_beta2, name=name_scope)


class TF1AdagradOptimizer(train.AdagradOptimizer):
    """`tf.compat.v1.train.AdagradOptimizer`, its kernel and all; the `accumulator` slot starts
    at `initial_accumulator_value` without the deprecated constructor dtype."""

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            init = (tf.compat.v1.constant_initializer(self._initial_accumulator_value)
                    if v.get_shape().is_fully_defined() else self._init_constant_op(v, dtype))
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype,
                                                    "accumulator", self._name)


class RMSPropOptimizer(train.RMSPropOptimizer):
    """`tf.compat.v1.train.RMSPropOptimizer`, its kernel and all; the `rms` slot starts at ones
    (`after_init` sets it to Keras's zeros), `mg` (centered) and `momentum` at zeros, without the
    deprecated constructor dtype."""

    def _create_slots(self, var_list):
        for v in var_list:
            init = (tf.compat.v1.ones_initializer() if v.get_shape().is_fully_defined()
                    else tf.ones_like(v))
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), v.dtype.base_dtype,
                                                    "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)


class AdagradOptimizer(TF1AdagradOptimizer):
    """`tf.compat.v1.train.AdagradOptimizer` with Keras's epsilon inside the square root.

    TF1's kernel computes `w -= lr g / sqrt(acc)`; Keras `w -= lr g / sqrt(acc + epsilon)`.
    The update is written here as Keras writes it, from plain ops.
    """

    def __init__(self, learning_rate, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad"):
        super().__init__(learning_rate, initial_accumulator_value, name=name)
        self._epsilon = epsilon

    def _resource_apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        dtype = grad.dtype.base_dtype
        lr = tf.cast(self._learning_rate_tensor, dtype)
        epsilon = tf.cast(self._epsilon, dtype)
        acc_t = acc.assign_add(tf.square(grad))
        return var.assign_sub(lr * grad / tf.sqrt(acc_t + epsilon)).op


def make_optimizer(spec: OptimizerSpec, learning_rate=None):
    """The TF1 optimizer that makes the Keras optimizer's update for `spec`.

    `learning_rate` (a number or a tensor, e.g. a schedule of `global_step`) replaces the
    spec's constant rate.
    """
    p = spec.params
    lr = p["learning_rate"] if learning_rate is None else learning_rate
    if spec.name == "sgd":
        if p["momentum"] == 0.0 and not p["nesterov"]:
            return train.GradientDescentOptimizer(lr)
        return train.MomentumOptimizer(lr, p["momentum"], use_nesterov=p["nesterov"])
    if spec.name == "adagrad":
        if p["epsilon"] == 0.0:  # TF1's own kernel computes exactly this
            return TF1AdagradOptimizer(lr, p["initial_accumulator_value"])
        return AdagradOptimizer(lr, p["initial_accumulator_value"], p["epsilon"])
    if spec.name == "rmsprop":
        return RMSPropOptimizer(
            lr, decay=p["rho"], momentum=p["momentum"], epsilon=p["epsilon"],
            centered=p["centered"],
        )
    if spec.name == "adam":
        return AdamOptimizer(lr, beta1=p["beta_1"], beta2=p["beta_2"], epsilon=p["epsilon"])
    raise ValueError(f"no TF1 optimizer for {spec.name!r}")


def after_init(optimizer, variables) -> list:
    """Ops to run once after `global_variables_initializer` so TF1 starts where Keras starts."""
    if isinstance(optimizer, train.RMSPropOptimizer):
        slots = [optimizer.get_slot(v, "rms") for v in variables]
        return [s.assign(tf.zeros_like(s)) for s in slots if s is not None]
    return []
