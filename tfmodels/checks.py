"""Input checks shared by both tracks: a user's mistake gets one clear line, not a TF traceback.

The notes' first lesson on shapes ("shapes not aligned") is the commonest mistake of all; these
checks name the shape the model expects and the shape it was given.
"""

from __future__ import annotations

import numpy as np


def _shape(a) -> tuple:
    return tuple(np.shape(a))


def check_x(x, input_dim: int, what: str = "x") -> np.ndarray:
    """`x` must be (samples, input_dim) numbers; returns it as a float32 array."""
    shape = _shape(x)
    if len(shape) != 2 or shape[1] != input_dim:
        raise ValueError(
            f"{what} has shape {shape}, but the model expects (None, {input_dim}): "
            f"{input_dim} features per sample, batch axis first"
        )
    if shape[0] == 0:
        raise ValueError(f"{what} is empty: shape {shape}; give at least one sample")
    return np.asarray(x, dtype=np.float32)


def check_y(y, x, output_dim: int, loss: str, what: str = "y") -> np.ndarray:
    """Labels must match the model's output: one-hot for categorical losses, (n, 1) for binary."""
    shape = _shape(y)
    if len(shape) != 2 or shape[1] != output_dim:
        hint = ""
        if loss == "categorical_crossentropy" and len(shape) == 1:
            hint = ("; integer labels? one-hot them with "
                    f"keras.utils.to_categorical(y, {output_dim})")
        raise ValueError(
            f"{what} has shape {shape}, but the model's output is (None, {output_dim}) "
            f"for {loss}{hint}"
        )
    if shape[0] != len(x):
        raise ValueError(f"x has {len(x)} samples but {what} has {shape[0]}; they must match")
    return np.asarray(y, dtype=np.float32)


def check_batch_size(batch_size) -> int:
    """Keras's default: None means 32."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)
