"""Tensors (C15, C16): rank, shape, dtype, and the layouts data comes in, in Keras 3's `ops`.

The twin module `tf1_compat/basics.py` shows the same things in a TF1 graph, with the Session
basics of the notes (C17-C21).
"""

from __future__ import annotations

import numpy as np
from keras import ops

# The layouts of the notes, as example shapes: the batch (samples) axis always first (C03).
LAYOUTS = {
    "scalar": (),
    "vectors": (128, 20),  # (samples, features)
    "sequences": (128, 50, 20),  # (samples, steps, features)
    "images": (128, 28, 28, 3),  # (samples, height, width, channels): channels last
    "images_channels_first": (128, 3, 28, 28),  # (samples, channels, height, width)
    "video": (4, 16, 64, 64, 3),  # (samples, frames, height, width, channels)
}


def example(layout: str, dtype="float32"):
    """A tensor of zeros in a named layout."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    return ops.zeros(LAYOUTS[layout], dtype=dtype)


def to_channels_first(images):
    """(samples, h, w, c) -> (samples, c, h, w): the same pixels, another axis order."""
    return ops.transpose(images, (0, 3, 1, 2))


def neuron_outputs(inputs, weights, biases):
    """A layer of neurons as the notes first write it, `np.dot(weights, inputs) + biases` for one
    sample; for a batch the weights must be transposed: `inputs @ weights.T + biases` (C02)."""
    inputs, weights = np.asarray(inputs), np.asarray(weights)
    if inputs.ndim == 1:
        return np.dot(weights, inputs) + biases
    return np.dot(inputs, weights.T) + biases
