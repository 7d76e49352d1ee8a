"""The same dropout masks in a Keras 2 (tf_keras) and a Keras 3 model, for `verify_keras2`.

Keras 2 and Keras 3 draw different dropout masks for the same seed (keras#19993,
tensorflow#71829: tf_keras draws with `tf.random.stateless_uniform` from a generator of its own,
Keras 3 from its `SeedGenerator`'s state), so two ports of one model trained on the same
batches part at the first dropout, whatever their seeds. For the check only, each `Dropout`
layer (and `SpatialDropout1D/2D/3D`) of each model is given its masks instead of drawing them:
a mask is a pure function of NumPy's generator seeded with (seed, the layer's number among the
model's dropout layers, the training step, the call within the step), so the two processes,
each computing it, apply the same masks, `where(keep, x / (1 - rate), 0)` as both Keras do.
The layers are found by class name and read by the attributes both Keras give them (`rate`,
`noise_shape`, `data_format`), so one module serves both sides; it imports TensorFlow only
when a mask is applied.

Randomness the check cannot give alike (`GaussianNoise`, `GaussianDropout`, `AlphaDropout`, a
recurrent layer's `dropout` / `recurrent_dropout`) is named by `unaligned`, and `verify_keras2`
refuses training steps through it in one line.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["ALIGNED", "Masks", "described", "dropout_layers", "flat_layers", "given_masks",
           "keep_mask", "noise_shape", "unaligned"]

ALIGNED = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
_RANDOM = ("GaussianNoise", "GaussianDropout", "AlphaDropout")


def flat_layers(model) -> list:
    """The model's layers in model order, nested models opened (either Keras)."""
    found = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            found += flat_layers(layer)
        else:
            found.append(layer)
    return found


def dropout_layers(model) -> list:
    """The layers given masks, in model order: `ALIGNED` classes with a rate above 0."""
    return [layer for layer in flat_layers(model)
            if type(layer).__name__ in ALIGNED and float(layer.rate) > 0]


def described(model) -> list:
    """[{"name", "class", "config"}] of the model's layers (`flat_layers`), `get_config()`
    where a layer has one: what each side tells the other of its layers."""
    found = []
    for layer in flat_layers(model):
        try:
            config = layer.get_config()
        except (NotImplementedError, TypeError, ValueError):
            config = {}
        found.append({"name": layer.name, "class": type(layer).__name__, "config": config})
    return found


def unaligned(layers: list) -> list:
    """["lstm (dropout 0.2)", "gaussian_noise (GaussianNoise)", ...]: the layers of `layers`
    (`described`) drawing random numbers in training that `given_masks` does not replace."""
    found = []
    for layer in layers:
        kind, config = layer["class"], layer["config"]
        if kind in _RANDOM:
            found.append(f"{layer['name']} ({kind})")
        for key in ("dropout", "recurrent_dropout"):
            rate = config.get(key)
            if kind not in ALIGNED and isinstance(rate, (int, float)) and rate > 0:
                found.append(f"{layer['name']} ({key} {rate:g})")
    return found


def noise_shape(layer, shape: tuple) -> tuple:
    """The shape of the layer's mask for inputs of `shape`: the inputs' own, the layer's
    `noise_shape` with its None sizes taken from them, or a spatial dropout's (batch, 1, ...,
    channels)."""
    kind = type(layer).__name__
    if kind.startswith("SpatialDropout"):
        if getattr(layer, "data_format", None) == "channels_first" and kind != "SpatialDropout1D":
            return (shape[0], shape[1]) + (1,) * (len(shape) - 2)
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)
    given = getattr(layer, "noise_shape", None)
    if given is None:
        return tuple(shape)
    return tuple(s if g is None else int(g) for g, s in zip(given, shape))


def keep_mask(seed: int, layer: int, step: int, call: int, shape: tuple,
              rate: float) -> np.ndarray:
    """Which values are kept: NumPy's generator seeded with (seed, layer, step, call), each
    value kept with probability `1 - rate`."""
    rng = np.random.default_rng([seed, layer, step, call])
    return rng.random(shape) >= rate


class Masks:
    """Where the masks are drawn from: the seed and the training step; counts each layer's
    calls within the step (a layer called twice gets two masks)."""

    def __init__(self, seed: int):
        self.seed, self.step, self.calls = seed, 0, {}

    def at(self, step: int) -> Masks:
        self.step, self.calls = step, {}
        return self

    def draw(self, layer: int, shape: tuple, rate: float) -> np.ndarray:
        call = self.calls[layer] = self.calls.get(layer, -1) + 1
        return keep_mask(self.seed, layer, self.step, call, shape, rate)


def _masked_call(layer, number: int, masks: Masks):
    def call(inputs, training=None, **kwargs):
        if not training:
            return inputs
        import tensorflow as tf

        shape = tuple(int(d) for d in inputs.shape)
        rate = float(layer.rate)
        keep = masks.draw(number, noise_shape(layer, shape), rate)
        kept = tf.constant(np.broadcast_to(keep, shape))
        scaled = inputs * tf.cast(1.0 / (1.0 - rate), inputs.dtype)
        return tf.where(kept, scaled, tf.zeros_like(inputs))

    return call


@contextlib.contextmanager
def given_masks(model, masks: Masks):
    """Within the block, every layer of `dropout_layers(model)` applies the masks `masks`
    draws (numbered in model order) instead of its own; afterwards each is its own again.
    Called eagerly (the shapes are read from the inputs)."""
    layers = dropout_layers(model)
    for number, layer in enumerate(layers):
        object.__setattr__(layer, "call", _masked_call(layer, number, masks))
    try:
        yield layers
    finally:
        for layer in layers:
            object.__delattr__(layer, "call")
