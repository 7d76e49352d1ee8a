"""The forward pass of both tracks against NumPy: x @ W + b -> activation -> ... -> softmax."""

import numpy as np
import pytest

from tf1_compat.model import Model
from tfmodels.core.registry import MODELS, get_spec
from tfmodels.keras_track.model import build_model

NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(0, z),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "softmax": lambda z: np.exp(z - z.max(1, keepdims=True))
    / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
}


def numpy_forward(spec, weights, x):
    out = x.astype(np.float64)
    for layer, kernel, bias in zip(spec.layers, weights[::2], weights[1::2]):
        out = NUMPY_ACTIVATIONS[layer.activation](out @ kernel + bias)
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_both_tracks_compute_the_numpy_forward_pass(name):
    spec = get_spec(name)
    rng = np.random.default_rng(1)
    # random weights (non-zero biases too), so every term of x @ W + b matters
    weights = [rng.normal(0, 0.5, s).astype(np.float32) for s in spec.weight_shapes()]
    x = rng.normal(size=(7, spec.input_dim)).astype(np.float32)
    expected = numpy_forward(spec, weights, x)
    keras_out = build_model(spec, weights).predict(x, verbose=0)
    with Model(spec, weights) as model:
        tf1_out = model.predict(x, verbose=0)
    # float32 against float64: a few ulp of the largest activation
    np.testing.assert_allclose(keras_out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf1_out, expected, rtol=1e-5, atol=1e-6)
    if spec.layers[-1].activation == "softmax":
        np.testing.assert_allclose(tf1_out.sum(axis=1), 1, rtol=1e-6)
