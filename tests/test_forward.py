"""The forward pass of both tracks against NumPy (`tfmodels.core.reference`), for every layer
kind of every registered model, at inference (dropout off, batch norm on its moving
statistics)."""

import numpy as np
import pytest

from tf1_compat.model import Model
from tfmodels.core import reference as ref
from tfmodels.core.registry import MODELS, get_spec
from tfmodels.keras_track.model import build_model


def _activation(layer, weights):
    name = layer.activation
    if name == "leaky_relu":
        return lambda z: ref.leaky_relu(z, layer.alpha)
    if name == "randomized_relu":  # at inference: the mean slope
        return lambda z: ref.leaky_relu(z, (layer.lower + layer.upper) / 2)
    if name == "swish":
        beta = weights[2] if len(weights) > 2 else layer.beta  # a trained beta is a weight
        return lambda z: ref.swish(z, beta)
    return getattr(ref, name)


def numpy_forward(spec, weights, x):
    """The spec's layers in float64 NumPy, layer by layer, taking each layer's weights in
    Keras's order; a graph spec's each after its inputs (`ModelSpec.wiring`), a merge by
    `reference.merge_forward`."""
    given, wiring = iter(weights), spec.wiring
    layer_weights = [[np.asarray(next(given), np.float64) for _ in ws]
                     for ws in spec.layer_weights()]
    xs = [x[name] for name in wiring.input_names] if isinstance(x, dict) else [x]
    values = {-k - 1: v.astype(np.float64) for k, v in enumerate(xs)}  # input k: -(k + 1)
    for i in wiring.order:
        layer, w = spec.layers[i], layer_weights[i]
        ins = [values[j] for j in wiring.sources[i]]
        out = ref.merge_forward(layer.kind, ins) if layer.merge else ins[0]
        kind = "merged" if layer.merge else layer.kind
        if kind == "merged":
            pass
        elif kind == "Dense":
            out = _activation(layer, w)(out @ w[0] + w[1])
        elif kind == "Conv2D":
            out = _activation(layer, w)(ref.conv2d_forward(out, *w, layer.strides,
                                                           layer.padding))
        elif kind == "MaxPooling2D":
            out = ref.max_pool2d_forward(out, layer.pool_size, layer.strides, layer.padding)
        elif kind == "AveragePooling2D":
            out = ref.avg_pool2d_forward(out, layer.pool_size, layer.strides, layer.padding)
        elif kind == "Flatten":
            out = ref.flatten(out)
        elif kind == "Reshape":
            out = out.reshape(len(out), *layer.target_shape)
        elif kind == "Dropout":
            pass  # inference
        elif kind == "BatchNormalization":
            out = ref.batch_norm_forward(out, *w, epsilon=layer.epsilon, training=False)[0]
        elif kind == "LSTM":
            out = ref.lstm_forward(out, *w, return_sequences=layer.return_sequences)
        elif kind == "SimpleRNN":
            out = ref.simple_rnn_forward(out, *w, return_sequences=layer.return_sequences)
        elif kind in NEWER:
            out = NEWER[kind](layer, w, out)
        else:
            raise AssertionError(kind)
        values[i] = out
    return values[wiring.output]


def _with_bias(w, use_bias):
    return (*w, None) if not use_bias else tuple(w)


def _layer_norm(layer, w, out):
    given = iter(w)
    gamma = next(given) if layer.scale else None
    return ref.layer_norm_forward(out, gamma, next(given) if layer.center else None,
                                  layer.epsilon)


# issue 27's kinds: (layer, its weights in Keras's order, inputs) -> outputs
NEWER = {
    "DepthwiseConv2D": lambda layer, w, out: _activation(layer, w[:2])(
        ref.depthwise_conv2d_forward(out, *_with_bias(w, layer.use_bias), layer.strides,
                                     layer.padding)),
    "SeparableConv2D": lambda layer, w, out: _activation(layer, w[:2])(
        ref.separable_conv2d_forward(out, *_with_bias(w, layer.use_bias), layer.strides,
                                     layer.padding)),
    "Activation": lambda layer, w, out: _activation(layer, w)(out),
    "GlobalAveragePooling2D": lambda layer, w, out: ref.global_avg_pool2d_forward(out),
    "ZeroPadding2D": lambda layer, w, out: ref.zero_padding2d_forward(out, layer.padding),
    "LayerNormalization": _layer_norm,
    "Embedding": lambda layer, w, out: ref.embedding_forward(out, w[0]),
    "GRU": lambda layer, w, out: ref.gru_forward(out, *w, layer.return_sequences,
                                                 layer.reset_after),
}


def random_weights(spec, rng):
    """Random weights (non-zero biases too, so every term matters); variances positive."""
    weights = []
    for name, shape in zip(spec.weight_names(), spec.weight_shapes()):
        w = rng.normal(0, 0.5, shape)
        weights.append((np.abs(w) + 0.5 if name.endswith("moving_variance") else w)
                       .astype(np.float32))
    return weights


@pytest.mark.parametrize("name", sorted(MODELS))
def test_both_tracks_compute_the_numpy_forward_pass(name):
    spec = get_spec(name)
    rng = np.random.default_rng(1)
    weights = random_weights(spec, rng)
    x = rng.normal(size=(7, *spec.input_shape)).astype(np.float32)
    if spec.several_inputs:  # a dict of named inputs
        x = {name: rng.normal(size=(7, *shape)).astype(np.float32)
             for name, shape in spec.input_shapes_by_name.items()}
    elif spec.layers[0].kind == "Embedding":  # token ids
        x = rng.integers(0, spec.layers[0].input_dim, x.shape).astype(np.float32)
    expected = numpy_forward(spec, weights, x)
    keras_out = build_model(spec, weights).predict(x, verbose=0)
    with Model(spec, weights) as model:
        tf1_out = model.predict(x, verbose=0)
    # float32 against float64: a few ulp of the largest activation (measured: at most 4e-7
    # for the LSTM's 8 steps, 1e-7 elsewhere)
    np.testing.assert_allclose(keras_out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf1_out, expected, rtol=1e-5, atol=1e-6)
    if getattr(spec.layers[-1], "activation", None) == "softmax":
        np.testing.assert_allclose(tf1_out.sum(axis=1), 1, rtol=1e-6)
