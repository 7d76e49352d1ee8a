"""`tfmodels/tf1_keras.py`: Keras 3 layers with TF1's numbers where Keras 3's own differ.

`FusedBatchNormalization` against the drop-in's fused batch norm (`tf1_compat.layers`, checked
against legacy `tf.compat.v1.layers` in tests/test_layers_oracle.py) and Keras's own layer.
Tolerance: the moving variance after a few steps to 1e-6 relative (the fused kernel's variance
against `tf.nn.moments` times n/(n-1): a few float32 ulps); outputs equal to Keras's own layer
bit for bit (the same call).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import layers
from tfmodels.migration import FusedBatchNormalization

v1 = tf.compat.v1
MOMENTUM = 0.9


def batches(rng, n=4, shape=(6, 5, 5, 3)):
    return [(rng.normal(size=shape) * 2 + 1).astype(np.float32) for _ in range(n)]


def tf1_moving_variance(xs):
    """The drop-in's fused batch norm (TF1's), trained on `xs`: the moving variance after each."""
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, xs[0].shape)
        layers.batch_normalization(x, momentum=MOMENTUM, training=True)
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        [moving_variance] = [v for v in v1.global_variables() if "moving_variance" in v.name]
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as s:
        s.run(init)
        out = []
        for batch in xs:
            s.run(updates, {x: batch})
            out.append(s.run(moving_variance))
    return out


def test_the_moving_variance_moves_as_tf1s_fused_batch_norm():
    rng = np.random.default_rng(0)
    xs = batches(rng)
    ours = FusedBatchNormalization(momentum=MOMENTUM)
    theirs = keras.layers.BatchNormalization(momentum=MOMENTUM)
    want = tf1_moving_variance(xs)
    n = xs[0].size // xs[0].shape[-1]
    for batch, tf1_value in zip(xs, want):
        before = theirs.moving_variance.numpy() if theirs.built else np.ones(3, np.float32)
        np.testing.assert_array_equal(ours(batch, training=True).numpy(),
                                      theirs(batch, training=True).numpy())
        np.testing.assert_allclose(ours.moving_variance.numpy(), tf1_value, rtol=1e-6)
        # Keras's own: the uncorrected variance, (1 - momentum) var / (n - 1) lower a step
        variance = batch.reshape(-1, 3).var(axis=0)
        np.testing.assert_allclose(theirs.moving_variance.numpy(),
                                   before * MOMENTUM + variance * (1 - MOMENTUM), rtol=1e-5)
    gap = (1 - MOMENTUM) * xs[-1].reshape(-1, 3).var(axis=0) / (n - 1)
    assert np.all(gap > 1e-4)  # the difference the layer exists for is well above float32 noise


def test_inputs_tf1_did_not_fuse_are_keras_own_layer():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 7)).astype(np.float32)
    ours, theirs = FusedBatchNormalization(), keras.layers.BatchNormalization()
    for _ in range(2):
        np.testing.assert_array_equal(ours(x, training=True), theirs(x, training=True))
    np.testing.assert_array_equal(ours.moving_variance.numpy(), theirs.moving_variance.numpy())


def test_epsilon_below_the_fused_kernels_floor_is_raised_to_it_as_tf1_did():
    x = np.random.default_rng(2).normal(size=(4, 3, 3, 2)).astype(np.float32)
    ours = FusedBatchNormalization(epsilon=1e-7)
    floor = keras.layers.BatchNormalization(epsilon=1.001e-5)
    ours.build(x.shape), floor.build(x.shape)
    for layer in (ours, floor):
        layer.moving_variance.assign(np.full(2, 1e-4, np.float32))
    np.testing.assert_array_equal(ours(x), floor(x))
    assert ours.epsilon == 1e-7  # as given, in its config


def test_numbered_as_keras_own_saved_and_restored(tmp_path):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((4, 4, 2)), FusedBatchNormalization(),
                              FusedBatchNormalization()])
    assert [layer.name for layer in model.layers] == ["batch_normalization",
                                                      "batch_normalization_1"]
    x = np.random.default_rng(3).normal(size=(5, 4, 4, 2)).astype(np.float32)
    model(x, training=True)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], FusedBatchNormalization)
    np.testing.assert_array_equal(loaded(x), model(x))


@pytest.mark.parametrize("axis", [1, -1])
def test_channels_first_or_last(axis):
    x = np.random.default_rng(4).normal(size=(3, 4, 5, 5)).astype(np.float32)
    layer = FusedBatchNormalization(axis=axis, momentum=MOMENTUM)
    layer(x, training=True)
    channels = x.shape[axis]
    values = np.moveaxis(x, axis, -1).reshape(-1, channels)
    n = len(values)
    np.testing.assert_allclose(layer.moving_variance.numpy(),
                               MOMENTUM + values.var(axis=0) * n / (n - 1) * (1 - MOMENTUM),
                               rtol=1e-6)
