"""C09, C26: every loss in both tracks against NumPy, on probabilities and on logits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import losses as tf1_losses
from tfmodels.core import reference as ref
from tfmodels.core.spec import CLASSIFIER_OUTPUTS, LOSSES, Dense, ModelSpec, OptimizerSpec
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
    return np.random.default_rng(20261202)  # fixed: a failure reproduces


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


# --- what training computes: TF1's per_sample_loss / mean_loss / metric_sum, Keras's spec_loss
# and metric_sum (the tracks' losses and metrics in fit), each against NumPy --------------------


def _batch(name, rng, n=7, k=4):
    """Labels, logits and the outputs a model with `name` as its loss ends in (float64)."""
    units = 1 if name == "binary_crossentropy" else k
    z = rng.normal(0, 2, (n, units))
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        classes = rng.integers(0, k, n)
        y = classes.astype(np.float64) if name.startswith("sparse") else ref.one_hot(classes, k)
        return y, z, ref.softmax(z)
    if name == "binary_crossentropy":
        return rng.integers(0, 2, (n, 1)).astype(np.float64), z, ref.sigmoid(z)
    return rng.normal(size=(n, k)), z, z  # regression: a linear output


def _run_tf1(build, *arrays):
    """`build(*placeholders)` in a graph, run on `arrays`; also the gradient of the sum of its
    result for every input."""
    with tf.Graph().as_default(), v1.Session() as sess:
        xs = [v1.placeholder(tf.float64, a.shape) for a in arrays]
        out = build(*xs)
        grads = [g if g is not None else tf.zeros_like(x)
                 for g, x in zip(tf.gradients(tf.reduce_sum(out), xs), xs)]
        return sess.run((out, grads), dict(zip(xs, arrays)))


@pytest.mark.parametrize("name", LOSSES)
def test_tf1_per_sample_loss_is_the_numpy_loss_and_gradient(name, rng):
    """Cross-entropies on the logits (what Keras does behind a softmax or sigmoid output), the
    regression losses on the outputs: values and gradients, float64."""
    y, z, outputs = _batch(name, rng)
    (loss, (_, d_outputs, d_logits)) = _run_tf1(
        lambda ys, out, logits: tf1_losses.per_sample_loss(name, ys, out, logits), y, outputs, z)
    if name.endswith("crossentropy"):
        labels = y.astype(int) if name.startswith("sparse") else y  # class numbers for NumPy
        np.testing.assert_allclose(loss, getattr(ref, name)(labels, z, from_logits=True),
                                   rtol=1e-12)
        np.testing.assert_allclose(d_logits,
                                   getattr(ref, f"{name}_grad")(labels, z, from_logits=True),
                                   rtol=1e-12, atol=1e-15)
        assert not d_outputs.any()  # the probabilities play no part
    else:
        np.testing.assert_allclose(loss, getattr(ref, name)(y, outputs), rtol=1e-12)
        np.testing.assert_allclose(d_outputs, getattr(ref, f"{name}_grad")(y, outputs),
                                   rtol=1e-12)
        assert not d_logits.any()
    assert loss.shape == (len(y),)  # one value per sample


def test_tf1_mean_loss_is_the_sum_over_the_batch_size(rng):
    per_sample = rng.exponential(size=9)
    loss, (grad,) = _run_tf1(tf1_losses.mean_loss, per_sample)
    np.testing.assert_allclose(loss, per_sample.sum() / 9, rtol=1e-15)
    np.testing.assert_allclose(grad, np.full(9, 1 / 9), rtol=1e-15)
    empty, _ = _run_tf1(tf1_losses.mean_loss, np.zeros(0))
    assert empty == 0.0  # an empty batch adds nothing, not NaN


def _metric_inputs(metric, loss, rng, n=11, k=4):
    if loss == "binary_crossentropy":
        y = rng.integers(0, 2, (n, 3)).astype(np.float64)
        p = rng.uniform(size=(n, 3))
        p[0, 0], p[1, 1] = 0.5, np.nextafter(0.5, 1)  # 0.5 itself is not "above 0.5"
        return y, p
    if metric == "sparse_categorical_accuracy":
        return rng.integers(0, k, n).astype(np.float64), ref.softmax(rng.normal(size=(n, k)))
    if loss == "categorical_crossentropy":
        return ref.one_hot(rng.integers(0, k, n), k), ref.softmax(rng.normal(size=(n, k)))
    return rng.normal(size=(n, k)), rng.normal(size=(n, k))


def _numpy_metric_sum(metric, loss, y, p):
    """The sum over the batch of each sample's metric, by its definition."""
    if metric == "accuracy" and loss == "categorical_crossentropy":
        return np.sum(y.argmax(axis=-1) == p.argmax(axis=-1))
    if metric == "accuracy":  # binary: the share of a sample's units on the right side of 0.5
        return np.sum(np.mean(y == (p > 0.5), axis=-1))
    if metric == "sparse_categorical_accuracy":
        return np.sum(y == p.argmax(axis=-1))
    if metric == "mae":
        return np.sum(ref.mean_absolute_error(y, p))
    return np.sum(ref.mean_squared_error(y, p))


METRIC_CASES = [("accuracy", "categorical_crossentropy"), ("accuracy", "binary_crossentropy"),
                ("sparse_categorical_accuracy", "sparse_categorical_crossentropy"),
                ("mae", "mean_squared_error"), ("mse", "mean_absolute_error")]


@pytest.mark.parametrize("metric, loss", METRIC_CASES)
def test_metric_sums_of_both_tracks_are_numpys(metric, loss, rng):
    y, p = _metric_inputs(metric, loss, rng)
    expected = _numpy_metric_sum(metric, loss, y, p)
    if metric.endswith("accuracy"):
        assert 0 < expected < len(y)  # some hits, some misses: a wrong rule shows
    tf1_sum, _ = _run_tf1(lambda ys, ps: tf1_losses.metric_sum(metric, loss, ys, ps), y, p)
    keras_sum = keras_losses.metric_sum(metric, loss, tf.constant(y), tf.constant(p)).numpy()
    np.testing.assert_allclose(tf1_sum, expected, rtol=1e-12)
    # Keras's binary_accuracy casts its hits to float32: thirds then round (2e-8 measured)
    np.testing.assert_allclose(keras_sum, expected, rtol=1e-12 if metric != "accuracy" or
                               loss != "binary_crossentropy" else 1e-7)


def test_unknown_metric_is_one_line_in_both_tracks():
    for metric_sum in (tf1_losses.metric_sum, keras_losses.metric_sum):
        with pytest.raises(ValueError, match="metric 'accuracy' for loss 'mean_squared_error'"):
            metric_sum("accuracy", "mean_squared_error", tf.constant([[0.0]]),
                       tf.constant([[0.0]]))


def _spec(loss, from_logits=False):
    units = 1 if loss == "binary_crossentropy" else 4
    output = "linear" if from_logits or loss not in CLASSIFIER_OUTPUTS \
        else CLASSIFIER_OUTPUTS[loss]
    return ModelSpec("losses", (Dense(units, output),), loss, OptimizerSpec("sgd"), "spiral",
                     input_dim=2, from_logits=from_logits)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("name", LOSSES)
def test_keras_spec_loss_is_the_numpy_loss(name, from_logits, rng):
    """What `compile` gets for a spec, called as `fit` calls it: Keras's loss by name, or its
    class with from_logits (float32, as it is built, and a mean over the batch)."""
    if from_logits and name not in CLASSIFIER_OUTPUTS:
        with pytest.raises(ValueError, match="from_logits applies to cross-entropy"):
            _spec(name, from_logits)
        return
    y, z, outputs = _batch(name, rng)
    loss = keras.losses.get(keras_losses.spec_loss(_spec(name, from_logits)))
    given = z if from_logits else outputs
    labels = y.astype(int) if name.startswith("sparse") else y  # class numbers for NumPy
    expected = getattr(ref, name)(labels, given,
                                  **({"from_logits": True} if from_logits else {}))
    got = np.asarray(loss(y.astype(np.float32), given.astype(np.float32)))
    if from_logits:
        assert isinstance(loss, keras.losses.Loss) and got.shape == ()
        expected = expected.mean()
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # float32, values of order 1


def test_keras_track_reduces_only_the_last_axis_of_rank_3():
    """Found by mutation testing (docs/testing.md): on 2-D inputs `axis=-1` and `axis=1` agree,
    so only a rank-3 input tells them apart. (2, 3, 4) -> (2, 3), as Keras's own losses do."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, size=(2, 3, 4)).astype(np.float32)
    p = rng.uniform(0.05, 0.95, size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(keras_losses.l1(y, p), np.abs(p - y).sum(axis=2), rtol=1e-6)
    np.testing.assert_allclose(keras_losses.l2(y, p), ((p - y) ** 2).sum(axis=2), rtol=1e-6)
    hits = ((p > 0.5) == (y == 1)).mean(axis=2).sum()  # per (sample, step): the mean of its units
    total = keras_losses.metric_sum("accuracy", "binary_crossentropy", y, p)
    np.testing.assert_allclose(float(total), hits, rtol=1e-6)
    with pytest.raises(ValueError) as err:
        keras_losses.metric_sum("f1", "mean_squared_error", y, p)
    assert str(err.value) == "no Keras metric 'f1' for loss 'mean_squared_error'"


def test_tf1_track_reduces_only_the_last_axis_of_rank_3():
    """Found by mutation testing (docs/testing.md), as for the Keras track: on 2-D inputs
    `axis=-1` and `axis=1` agree, so only a rank-3 input tells them apart. Every TF1 loss,
    per-sample loss and metric sum on (2, 3, 4): one value per (sample, step), against NumPy."""
    rng = np.random.default_rng(13)
    y = rng.integers(0, 2, size=(2, 3, 4)).astype(np.float64)
    p = rng.uniform(0.05, 0.95, size=(2, 3, 4))  # inside the clip: no clipping anywhere
    z = rng.normal(0, 2, size=(2, 3, 4))
    classes = rng.integers(0, 4, size=(2, 3))
    one_hot = np.eye(4)[classes]
    sigmoid = 1 / (1 + np.exp(-z))
    softmax = np.exp(z) / np.exp(z).sum(axis=2, keepdims=True)
    expected = {
        "l1": np.abs(p - y).sum(axis=2),
        "mean_absolute_error": np.abs(p - y).mean(axis=2),
        "l2": ((p - y) ** 2).sum(axis=2),
        "mean_squared_error": ((p - y) ** 2).mean(axis=2),
        "binary_crossentropy": -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=2),
        "binary_from_logits": -(y * np.log(sigmoid) + (1 - y) * np.log(1 - sigmoid)).mean(axis=2),
        # on probabilities each row of the last axis is normalised first (p's rows do not sum to 1)
        "categorical_crossentropy": -(one_hot * np.log(p / p.sum(axis=2, keepdims=True))).sum(
            axis=2),
        "per_sample binary": -(y * np.log(sigmoid) + (1 - y) * np.log(1 - sigmoid)).mean(axis=2),
        "per_sample mse": ((p - y) ** 2).mean(axis=2),
        "per_sample mae": np.abs(p - y).mean(axis=2),
        "categorical accuracy": np.sum(classes == softmax.argmax(axis=2)),
        "binary accuracy": ((p > 0.5) == (y == 1)).mean(axis=2).sum(),
        "sparse accuracy": np.sum(classes == softmax.argmax(axis=2)),
        "mae": np.abs(p - y).mean(axis=2).sum(),
        "mse": ((p - y) ** 2).mean(axis=2).sum(),
    }
    assert 0 < expected["categorical accuracy"] < 6  # some hits, some misses
    with tf.Graph().as_default(), v1.Session() as sess:
        ys, ps, zs = tf.constant(y), tf.constant(p), tf.constant(z)
        hot, sparse, probs = tf.constant(one_hot), tf.constant(classes), tf.constant(softmax)
        got = sess.run({
            **{name: getattr(tf1_losses, name)(ys, ps) for name in REGRESSION},
            "binary_crossentropy": tf1_losses.binary_crossentropy(ys, ps),
            "binary_from_logits": tf1_losses.binary_crossentropy(ys, zs, from_logits=True),
            "categorical_crossentropy": tf1_losses.categorical_crossentropy(hot, ps),
            "per_sample binary": tf1_losses.per_sample_loss("binary_crossentropy", ys, None, zs),
            "per_sample mse": tf1_losses.per_sample_loss("mean_squared_error", ys, ps, None),
            "per_sample mae": tf1_losses.per_sample_loss("mean_absolute_error", ys, ps, None),
            "categorical accuracy": tf1_losses.metric_sum("accuracy", "categorical_crossentropy",
                                                          hot, probs),
            "binary accuracy": tf1_losses.metric_sum("accuracy", "binary_crossentropy", ys, ps),
            "sparse accuracy": tf1_losses.metric_sum(
                "sparse_categorical_accuracy", "sparse_categorical_crossentropy", sparse, probs),
            "mae": tf1_losses.metric_sum("mae", "mean_absolute_error", ys, ps),
            "mse": tf1_losses.metric_sum("mse", "mean_squared_error", ys, ps),
        })
    for name, want in expected.items():
        np.testing.assert_allclose(got[name], want, rtol=1e-12, err_msg=name)
    with pytest.raises(ValueError) as err:
        tf1_losses.metric_sum("f1", "mean_squared_error", None, None)
    assert str(err.value) == "no TF1 metric 'f1' for loss 'mean_squared_error'"
