"""C15-C21: tensors, layouts, and the graph/Session basics in both tracks, checked against NumPy
and against each other. The functions are lesson 10's own (scripts/10_tf1_session_basics.py):
each TF1 function `name` and its Keras 3 twin `keras_name`, the code learners read."""

import inspect
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests.helpers import lesson
from tfmodels.core import reference as ref

v1 = tf.compat.v1
LESSON = lesson("10_tf1_session_basics.py")


def _functions(module):
    return {name for name, f in inspect.getmembers(module, inspect.isfunction)
            if f.__module__ == module.__name__ and not name.startswith("_")}


TWINS = sorted(_functions(LESSON) - {n for n in _functions(LESSON) if n.startswith("keras_")})
tf1_basics = SimpleNamespace(**{name: getattr(LESSON, name) for name in TWINS})
basics = SimpleNamespace(LAYOUTS=LESSON.LAYOUTS,  # the Keras 3 twins, by their TF1 names
                         **{name: getattr(LESSON, f"keras_{name}") for name in TWINS
                            if hasattr(LESSON, f"keras_{name}")})


@pytest.fixture
def rng():
    return np.random.default_rng(20261201)  # fixed: a failure reproduces


def test_every_tf1_basic_has_its_keras_twin_in_the_lesson():
    functions = _functions(LESSON)
    keras_names = {name[len("keras_"):] for name in functions if name.startswith("keras_")}
    assert keras_names == set(TWINS) == functions - {f"keras_{n}" for n in keras_names}
    assert "run_placeholder" in keras_names and "neuron_outputs" in TWINS


@pytest.mark.parametrize("rank", range(6))
def test_rank_0_to_5_tensors_in_both_tracks(rank, rng):
    shape = (2, 3, 4, 5, 6)[:rank]  # written out: a rank-r tensor has r axes
    a = rng.normal(size=shape)
    keras_tensor = ops.convert_to_tensor(a)
    assert ops.ndim(keras_tensor) == rank and tuple(keras_tensor.shape) == shape
    np.testing.assert_array_equal(ops.convert_to_numpy(keras_tensor), a)  # the same numbers
    with tf.Graph().as_default(), v1.Session() as sess:
        t = tf.constant(a)
        assert t.shape.rank == rank and t.dtype == tf.float64 and tuple(t.shape) == shape
        np.testing.assert_array_equal(sess.run(t), a)


def test_layouts_keep_samples_first(rng):
    # the shapes of the notes, written out here (not read back from LAYOUTS)
    expected = {"scalar": (), "vectors": (128, 20), "sequences": (128, 50, 20),
                "images": (128, 28, 28, 3), "images_channels_first": (128, 3, 28, 28),
                "video": (4, 16, 64, 64, 3)}
    assert basics.LAYOUTS == expected
    images = rng.normal(size=(2, 4, 5, 3))
    for track in (basics, tf1_basics):
        first = ops.convert_to_numpy(track.to_channels_first(images))
        assert first.shape == (2, 3, 4, 5)
        np.testing.assert_array_equal(first, np.moveaxis(images, 3, 1))  # the same pixels
        for name, shape in expected.items():
            tensor = ops.convert_to_numpy(track.example(name))
            assert tensor.shape == shape and tensor.dtype == np.float32 and not tensor.any()
        with pytest.raises(ValueError, match="unknown layout 'movie'; expected one of: scalar"):
            track.example("movie")


def test_elementwise_broadcasting_dot_and_reshape_match_numpy(rng):
    m, v, w = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))
    with tf.Graph().as_default(), v1.Session() as sess:
        graph_results = sess.run((tf.constant(m) * 2 + 1, tf.constant(m) + tf.constant(v),
                                  tf.matmul(tf.constant(m), tf.constant(w)),
                                  tf.reshape(tf.constant(m), (2, 6))))
    eager_results = [ops.convert_to_numpy(r) for r in (
        m * ops.convert_to_tensor(2.0, "float64") + 1, ops.add(m, v), ops.matmul(m, w),
        ops.reshape(m, (2, 6)))]
    numpy_results = (m * 2 + 1, m + v[None, :], m @ w, m.reshape(2, 6))
    for got in (graph_results, eager_results):
        for a, b in zip(got, numpy_results):
            np.testing.assert_allclose(a, b, rtol=1e-12)  # float64, a handful of ops


def test_dot_of_batch_needs_the_transpose(rng):
    """C02: NNFS's `np.dot(weights, inputs)` works for one sample; a batch of 3 samples of 4
    features against 3 neurons' (3, 4) weights is 'shapes not aligned' until transposed."""
    inputs, weights, biases = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    with pytest.raises(ValueError, match="not aligned"):
        np.dot(inputs, weights)
    # each neuron by hand: the sum over features of weight * input, plus the neuron's bias
    by_hand = np.array([[sum(weights[j, k] * inputs[i, k] for k in range(4)) + biases[j]
                         for j in range(3)] for i in range(3)])
    for track in (basics, tf1_basics):
        np.testing.assert_allclose(track.neuron_outputs(inputs, weights, biases), by_hand,
                                   rtol=1e-12)
        np.testing.assert_allclose(track.neuron_outputs(inputs[1], weights, biases), by_hand[1],
                                   rtol=1e-12)


def test_constant_and_session_run_of_one_tensor_and_a_tuple():
    product, value, pair = tf1_basics.run_constants()
    assert isinstance(product, tf.Tensor) and not hasattr(product, "numpy")  # a graph tensor
    np.testing.assert_array_equal(value, [[2.0, 4.0], [6.0, 8.0]])
    assert isinstance(pair, tuple) and pair == (2.0, 10.0)


def test_placeholder_with_none_takes_any_batch_size(rng):
    batches = [rng.normal(size=(n, 3)).astype(np.float32) for n in (1, 5, 32)]
    x, sums = tf1_basics.run_placeholder(batches)
    assert x.shape.as_list() == [None, 3]
    for batch, s in zip(batches, sums):
        np.testing.assert_allclose(s, batch.sum(axis=1), rtol=1e-6)  # float32 sum of 3


def test_tf_variable_makes_a_new_variable_and_get_variable_reuses():
    (first, second), (made, reused, auto) = tf1_basics.variable_and_get_variable()
    assert first is not second and (first.name, second.name) == ("w:0", "w_1:0")
    assert reused is made and auto is made and made.name == "layer/w:0"


def test_get_variable_without_reuse_raises_tfs_error():
    with pytest.raises(ValueError, match="Variable layer/w already exists, disallowed. Did you "
                                         "mean to set reuse=True or reuse=tf.AUTO_REUSE"):
        tf1_basics.get_variable_without_reuse()


def test_variables_need_the_initializer_before_they_are_read():
    error, value = tf1_basics.initialised_value()
    assert isinstance(error, tf.errors.FailedPreconditionError)
    np.testing.assert_array_equal(value, [0.5, 0.5])


@pytest.mark.parametrize("optimizer", ["gradient_descent", "adam"])
def test_logits_layer_trained_by_minimize_lowers_the_loss(optimizer, rng):
    x = rng.normal(size=(60, 2)).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[(x[:, 0] + x[:, 1] > 0).astype(int)]
    start = [rng.normal(0, 0.5, (2, 2)).astype(np.float32), np.zeros(2, np.float32)]
    losses = tf1_basics.train_logits_layer(x, labels, start, optimizer, learning_rate=0.1)
    assert losses[-1] < 0.6 * losses[0]


def test_keras_constants_have_their_value_at_once():
    product, value, pair = basics.run_constants()
    assert hasattr(product, "numpy")  # an eager tensor, unlike the TF1 graph tensor
    np.testing.assert_array_equal(value, [[2.0, 4.0], [6.0, 8.0]])
    assert pair == (2.0, 10.0)


def test_keras_input_takes_any_batch_size(rng):
    batches = [rng.normal(size=(n, 3)).astype(np.float32) for n in (1, 5, 32)]
    x, sums = basics.run_placeholder(batches)
    assert tuple(x.shape) == (None, 3)
    for batch, s in zip(batches, sums):
        np.testing.assert_allclose(s, batch.sum(axis=1), rtol=1e-6)


def test_keras_layer_makes_its_weights_once_and_shares_them():
    (first, second), (made, reused, in_function) = basics.variable_and_get_variable()
    assert first is not second and first.name == second.name == "w"
    assert reused is made and in_function is made


def test_keras_refuses_two_layers_of_one_name():
    with pytest.raises(ValueError, match="should have unique names"):
        basics.get_variable_without_reuse()


def test_keras_layer_has_no_weights_until_built():
    error, value = basics.initialised_value()
    assert isinstance(error, AttributeError) and "build the layer" in str(error)
    np.testing.assert_array_equal(value, [0.5, 0.5])


@pytest.mark.parametrize("optimizer", ["gradient_descent", "adam"])
def test_logits_layer_trains_the_same_in_both_tracks(optimizer, rng):
    """From the same kernel and bias, Keras's `train_on_batch` and TF1's `minimize` see the
    same loss before every step (float32; a few ulps over 50 steps)."""
    x = rng.normal(size=(60, 2)).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[(x[:, 0] + x[:, 1] > 0).astype(int)]
    start = [rng.normal(size=(2, 2)).astype(np.float32), np.zeros(2, np.float32)]
    keras_losses = basics.train_logits_layer(x, labels, start, optimizer, learning_rate=0.1)
    tf1_losses = tf1_basics.train_logits_layer(x, labels, start, optimizer, learning_rate=0.1)
    np.testing.assert_allclose(keras_losses, tf1_losses, rtol=1e-5)
    assert keras_losses[-1] < 0.6 * keras_losses[0]
    # and both are NumPy's: the loss before each full-batch step (TF1's Adam epsilon, 1e-8)
    weights, numpy_losses = [w.astype(np.float64) for w in start], []
    step = {"gradient_descent": ref.SGD(0.1), "adam": ref.Adam(0.1, epsilon=1e-8)}[optimizer]
    for _ in range(50):
        loss, grads = ref.mlp_loss_and_grads(weights, ["linear"], x.astype(np.float64),
                                             labels.astype(np.float64), from_logits=True)
        numpy_losses.append(loss)
        weights = step.apply(weights, grads)
    # float32 against float64 over 50 steps: 1.3e-7 (SGD), 9.4e-6 (Adam) measured
    np.testing.assert_allclose(keras_losses, numpy_losses, rtol=1e-4)
    np.testing.assert_allclose(tf1_losses, numpy_losses, rtol=1e-4)


def test_importing_the_lesson_defines_its_functions_and_runs_nothing_else():
    """Imported, lesson 10 shows nothing: no arguments read, no graph trained, no logs."""
    assert LESSON.SHOW is False
    assert not hasattr(LESSON, "args") and not hasattr(LESSON, "losses")
