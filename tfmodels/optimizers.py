"""A spec's optimizer as a Keras 3 optimizer (its hyper-parameters are already Keras's).

The same spec through `tf1_compat.optimizers.make_optimizer` makes the same update in a TF1
graph; docs/optimizers.md has the mapping and the measured differences. `tf1_defaults` and
`start_like_tf1` go the other way: they make Keras reproduce TF1's own defaults.
"""

from __future__ import annotations

import keras
import numpy as np

from tfmodels.spec import OptimizerSpec

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


def make_optimizer(spec: OptimizerSpec, learning_rate=None) -> keras.optimizers.Optimizer:
    """Keras's optimizer, its float hyper-parameters rounded to float32 once, up front.

    TF1's kernels receive `beta_1 = 0.9` as float32 and compute `1 - beta_1` in float32; Keras
    computes `1 - 0.9` in Python's float64 and rounds after. The two differ in the last bit
    (for `beta_2 = 0.999`, by 1.3e-5 relative). Given the float32 value of each hyper-parameter,
    `1 - beta` is exact in both and the tracks agree bit for bit. `learning_rate` (a number or
    a `keras.optimizers.schedules.LearningRateSchedule`) replaces the spec's constant rate.
    """
    params = {k: float(np.float32(v)) if isinstance(v, float) else v
              for k, v in spec.params.items()}
    if learning_rate is not None:
        params["learning_rate"] = learning_rate
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
