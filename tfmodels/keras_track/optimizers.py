"""A spec's optimizer as a Keras 3 optimizer (its hyper-parameters are already Keras's).

The same spec through `tf1_compat.optimizers.make_optimizer` makes the same update in a TF1
graph; docs/optimizers.md has the mapping and the measured differences. `tf1_defaults` and
`start_like_tf1` go the other way: they make Keras reproduce TF1's own defaults.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfmodels.core.spec import OptimizerSpec

__all__ = ["TF1_DEFAULTS", "FusedRMSprop", "make_optimizer", "tf1_defaults", "start_like_tf1"]

_CLASSES = {"sgd": keras.optimizers.SGD, "adagrad": keras.optimizers.Adagrad,
            "rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}

# TF1's defaults, in Keras's names: what a `tf.compat.v1.train` optimizer built with only a
# learning rate computes. TF1's Adagrad has no epsilon; its RMSProp also starts `rms` at ones,
# which `start_like_tf1` does for Keras.
TF1_DEFAULTS = {
    "sgd": {"momentum": 0.0, "nesterov": False},
    "adagrad": {"initial_accumulator_value": 0.1, "epsilon": 0.0},
    "rmsprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-10, "centered": False},
    "adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
}


@keras.saving.register_keras_serializable(package="tfmodels")
class FusedRMSprop(keras.optimizers.RMSprop):
    """Keras's RMSprop, each variable updated by TensorFlow's fused `ResourceApplyRMSProp`.

    Keras 3 writes the update as separate ops (square, scale, add, sqrt, divide, subtract),
    each a pass over the weights; the fused kernel makes one pass, as tf.keras 2's RMSprop
    did. The maths is Keras's (epsilon inside the square root, `ms` from zeros); only the
    order of one sum differs - `ms + (g^2 - ms)(1 - rho)` against `rho ms + (1 - rho) g^2` - by
    about 1 ulp a step, and it is the kernel the TF1 track's `RMSPropOptimizer` runs, so the two
    tracks then agree bit for bit. The kernel needs a momentum slot even at `momentum=0`
    (TF1 keeps one too); it is then a scratch buffer holding the last step's increment.
    Centered RMSprop and sparse gradients take Keras's own path.
    """

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        if not self.centered and not self._momentums:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        if self.centered or isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        i = self._get_variable_index(variable)
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyRMSProp(
            var=_handle(variable), ms=_handle(self._velocities[i]),
            mom=_handle(self._momentums[i]), lr=tf.cast(learning_rate, dtype),
            rho=tf.cast(self.rho, dtype), momentum=tf.cast(self.momentum, dtype),
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))


def _handle(variable):
    """The resource handle under a Keras variable (Keras hands `update_step` either kind)."""
    return (variable.value if isinstance(variable, keras.Variable) else variable).handle


def make_optimizer(spec: OptimizerSpec, learning_rate=None, *,
                   fused: bool = False) -> keras.optimizers.Optimizer:
    """Keras's optimizer, its float hyper-parameters rounded to float32 once, up front.

    TF1's kernels receive `beta_1 = 0.9` as float32 and compute `1 - beta_1` in float32; Keras
    computes `1 - 0.9` in Python's float64 and rounds after. The two differ in the last bit
    (for `beta_2 = 0.999`, by 1.3e-5 relative). Given the float32 value of each hyper-parameter,
    `1 - beta` is exact in both and the tracks agree bit for bit. `learning_rate` (a number or
    a `keras.optimizers.schedules.LearningRateSchedule`) replaces the spec's constant rate.
    `fused=True` makes RMSprop a `FusedRMSprop` (the Keras track's default, for speed); the
    other optimizers are Keras's own either way.
    """
    params = spec.float32_params()
    if learning_rate is not None:
        params["learning_rate"] = learning_rate
    if fused and spec.name == "rmsprop":
        return FusedRMSprop(**params)
    return _CLASSES[spec.name](**params)


def tf1_defaults(name: str, learning_rate: float) -> OptimizerSpec:
    """The spec whose Keras optimizer computes what TF1's `name` computes at its defaults."""
    return OptimizerSpec(name, {"learning_rate": learning_rate, **TF1_DEFAULTS[name]})


def start_like_tf1(optimizer: keras.optimizers.Optimizer, variables) -> None:
    """Build the optimizer's slots and set RMSprop's mean squares to ones, where TF1 starts.

    Keras starts them at zeros: its first steps are `1 / sqrt(1 - rho)` = 3.2 times larger.
    """
    optimizer.build(variables)
    if isinstance(optimizer, keras.optimizers.RMSprop):
        for velocity in optimizer._velocities:
            velocity.assign(np.ones(velocity.shape, velocity.dtype))
