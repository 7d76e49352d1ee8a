"""C09, C26: every loss in both tracks against NumPy, on probabilities and on logits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import losses as tf1_losses
from tfmodels.core import reference as ref
from tfmodels.keras_track import losses as keras_losses

v1 = tf.compat.v1

# As in test_activations: float32 a few ulp of values of order 1 (1e-6); float64 a different
# order of the same float64 operations (1e-12).
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}

REGRESSION = ["l1", "mean_absolute_error", "l2", "mean_squared_error"]
CROSS_ENTROPY = ["binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy"]


@pytest.fixture
def rng():
    seed = np.random.SeedSequence().entropy % 2**32  # fresh inputs every run; printed on failure
    print(f"seed {seed}")
    return np.random.default_rng(seed)


def _inputs(name, from_logits, rng, dtype, n=6, k=4):
    logits = rng.normal(0, 2, (n, k)).astype(dtype)
    if name == "sparse_categorical_crossentropy":
        labels = rng.integers(0, k, n)
    elif name == "categorical_crossentropy":
        labels = ref.one_hot(rng.integers(0, k, n), k, dtype)
    elif name == "binary_crossentropy":
        labels = rng.integers(0, 2, (n, k)).astype(dtype)
    else:
        return rng.normal(size=(n, k)).astype(dtype), logits
    if from_logits:
        return labels, logits
    probs = ref.sigmoid(logits) if name == "binary_crossentropy" else ref.softmax(logits)
    return labels, probs.astype(dtype)


def keras_loss_and_grad(name, y, p, **kw):
    x = tf.constant(p)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = getattr(keras_losses, name)(tf.constant(y), x, **kw)
        total = tf.reduce_sum(loss)
    return loss.numpy(), tape.gradient(total, x).numpy()


def tf1_loss_and_grad(name, y, p, **kw):
    with tf.Graph().as_default(), v1.Session() as sess:
        x = v1.placeholder(p.dtype, p.shape)
        loss = getattr(tf1_losses, name)(tf.constant(y), x, **kw)
        (g,) = tf.gradients(tf.reduce_sum(loss), x)
        return sess.run((loss, g), {x: p})


def _check_both_tracks(name, y, p, dtype, **kw):
    expected = getattr(ref, name)(y, p, **kw)
    expected_grad = getattr(ref, f"{name}_grad")(y, p, **kw)
    for loss, grad in (keras_loss_and_grad(name, y, p, **kw), tf1_loss_and_grad(name, y, p, **kw)):
        assert loss.shape == (len(p),)  # one value per sample
        np.testing.assert_allclose(loss, expected, **TOL[dtype])
        np.testing.assert_allclose(grad, expected_grad, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_losses_match_numpy(name, dtype, rng):
    y, p = _inputs(name, False, rng, dtype)
    _check_both_tracks(name, y, p, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("name", CROSS_ENTROPY)
def test_cross_entropies_match_numpy(name, from_logits, dtype, rng):
    y, p = _inputs(name, from_logits, rng, dtype)
    _check_both_tracks(name, y, p, dtype, from_logits=from_logits)


def test_l1_and_l2_sums_are_the_means_times_the_outputs(rng):
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(keras_losses.l1(y, p), 3 * keras_losses.mean_absolute_error(y, p),
                               rtol=1e-12)
    np.testing.assert_allclose(keras_losses.l2(y, p), 3 * keras_losses.mean_squared_error(y, p),
                               rtol=1e-12)


@pytest.mark.parametrize("name", CROSS_ENTROPY)
def test_a_zero_probability_is_clipped_at_1e_7_and_passes_no_gradient(name, rng):
    y, p = _inputs(name, False, rng, np.float64, n=3)
    if name == "sparse_categorical_crossentropy":
        p[0] = 0.0
        p[0, (y[0] + 1) % 4] = 1.0  # all the mass on a wrong class
    else:
        p[0] = 1.0 - y[0]  # certain and wrong
        p[0] /= p[0].sum() if name == "categorical_crossentropy" else 1.0
    cap = -np.log(ref.EPSILON)  # 16.118: the loss of a clipped, certain mistake
    expected = cap
    if name == "sparse_categorical_crossentropy":  # log(sum of the clipped row) - log(1e-7)
        expected = np.log((1 - ref.EPSILON) + 3 * ref.EPSILON) + cap
    for loss, grad in (keras_loss_and_grad(name, y, p), tf1_loss_and_grad(name, y, p)):
        assert np.isfinite(loss).all()
        # float64; 1 - (1 - 1e-7) loses 9 of 16 digits to cancellation, hence 1e-9
        np.testing.assert_allclose(loss[0], expected, rtol=1e-9)
        if name != "sparse_categorical_crossentropy":
            assert not grad[0].any()  # every probability of sample 0 was clipped
        np.testing.assert_allclose(grad, getattr(ref, f"{name}_grad")(y, p), rtol=1e-12)


def test_keras_recovers_the_logits_of_a_softmax_output_in_a_graph(rng):
    """Inside `tf.function` (as in `fit`), categorical cross-entropy of a softmax output is the
    logits op, bit for bit; eagerly, on the same probabilities, it is the clipped path."""
    z = rng.normal(0, 3, (16, 5)).astype(np.float32)
    y = ref.one_hot(rng.integers(0, 5, 16), 5, np.float32)

    @tf.function
    def in_a_graph(z):
        return keras.losses.categorical_crossentropy(y, keras.activations.softmax(z))

    logits_op = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z).numpy()
    np.testing.assert_array_equal(in_a_graph(tf.constant(z)).numpy(), logits_op)
    with tf.Graph().as_default(), v1.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(tf1_losses.categorical_crossentropy(y, tf.constant(z), from_logits=True)),
            logits_op)
    # eager probabilities go through divide, clip and log: a few ulp away, not bitwise
    eager = keras_losses.categorical_crossentropy(y, keras.activations.softmax(z)).numpy()
    np.testing.assert_allclose(eager, logits_op, rtol=1e-5)  # log of a rounded softmax


def test_unknown_loss_name_is_one_line():
    with pytest.raises(ValueError, match="^no TF1 loss for 'hinge'$"):
        tf1_losses.per_sample_loss("hinge", None, None, None)
