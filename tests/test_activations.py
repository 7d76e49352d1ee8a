"""C06: every activation in both tracks against the NumPy reference, values and gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import activations as tf1_act
from tfmodels.core import reference as ref
from tfmodels.keras_track import activations as keras_act

v1 = tf.compat.v1

# float32 against float64 NumPy: each function is a few float32 ops, each rounding to half an
# ulp (6e-8 relative), so 1e-6 relative is a few ulp with room. Values and gradients are of order
# 1, and a saturating gradient such as 1 - tanh(z)^2 cancels to an error of an ulp of 1 (1.2e-7)
# times |dout| (< 5): hence 1e-6 absolute too. float64 against float64: the same formulas in a
# different order, a few ulp (1e-16), so 1e-12 relative leaves four orders of room; the same
# cancellation needs an absolute bound: TF's tanh(6.93) is 1 ulp (1.1e-16 there) from NumPy's,
# 1 - tanh^2 then 2.2e-16 apart, times dout = 2.96: 2.0e-15 (seed 2920616285), hence 1e-14.
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}

# TF's LeakyRelu kernel takes alpha as a C++ `float` attribute: 0.2 arrives as float32(0.2),
# also for float64 inputs. The reference gets the same number.
ALPHA = float(np.float32(0.2))

# name -> (NumPy value, NumPy gradient of sum(dout * f(z)))
SMOOTH = {
    "sigmoid": (ref.sigmoid, ref.sigmoid_grad),
    "tanh": (ref.tanh, ref.tanh_grad),
    "relu": (ref.relu, ref.relu_grad),
    "leaky_relu": (lambda z: ref.leaky_relu(z, ALPHA),
                   lambda z, d: ref.leaky_relu_grad(z, d, ALPHA)),
    "swish": (ref.swish, lambda z, d: ref.swish_grad(z, d)[0]),
    "softmax": (ref.softmax, ref.softmax_grad),
}


@pytest.fixture
def rng():
    return np.random.default_rng(20261202)  # fixed: a failure reproduces


def keras_value_and_grad(fn, z, dout):
    x = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y.numpy(), tape.gradient(y, x, output_gradients=tf.constant(dout)).numpy()


def tf1_value_and_grad(fn, z, dout):
    with tf.Graph().as_default(), v1.Session() as sess:
        x = v1.placeholder(z.dtype, z.shape)
        y = fn(x)
        (g,) = tf.gradients(y, x, grad_ys=tf.constant(dout))
        return sess.run((y, g), {x: z})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_values_and_gradients_match_numpy_in_both_tracks(name, dtype, rng):
    z = rng.normal(0, 3, (6, 5)).astype(dtype)
    dout = rng.normal(size=z.shape).astype(dtype)
    value, grad = SMOOTH[name]
    for track in (keras_value_and_grad(getattr(keras_act, name), z, dout),
                  tf1_value_and_grad(getattr(tf1_act, name), z, dout)):
        np.testing.assert_allclose(track[0], value(z), **TOL[dtype])
        np.testing.assert_allclose(track[1], grad(z, dout), **TOL[dtype])


def test_step_is_zero_or_one_and_has_no_gradient_path(rng):
    z = np.concatenate([rng.normal(size=9), [0.0]]).astype(np.float32)
    expected = ref.step(z)
    assert set(expected) == {0.0, 1.0} and expected[-1] == 0.0  # step(0) = 0, as in NNFS
    np.testing.assert_array_equal(keras_act.step(tf.constant(z)).numpy(), expected)
    with tf.Graph().as_default(), v1.Session() as sess:
        x = tf.constant(z)
        assert tf.gradients(tf1_act.step(x), x) == [None]
        np.testing.assert_array_equal(sess.run(tf1_act.step(x)), expected)


def test_softmax_of_huge_logits_is_finite_and_rows_sum_to_one(rng):
    z = (rng.normal(size=(4, 10)) * 1e4).astype(np.float32)
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(z)).any()  # the naive formula would overflow to inf/inf = NaN
    for out in (keras_act.softmax(tf.constant(z)).numpy(),
                tf1_value_and_grad(tf1_act.softmax, z, np.ones_like(z))[0]):
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)  # float32: a few ulp of 1
        np.testing.assert_allclose(out, ref.softmax(z.astype(np.float64)), atol=1e-6)


def test_softmax_of_two_classes_is_the_sigmoid_of_the_difference(rng):
    z = rng.normal(size=(5, 2))
    np.testing.assert_allclose(keras_act.softmax(tf.constant(z)).numpy()[:, 0],
                               ref.sigmoid(z[:, 0] - z[:, 1]), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.01, 0.3])
def test_leaky_relu_keeps_a_slope_alpha_below_zero_rounded_to_float32(alpha, rng):
    z = -np.abs(rng.normal(size=20)) - 0.1  # float64
    dout = np.ones_like(z)
    slope = float(np.float32(alpha))
    assert slope != alpha  # 0.01 and 0.3 are not exact in float32: the rounding is visible
    for track in (keras_value_and_grad(lambda x: keras_act.leaky_relu(x, alpha), z, dout),
                  tf1_value_and_grad(lambda x: tf1_act.leaky_relu(x, alpha), z, dout)):
        np.testing.assert_allclose(track[0], slope * z, rtol=1e-15)  # one float64 product
        np.testing.assert_array_equal(track[1], slope)


def _negative_slopes(z, out):
    neg = z < 0
    np.testing.assert_array_equal(out[~neg], z[~neg])  # positives pass through untouched
    return out[neg] / z[neg]


def test_randomized_relu_draws_slopes_while_training_and_uses_the_mean_after(rng):
    lower, upper = 0.1, 0.3
    z = rng.normal(size=(50, 20)).astype(np.float32)
    layer = keras_act.RandomizedReLU(lower, upper, seed=1)
    with tf.Graph().as_default(), v1.Session() as sess:
        x = v1.placeholder(tf.float32, z.shape)
        training = v1.placeholder_with_default(False, ())
        y = tf1_act.randomized_relu(x, lower, upper, training=training, seed=1)
        tf1_train = sess.run(y, {x: z, training: True})
        tf1_infer = sess.run(y, {x: z})
    for out in (layer(z, training=True).numpy(), tf1_train):
        slopes = _negative_slopes(z, out)
        # float32 division of slope * z by z: within a few ulp of the drawn slope
        assert slopes.min() >= lower - 1e-6 and slopes.max() <= upper + 1e-6
        assert slopes.std() > 0.03  # U(0.1, 0.3) has std 0.058: really drawn, not fixed
    mean = (lower + upper) / 2
    for out in (layer(z, training=False).numpy(), tf1_infer):
        np.testing.assert_allclose(out, ref.randomized_relu(z.astype(np.float64), mean),
                                   rtol=1e-6)


def test_randomized_relu_rejects_an_empty_slope_range():
    for make in (lambda: keras_act.RandomizedReLU(0.4, 0.2),
                 lambda: tf1_act.randomized_relu(tf.zeros(3), 0.4, 0.2)):
        with pytest.raises(ValueError, match=r"0 <= lower <= upper <= 1, got lower=0.4, "
                                             r"upper=0.2$"):
            make()


def test_swish_beta_trains_in_both_tracks(rng):
    beta = 1.5
    z, dout = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    expected_dz, expected_dbeta = ref.swish_grad(z, dout, beta)

    layer = keras_act.Swish(beta, trainable_beta=True, dtype="float64")
    x = tf.constant(z)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = layer(x)
    assert layer.trainable_weights == [layer.beta]
    np.testing.assert_allclose(y.numpy(), ref.swish(z, beta), rtol=1e-12)
    dz, dbeta = tape.gradient(y, [x, layer.beta], output_gradients=tf.constant(dout))
    np.testing.assert_allclose(dz.numpy(), expected_dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(float(dbeta), expected_dbeta, rtol=1e-12)
    assert keras_act.Swish(beta).trainable_weights == []  # beta fixed unless asked

    with tf.Graph().as_default(), v1.Session() as sess:
        xs = v1.placeholder(tf.float64, z.shape)
        y = tf1_act.swish(xs, beta, trainable=True)
        (beta_var,) = v1.trainable_variables()
        assert beta_var.op.name == "swish/beta"
        g = tf.gradients(y, [xs, beta_var], grad_ys=tf.constant(dout))
        sess.run(v1.global_variables_initializer())
        dz, dbeta = sess.run(g, {xs: z})
    np.testing.assert_allclose(dz, expected_dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dbeta, expected_dbeta, rtol=1e-12)


def test_randomized_relu_layer_is_a_keras_layer_in_a_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                              keras_act.RandomizedReLU(), keras_act.Swish()])
    assert model.predict(np.zeros((2, 3)), verbose=0).shape == (2, 4)


def test_keras_softmax_works_on_the_last_axis_of_rank_3_and_rrelu_is_registered():
    """Found by mutation testing (docs/testing.md): on 2-D inputs axis -1 and 1 agree. And the
    layer saves under the name that loads it back: "tfmodels>RandomizedReLU"."""
    z = np.random.default_rng(12).normal(size=(2, 3, 4)).astype(np.float32)
    e = np.exp(z)
    np.testing.assert_allclose(keras_act.softmax(z), e / e.sum(axis=2, keepdims=True),
                               rtol=1e-6)
    assert keras.saving.get_registered_name(keras_act.RandomizedReLU) == (
        "tfmodels>RandomizedReLU")
    assert keras.saving.get_registered_object("tfmodels>RandomizedReLU") is keras_act.RandomizedReLU


def test_rrelu_and_swish_layers_defaults_config_and_inference():
    """RReLU's default slopes U(1/8, 1/3) (Xu et al. 2015), their mean at inference (the
    default call), slopes in range while training, a config that rebuilds the layer with its
    seed; Swish's default beta 1, both registered under "tfmodels>"."""
    x = np.array([[-2.0, 0.0, 1.0]], np.float32)
    layer = keras_act.RandomizedReLU()
    assert (layer.lower, layer.upper) == (1 / 8, 1 / 3)
    np.testing.assert_allclose(layer(x), [[-2.0 * (1 / 8 + 1 / 3) / 2, 0.0, 1.0]], rtol=1e-6)
    seeded = keras_act.RandomizedReLU(0.25, 0.5, seed=3)
    config = seeded.get_config()
    assert (config["lower"], config["upper"], config["seed"]) == (0.25, 0.5, 3)
    slopes = -np.asarray(seeded(np.full((1, 1000), -1.0, np.float32), training=True))
    assert 0.25 <= slopes.min() < slopes.max() <= 0.5
    again = keras_act.RandomizedReLU.from_config(config)
    np.testing.assert_array_equal(again(np.full((1, 1000), -1.0, np.float32), training=True),
                                  -slopes)  # the same seed, the same first draw
    swish = keras_act.Swish()
    assert swish.get_config()["beta"] == 1.0
    np.testing.assert_allclose(swish(x), x / (1 + np.exp(-x)), rtol=1e-6)
    assert keras.saving.get_registered_name(keras_act.Swish) == "tfmodels>Swish"


def test_swish_layer_has_a_beta_weight_only_when_asked_and_its_config_keeps_it():
    """Found by mutation testing (docs/testing.md): an unbuilt layer has no weights either way,
    so `Swish()` is built here before its weights are read. Trainable, beta is one weight named
    "beta" (as TF1's "swish/beta"), starting at the given beta; the config rebuilds that."""
    x = np.array([[-2.0, 0.0, 1.0]], np.float32)
    fixed = keras_act.Swish()
    fixed.build(x.shape)
    assert fixed.weights == [] and fixed.get_config()["trainable_beta"] is False
    trained = keras_act.Swish(1.5, trainable_beta=True)
    again = keras_act.Swish.from_config(trained.get_config())
    for layer in (trained, again):
        layer.build(x.shape)
        (beta,) = layer.trainable_weights
        assert beta.name == "beta" and float(beta.numpy()) == 1.5
        np.testing.assert_allclose(layer(x), x / (1 + np.exp(-1.5 * x)), rtol=1e-6)


def test_tf1_softmax_works_on_the_last_axis_of_rank_3_and_the_kernel_table_is_numpys():
    """Found by mutation testing (docs/testing.md): on 2-D inputs axis -1 and 1 agree. And
    `TF1_ACTIVATIONS`, the kernels the TF1 layers call by name, each against NumPy."""
    z = np.random.default_rng(12).normal(size=(2, 3, 4))
    e = np.exp(z)
    numpy = {"linear": lambda v: v, "relu": ref.relu, "sigmoid": ref.sigmoid,
             "softmax": lambda v: e / e.sum(axis=2, keepdims=True), "tanh": ref.tanh}
    assert sorted(tf1_act.TF1_ACTIVATIONS) == sorted(numpy)
    with tf.Graph().as_default(), v1.Session() as sess:
        x = tf.constant(z)
        got = sess.run({"softmax()": tf1_act.softmax(x),
                        **{name: fn(x) for name, fn in tf1_act.TF1_ACTIVATIONS.items()}})
    np.testing.assert_allclose(got.pop("softmax()"), numpy["softmax"](z), rtol=1e-12)
    for name, value in got.items():
        np.testing.assert_allclose(value, numpy[name](z), rtol=1e-12, err_msg=name)


def test_tf1_randomized_relu_defaults_are_rrelus():
    """U(1/8, 1/3) by default (Xu et al. 2015), and not training unless asked: the mean slope."""
    x = np.array([[-2.0, 0.0, 1.0]], np.float32)
    with tf.Graph().as_default(), v1.Session() as sess:
        infer = sess.run(tf1_act.randomized_relu(tf.constant(x)))
        slopes = -sess.run(tf1_act.randomized_relu(tf.constant(np.full((1, 1000), -1.0)),
                                                   training=True, seed=3))
    np.testing.assert_allclose(infer, [[-2.0 * (1 / 8 + 1 / 3) / 2, 0.0, 1.0]], rtol=1e-6)
    assert 1 / 8 <= slopes.min() < 1 / 8 + 0.01 and 1 / 3 - 0.01 < slopes.max() <= 1 / 3


@pytest.mark.parametrize("seed", [7, 2**40 + 3])
def test_tf1_randomized_relu_keras_seed_draws_keras_slopes_call_for_call(seed, rng):
    """With `keras_seed=s`, the slopes of the Keras track's `RandomizedReLU(seed=s)`, call for
    call, from a counter `<name>/seed_counter` that only training calls advance. 2**40 + 3 is
    beyond int32: Keras folds the seed with `floormod(., 2**31 - 2)`, and so must this."""
    z, calls = rng.normal(size=(6, 40)).astype(np.float32), 4
    keras_layer = keras_act.RandomizedReLU(0.1, 0.3, seed=seed)
    want = [keras_layer(z, training=True).numpy() for _ in range(calls)]
    with tf.Graph().as_default(), v1.Session() as sess:
        training = v1.placeholder_with_default(True, ())
        out = tf1_act.randomized_relu(tf.constant(z), 0.1, 0.3, training=training,
                                      keras_seed=seed)
        (counter,) = v1.global_variables()
        assert counter.op.name == "randomized_relu/seed_counter" and not counter.trainable
        assert counter.dtype.base_dtype == tf.int64 and v1.trainable_variables() == []
        sess.run(v1.global_variables_initializer())
        got = []
        for _ in range(calls):
            sess.run(out, {training: False})  # inference runs draw nothing
            got.append(sess.run(out))
        assert sess.run(counter) == calls
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0], got[1])  # a new draw per call
    assert np.asarray(keras_layer.seed_generator.state.value).tolist() == [seed, calls]
