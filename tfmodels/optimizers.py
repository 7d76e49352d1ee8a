"""A spec's optimizer as a Keras 3 optimizer (its hyper-parameters are already Keras's)."""

from __future__ import annotations

import keras
import numpy as np

from tfmodels.spec import OptimizerSpec

_CLASSES = {"sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop,
            "adam": keras.optimizers.Adam}


def make_optimizer(spec: OptimizerSpec) -> keras.optimizers.Optimizer:
    """Keras's optimizer, its float hyper-parameters rounded to float32 once, up front.

    TF1's kernels receive `beta_1 = 0.9` as float32 and compute `1 - beta_1` in float32; Keras
    computes `1 - 0.9` in Python's float64 and rounds after. The two differ in the last bit
    (for `beta_2 = 0.999`, by 1.3e-5 relative). Given the float32 value of each hyper-parameter,
    `1 - beta` is exact in both and the tracks agree bit for bit.
    """
    params = {k: float(np.float32(v)) if isinstance(v, float) else v
              for k, v in spec.params.items()}
    return _CLASSES[spec.name](**params)
