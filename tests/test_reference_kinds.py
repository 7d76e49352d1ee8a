"""The NumPy witness of issue 27's kinds: each backward pass against central differences of
its forward pass (float64), and each forward pass against Keras's layer (float32, in ulps)."""

import numpy as np
import pytest

from tfmodels.core import reference as ref

# Central differences in float64 with h = 1e-6 (as tests/test_reference.py): truncation ~1e-12,
# rounding ~2e-10 relative, so 1e-6 relative (atol 1e-8) is safe.
FD = dict(rtol=1e-6, atol=1e-8)


def numeric_grad(f, z, h=1e-6):
    """d sum(f(z)) / dz, one coordinate at a time."""
    grad = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[i] = h
        grad[i] = (np.sum(f(z + step)) - np.sum(f(z - step))) / (2 * h)
    return grad


def assert_backward_matches(forward, inputs, grads, dout):
    for name, grad in grads.items():
        def f(v, name=name):
            return dout * forward(**{**inputs, name: v})
        assert grad.shape == inputs[name].shape, name
        np.testing.assert_allclose(grad, numeric_grad(f, inputs[name]), **FD, err_msg=name)


CONV_CASES = [(s, p) for s in [1, 2] for p in ["valid", "same"]]


@pytest.mark.parametrize("strides, padding", CONV_CASES)
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_conv2d_backward_matches_finite_differences(strides, padding, multiplier):
    rng = np.random.default_rng(31)
    x, kernel = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(3, 2, 3, multiplier))
    bias = rng.normal(size=3 * multiplier)
    out = ref.depthwise_conv2d_forward(x, kernel, bias, strides, padding)
    dout = rng.normal(size=out.shape)
    dx, dkernel, dbias = ref.depthwise_conv2d_backward(x, kernel, dout, strides, padding)
    assert_backward_matches(
        lambda x, kernel, bias: ref.depthwise_conv2d_forward(x, kernel, bias, strides, padding),
        dict(x=x, kernel=kernel, bias=bias), dict(x=dx, kernel=dkernel, bias=dbias), dout)


def test_depthwise_conv2d_does_not_mix_channels():
    """Channel 1's outputs read channel 1 only: a change in channel 0 leaves them alone (a
    Conv2D would change every output)."""
    rng = np.random.default_rng(32)
    x, kernel = rng.normal(size=(1, 4, 4, 2)), rng.normal(size=(3, 3, 2, 2))
    before = ref.depthwise_conv2d_forward(x, kernel)
    x[..., 0] += 1.0
    after = ref.depthwise_conv2d_forward(x, kernel)
    np.testing.assert_array_equal(after[..., 2:], before[..., 2:])
    assert np.abs(after[..., :2] - before[..., :2]).min() > 0


@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_separable_conv2d_backward_matches_finite_differences(strides, padding):
    rng = np.random.default_rng(33)
    x = rng.normal(size=(2, 5, 5, 2))
    depthwise, pointwise = rng.normal(size=(3, 3, 2, 2)), rng.normal(size=(1, 1, 4, 3))
    bias = rng.normal(size=3)
    out = ref.separable_conv2d_forward(x, depthwise, pointwise, bias, strides, padding)
    dout = rng.normal(size=out.shape)
    dx, dd, dp, db = ref.separable_conv2d_backward(x, depthwise, pointwise, dout, strides,
                                                   padding)
    assert_backward_matches(
        lambda x, depthwise, pointwise, bias: ref.separable_conv2d_forward(
            x, depthwise, pointwise, bias, strides, padding),
        dict(x=x, depthwise=depthwise, pointwise=pointwise, bias=bias),
        dict(x=dx, depthwise=dd, pointwise=dp, bias=db), dout)


def test_pooling_and_padding_backward_match_finite_differences():
    rng = np.random.default_rng(34)
    x = rng.normal(size=(2, 3, 4, 3))
    dout = rng.normal(size=(2, 3))
    assert_backward_matches(lambda x: ref.global_avg_pool2d_forward(x), dict(x=x),
                            dict(x=ref.global_avg_pool2d_backward(x, dout)), dout)
    padding = ((1, 2), (0, 3))
    dout = rng.normal(size=(2, 6, 7, 3))
    assert ref.zero_padding2d_forward(x, padding).shape == dout.shape
    assert_backward_matches(lambda x: ref.zero_padding2d_forward(x, padding), dict(x=x),
                            dict(x=ref.zero_padding2d_backward(x, dout, padding)), dout)


def test_layer_norm_backward_matches_finite_differences():
    rng = np.random.default_rng(35)
    x, gamma, beta = rng.normal(size=(3, 2, 5)), rng.normal(size=5), rng.normal(size=5)
    dout = rng.normal(size=x.shape)
    dx, dgamma, dbeta = ref.layer_norm_backward(x, gamma, dout, epsilon=0.01)
    assert_backward_matches(
        lambda x, gamma, beta: ref.layer_norm_forward(x, gamma, beta, epsilon=0.01),
        dict(x=x, gamma=gamma, beta=beta), dict(x=dx, gamma=dgamma, beta=dbeta), dout)


def test_embedding_backward_matches_finite_differences_with_repeated_tokens():
    rng = np.random.default_rng(36)
    ids = np.array([[0, 3, 3], [4, 0, 1]], np.float32)  # 3 twice in a row, 2 never
    table = rng.normal(size=(5, 2))
    dout = rng.normal(size=(2, 3, 2))
    dtable = ref.embedding_backward(ids, table, dout)
    assert_backward_matches(lambda table: ref.embedding_forward(ids, table), dict(table=table),
                            dict(table=dtable), dout)
    assert not dtable[2].any()


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gru_backward_through_time_matches_finite_differences(reset_after, return_sequences):
    rng = np.random.default_rng(37)
    units = 3
    x = rng.normal(size=(3, 4, 2))
    weights = dict(kernel=rng.normal(0, 0.6, (2, 3 * units)),
                   recurrent_kernel=rng.normal(0, 0.6, (units, 3 * units)),
                   bias=rng.normal(0, 0.6, (2, 3 * units) if reset_after else 3 * units))
    kw = dict(return_sequences=return_sequences, reset_after=reset_after)
    out = ref.gru_forward(x, **weights, **kw)
    assert out.shape == ((3, 4, units) if return_sequences else (3, units))
    dout = rng.normal(size=out.shape)
    dx, dkernel, drecurrent, dbias = ref.gru_backward(x, **weights, dout=dout, **kw)
    assert_backward_matches(
        lambda **w: ref.gru_forward(**w, **kw), dict(x=x, **weights),
        dict(x=dx, kernel=dkernel, recurrent_kernel=drecurrent, bias=dbias), dout)


def test_gru_reset_after_differs_from_reset_before():
    """The two forms are different maths: the same weights (recurrent biases zero) give other
    outputs, so a track that built one for the other would fail the tests above and below."""
    rng = np.random.default_rng(38)
    x, kernel, recurrent = (rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 6)),
                            rng.normal(size=(2, 6)))
    bias = rng.normal(size=6)
    after = ref.gru_forward(x, kernel, recurrent, np.stack([bias, np.zeros(6)]))
    before = ref.gru_forward(x, kernel, recurrent, bias, reset_after=False)
    assert np.abs(after - before).max() > 1e-3


# --- against Keras's layers, float32 --------------------------------------------------------
# In float32 ulps of Keras's largest output, measured on x86 CPU over the seeds below (see the
# values in the assertion messages); allowed: 16, as tests/test_reference.py's recurrent layers
# (GRU: NumPy's and TF's sigmoid/tanh an ulp apart, compounded over 6 steps; the convolutions:
# sums in another order).

EPS32 = np.finfo(np.float32).eps


def assert_within_ulps(ours, theirs, ulps=16):
    theirs = np.asarray(theirs)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    error = np.abs(ours.astype(np.float64) - theirs).max() / (EPS32 * np.abs(theirs).max())
    assert error <= ulps, f"{error:.2f} ulps of the largest value"


def keras_layer(layer, input_shape, weights):
    layer.build((None, *input_shape))
    layer.set_weights(weights)
    return layer


@pytest.mark.tensorflow
def test_forward_passes_are_keras():
    import keras  # here, not at the top: the NumPy-only tests run without TF
    rng = np.random.default_rng(39)

    def a(*shape, scale=1.0):
        return (scale * rng.normal(size=shape)).astype(np.float32)

    img, seq = a(4, 7, 6, 3), a(4, 6, 5)
    dk, pk, b = a(3, 3, 3, 2), a(1, 1, 6, 4), a(4)
    layer = keras_layer(keras.layers.DepthwiseConv2D(3, 2, "same", depth_multiplier=2),
                        img.shape[1:], [dk, a(6)])
    assert_within_ulps(ref.depthwise_conv2d_forward(img, dk, layer.bias.numpy(), 2, "same"),
                       layer(img))
    layer = keras_layer(keras.layers.SeparableConv2D(4, 3, depth_multiplier=2), img.shape[1:],
                        [dk, pk, b])
    assert_within_ulps(ref.separable_conv2d_forward(img, dk, pk, b), layer(img))
    assert_within_ulps(ref.global_avg_pool2d_forward(img),
                       keras.layers.GlobalAveragePooling2D()(img))
    np.testing.assert_array_equal(ref.zero_padding2d_forward(img, ((1, 0), (2, 1))),
                                  keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(img))
    gamma, beta = a(5), a(5)
    layer = keras_layer(keras.layers.LayerNormalization(epsilon=0.01), seq.shape[1:],
                        [gamma, beta])
    assert_within_ulps(ref.layer_norm_forward(seq, gamma, beta, 0.01), layer(seq))
    ids, table = rng.integers(0, 9, (4, 6)).astype(np.float32), a(9, 3)
    layer = keras_layer(keras.layers.Embedding(9, 3), (6,), [table])
    np.testing.assert_array_equal(ref.embedding_forward(ids, table), layer(ids))
    for reset_after in (True, False):
        for return_sequences in (True, False):
            weights = [a(5, 12, scale=0.5), a(4, 12, scale=0.5),
                       a(*((2, 12) if reset_after else (12,)), scale=0.5)]
            layer = keras_layer(keras.layers.GRU(4, return_sequences=return_sequences,
                                                 reset_after=reset_after), seq.shape[1:],
                                weights)
            assert_within_ulps(ref.gru_forward(seq, *weights, return_sequences,
                                               reset_after), layer(seq))
