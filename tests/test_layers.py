"""tf1_compat.layers: TF1's functional layers, with TF1's names, and Keras 3's numbers.

Every layer is checked for its variables (names, shapes, collections), TF1's naming and reuse,
and against the Keras 3 layer of the same kind loaded with the same weights. Tolerances (float32):
the layers that run the kernels Keras runs (matmul + bias add, tensordot against Keras's
batched matmul, convolution, pooling, reshape, stateless dropout, moments + batch_normalization)
must agree bit for bit. The rest is measured in ulps of the largest value compared (one ulp is
1.2e-7 near 1): TF1's moving-average update, `m - (m - x) * (1 - momentum)`, rounds differently
from Keras's `m * momentum + x * (1 - momentum)`, 1 ulp (measured: 1 ulp); the fused batch norm
runs a kernel Keras does not, 8 ulps (measured over 40 draws: 4 training, 2 inference, that is
1.4e-6 and 9.5e-7 on outputs up to 5).
"""

import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_compat import layers
from tfmodels.core.errors import UserError

v1 = tf.compat.v1
FUSED_ULPS = 8


def within_ulps(actual, desired, ulps):
    """`actual` within `ulps` float32 ulps of the largest value of `desired`, everywhere."""
    spacing = np.spacing(np.abs(np.asarray(desired, np.float32)).max())
    np.testing.assert_allclose(actual, desired, rtol=0, atol=ulps * spacing)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def names(variables):
    return [v.op.name for v in variables]


def start(graph):
    """A session on `graph` with its variables initialised."""
    with graph.as_default():
        init = v1.global_variables_initializer()
    session = v1.Session(graph=graph)
    session.run(init)
    return session


def normal(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


# -- naming, scopes, reuse -----------------------------------------------------------------------


def test_default_names_are_unique_per_variable_scope_like_tf1():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 6, 6, 2))
        h = layers.dense(layers.flatten(layers.conv2d(x, 3, 3)), 4)
        h = layers.dense(h, 4)
        h = layers.conv2d(tf.reshape(h, (-1, 2, 2, 1)), 2, 1)
        h = layers.dense(layers.flatten(h), 4)
        with v1.variable_scope("block"):
            layers.dense(h, 2)
            layers.dense(h, 2)
        layers.dense(h, 1, name="head")
        assert names(v1.trainable_variables()) == [
            "conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias",
            "dense_1/kernel", "dense_1/bias", "conv2d_1/kernel", "conv2d_1/bias",
            "dense_2/kernel", "dense_2/bias", "block/dense/kernel", "block/dense/bias",
            "block/dense_1/kernel", "block/dense_1/bias", "head/kernel", "head/bias"]


def test_the_sequence_dense_dense_conv2d_dense():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 1))
        layers.dense(x, 1)
        layers.dense(x, 1)
        layers.conv2d(x, 1, 1)
        layers.dense(x, 1)
        scopes = [n.rsplit("/", 1)[0] for n in names(v1.trainable_variables())[::2]]
        assert scopes == ["dense", "dense_1", "conv2d", "dense_2"]


def test_reentering_a_scope_restarts_its_count_as_in_tf1():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 3))
        with v1.variable_scope("block"):
            layers.dense(x, 2)
        with v1.variable_scope("block"), pytest.raises(ValueError,
                                                       match="block/dense/kernel already exists"):
            layers.dense(x, 2)
        with v1.variable_scope("block", reuse=True):
            layers.dense(x, 2)
        assert names(v1.global_variables()) == ["block/dense/kernel", "block/dense/bias"]


def test_layers_without_variables_take_unique_scopes_even_when_named():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 1))
        a = layers.max_pooling2d(x, 2, 2, name="pool")
        b = layers.max_pooling2d(x, 2, 2, name="pool")
        c = layers.average_pooling2d(x, 2, 2)
        assert [t.op.name.split("/")[0] for t in (a, b, c)] == ["pool", "pool_1",
                                                                 "average_pooling2d"]


def test_reuse_by_name_shares_the_variables(rng):
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, (None, 5))
        a = layers.dense(x, 3, name="fc")
        b = layers.dense(x, 3, name="fc", reuse=True)
        c = layers.dense(x, 3, name="fc", reuse=v1.AUTO_REUSE)
        d = layers.conv2d(tf.reshape(x[:, :4], (-1, 2, 2, 1)), 2, 2, name="cv")
        e = layers.conv2d(tf.reshape(x[:, :4], (-1, 2, 2, 1)), 2, 2, name="cv", reuse=True)
        assert names(v1.global_variables()) == ["fc/kernel", "fc/bias", "cv/kernel", "cv/bias"]
        with pytest.raises(ValueError, match="fc/kernel already exists"):
            layers.dense(x, 3, name="fc")
        with pytest.raises(ValueError, match="fc/kernel.*shape"):
            layers.dense(x, 4, name="fc", reuse=True)
    with start(g) as s:
        feed = {x: normal(rng, 2, 5)}
        out = s.run([a, b, c, d, e], feed)
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[3], out[4])


def test_an_unnamed_reused_layer_shares_the_base_name_and_scopes_reuse_is_inherited():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 5))
        layers.dense(x, 3)
        layers.dense(x, 3, reuse=True)  # TF1: an unnamed layer with reuse shares `dense`
        layers.dense(x, 3, name="fc")
        with v1.variable_scope(v1.get_variable_scope(), reuse=True):
            layers.dense(x, 3, name="fc")  # reuse inherited from the scope, as in TF1 towers
        assert names(v1.global_variables()) == ["dense/kernel", "dense/bias",
                                                "fc/kernel", "fc/bias"]


def test_dense_and_conv2d_as_tf1_built_them():
    """A matmul for rank 2 and a tensordot above, variables of the inputs' dtype, and conv2d's
    default stride of 1."""
    with tf.Graph().as_default() as g:
        layers.dense(v1.placeholder(tf.float64, (None, 5)), 3, name="flat")
        layers.dense(v1.placeholder(tf.float32, (None, 4, 5)), 3, name="deep")
        conv = layers.conv2d(v1.placeholder(tf.float32, (None, 6, 6, 1)), 2, 3)
        layers.conv2d(v1.placeholder(tf.float64, (None, 2, 6, 6)), 2, 3,
                      data_format="channels_first", name="first")
        dtypes = {v.op.name: v.dtype.base_dtype for v in v1.global_variables()}
        shapes = {v.op.name: v.shape.as_list() for v in v1.global_variables()}
    types = {op.name: op.type for op in g.get_operations()}
    assert types["conv2d/Conv2D"] == "Conv2D"  # TF1's op name
    assert dtypes["first/kernel"] == dtypes["first/bias"] == tf.float64
    assert shapes["first/kernel"] == [3, 3, 2, 2]  # channels from axis 1
    assert types["flat/MatMul"] == "MatMul" and not [n for n in types if "Tensordot" in n
                                                     and n.startswith("flat/")]
    assert [n for n in types if n.startswith("deep/Tensordot")]
    assert dtypes["flat/kernel"] == dtypes["flat/bias"] == tf.float64
    assert conv.shape.as_list() == [None, 4, 4, 2]


def test_initializers_regularizers_constraints_and_trainable():
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, (None, 30))
        with v1.variable_scope("const", initializer=v1.constant_initializer(0.5)):
            layers.dense(x, 2)  # kernel_initializer=None: the scope's initializer
        layers.dense(x, 20, name="glorot")
        layers.dense(x, 2, use_bias=False, trainable=False, name="frozen")
        reg = layers.dense(x, 2, kernel_regularizer=tf.nn.l2_loss, bias_regularizer=tf.nn.l2_loss,
                           kernel_constraint=lambda k: tf.clip_by_value(k, -1, 1),
                           activity_regularizer=tf.reduce_sum, name="reg")
        layers.dense(x, 2, name="reg", reuse=True, kernel_regularizer=tf.nn.l2_loss)
        assert "frozen/kernel" not in names(v1.trainable_variables())
        assert "frozen/kernel" in names(v1.global_variables())
        assert "frozen/bias" not in names(v1.global_variables())
        kernel = next(v for v in v1.global_variables() if v.op.name == "reg/kernel")
        assert kernel.constraint is not None
        # one loss per variable, made when it was created, plus the activity loss
        assert len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)) == 3
        assert reg.shape.as_list() == [None, 2]
        losses = g.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
    feed = np.arange(90, dtype=np.float32).reshape(3, 30) / 90
    with start(g) as s:
        values = {v.op.name: s.run(v) for v in g.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
        activity, outputs = s.run([losses[-1], reg], {x: feed})
    # TF1's activity loss: the regularizer of the outputs over the batch size
    np.testing.assert_allclose(activity, outputs.sum() / 3, rtol=1e-6)
    assert losses[-1].op.name == "reg/ActivityRegularizer/truediv"  # as tf_keras names it
    np.testing.assert_array_equal(values["const/dense/kernel"], 0.5)
    limit = np.sqrt(6 / (30 + 20))  # Glorot uniform, get_variable's default
    glorot = values["glorot/kernel"]
    assert np.abs(glorot).max() <= limit and glorot.std() > limit / 3
    np.testing.assert_array_equal(values["glorot/bias"], 0)


@pytest.mark.parametrize("call, message", [
    (lambda x: layers.dense(x, 0), "units must be a positive integer, got 0"),
    (lambda x: layers.dense(x, True), "units must be a positive integer, got True"),
    (lambda x: layers.conv2d(x, True, 3), "filters must be a positive integer, got True"),
    (lambda x: layers.conv2d(x, 2, 3, dilation_rate=0),
     "dilation_rate must be a positive int or a pair of them, got 0"),
    (lambda x: layers.conv2d(x[0], 2, 3), r"conv2d needs inputs of rank 4, got shape \(4, 4, 2\)"),
    (lambda x: layers.conv2d(x, 0, 3), "filters must be a positive integer, got 0"),
    (lambda x: layers.conv2d(v1.placeholder(tf.float32, (None, 4, 4, None)), 2, 3),
     r"conv2d needs inputs whose channel dimension is known, got shape "
     r"\(None, 4, 4, None\)"),
    (lambda x: layers.dense(v1.placeholder(tf.float32, (None, None)), 2),
     r"dense needs inputs whose last dimension is known, got shape \(None, None\)"),
    (lambda x: layers.conv2d(x, 2, 3, padding="full"),
     "padding must be 'valid' or 'same', got 'full'"),
    (lambda x: layers.conv2d(x, 2, (3, 0)),
     r"kernel_size must be a positive int or a pair of them, got \(3, 0\)"),
    (lambda x: layers.conv2d(x, 2, 3, strides=(1, True)),  # a bool is an int to Python
     r"strides must be a positive int or a pair of them, got \(1, True\)"),
    (lambda x: layers.max_pooling2d(x, 0, 2),
     "pool_size must be a positive int or a pair of them, got 0"),
    (lambda x: layers.average_pooling2d(x, 2, (2, 0)),
     r"strides must be a positive int or a pair of them, got \(2, 0\)"),
    (lambda x: layers.max_pooling2d(x, 2, 2, data_format="NHWC"),
     "data_format must be 'channels_last' or 'channels_first', got 'NHWC'"),
    (lambda x: layers.average_pooling2d(x[0], 2, 2),
     r"average_pooling2d needs inputs of rank 4, got shape \(4, 4, 2\)"),
    (lambda x: layers.dropout(x, 1.5), r"rate must be in \[0, 1\], got 1.5"),
    (lambda x: layers.dropout(x, 0.5, keras_seed="7"), "keras_seed must be an integer, got '7'"),
    (lambda x: layers.batch_normalization(x, axis=4),
     r"axis must be an axis of the inputs \(rank 4\), got 4"),
    (lambda x: layers.batch_normalization(v1.placeholder(tf.float32, None)),
     "batch_normalization needs inputs of known rank"),
    (lambda x: layers.batch_normalization(x, axis=True),
     r"axis must be an axis of the inputs \(rank 4\), got True"),
    (lambda x: layers.batch_normalization(x, axis=[]),
     r"axis must be an axis of the inputs \(rank 4\), got \[\]"),
    (lambda x: layers.batch_normalization(x, axis=0),
     r"batch_normalization needs inputs whose axis 0 is known, got shape \(None, 4, 4, 2\)"),
    (lambda x: layers.batch_normalization(x, renorm=True),
     "batch_normalization does not support renorm, virtual_batch_size or adjustment"),
])
def test_mistakes_are_named_in_one_line(call, message):
    """The whole message, not a part of it (`fullmatch`)."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 2))
        with pytest.raises(ValueError) as raised:
            call(x)
    assert re.fullmatch(message, str(raised.value)), str(raised.value)


# -- dense, conv2d: the same numbers as Keras ----------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5)])
def test_dense_equals_keras_dense_bit_for_bit(shape, rng):
    x = normal(rng, *shape)
    with tf.Graph().as_default() as g:
        out = layers.dense(x, 6, activation=tf.nn.relu,
                           bias_initializer=v1.random_normal_initializer(seed=1))
    with start(g) as s:
        got, weights = s.run([out, g.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)])
    keras_layer = keras.layers.Dense(6, activation="relu")
    keras_layer.build(shape)
    keras_layer.set_weights(weights)
    assert got.shape == shape[:-1] + (6,)
    np.testing.assert_array_equal(got, keras_layer(x).numpy())


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides, dilation", [(1, 1), (2, 1), ((1, 2), 1), (1, 2)])
def test_conv2d_equals_keras_conv2d_bit_for_bit(padding, strides, dilation, rng):
    x = normal(rng, 2, 9, 8, 3)
    with tf.Graph().as_default() as g:
        out = layers.conv2d(x, 4, (3, 2), strides=strides, padding=padding,
                            dilation_rate=dilation, activation=tf.nn.tanh,
                            bias_initializer=v1.random_normal_initializer(seed=1))
        kernel, bias = v1.trainable_variables()
        assert kernel.shape.as_list() == [3, 2, 3, 4] and bias.shape.as_list() == [4]
    with start(g) as s:
        got, weights = s.run([out, [kernel, bias]])
    keras_layer = keras.layers.Conv2D(4, (3, 2), strides=strides, padding=padding,
                                      dilation_rate=dilation, activation="tanh")
    keras_layer.build(x.shape)
    keras_layer.set_weights(weights)
    np.testing.assert_array_equal(got, keras_layer(x).numpy())


def test_conv2d_channels_first_is_channels_last_transposed(rng):
    x = normal(rng, 2, 7, 7, 3)
    with tf.Graph().as_default() as g:
        last = layers.conv2d(x, 4, 3, strides=2, padding="same", name="c")
        first = layers.conv2d(np.transpose(x, (0, 3, 1, 2)), 4, 3, strides=2, padding="same",
                              data_format="channels_first", name="c", reuse=True)
        assert first.shape.as_list() == [2, 4, 4, 4]
    with start(g) as s:
        a, b = s.run([last, first])
    np.testing.assert_array_equal(np.transpose(a, (0, 3, 1, 2)), b)


# -- pooling and flatten -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 2), ((2, 3), 1)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pooling_equals_keras_bit_for_bit(kind, padding, pool, strides, data_format, rng):
    x = normal(rng, 2, 7, 8, 3)
    function = {"max": layers.max_pooling2d, "average": layers.average_pooling2d}[kind]
    keras_class = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}
    with tf.Graph().as_default() as g:
        out = function(x, pool, strides, padding=padding, data_format=data_format)
    with v1.Session(graph=g) as s:
        got = s.run(out)
    want = keras_class[kind](pool, strides, padding=padding, data_format=data_format)(x).numpy()
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_pooling_flatten_and_dropout_ops_are_named_as_tf_keras_names_them():
    """The names tf_keras's legacy layers give these ops (checked by hand against it)."""
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 2))
        outs = [layers.max_pooling2d(x, 2, 2), layers.average_pooling2d(x, 2, 2),
                layers.flatten(x), layers.max_pooling2d(x, 2, 2),
                layers.dropout(x, 0.5, training=True), layers.dropout(x, 0.5, training=True)]
    assert [t.op.name for t in outs] == ["max_pooling2d/MaxPool", "average_pooling2d/AvgPool",
                                         "flatten/Reshape", "max_pooling2d_1/MaxPool",
                                         "dropout/dropout/SelectV2", "dropout_1/dropout/SelectV2"]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_equals_keras_flatten_and_keeps_the_batch_unknown(data_format, rng):
    x = normal(rng, 3, 2, 4, 5)
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, (None, 2, 4, 5))
        out = layers.flatten(p, data_format=data_format)
        assert out.shape.as_list() == [None, 40]
        dynamic = layers.flatten(v1.placeholder_with_default(x, (None, None, 4, 5)))
        assert dynamic.shape.as_list() == [None, None]
        vector = layers.flatten(tf.constant([1.0, 2.0]))
        known_batch = layers.flatten(v1.placeholder(tf.float32, (3, None, 4, 5)))
        assert known_batch.shape.as_list() == [3, None]
        for layout in ("channels_last", "channels_first"):  # already flat: unchanged
            flat = layers.flatten(v1.placeholder(tf.float32, (None, 6)), data_format=layout)
            assert flat.shape.as_list() == [None, 6]
    with v1.Session(graph=g) as s:
        got, got_dynamic, got_vector = s.run([out, dynamic, vector], {p: x})
    want = keras.layers.Flatten(data_format=data_format)(x).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_dynamic, x.reshape(3, -1))
    np.testing.assert_array_equal(got_vector, [[1.0], [2.0]])


# -- dropout -------------------------------------------------------------------------------------


def test_dropout_passes_inputs_through_when_not_training(rng):
    x = normal(rng, 4, 6)
    with tf.Graph().as_default() as g:
        training = v1.placeholder_with_default(False, ())
        outs = [layers.dropout(x, 0.5), layers.dropout(x, 0.5, training=training),
                layers.dropout(x, 0.5, training=training, keras_seed=3),
                layers.dropout(x, 0.0, training=True)]
    with start(g) as s:
        for out in s.run(outs):
            np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(keras.layers.Dropout(0.5)(x, training=False).numpy(), x)


def test_a_constant_training_tensor_is_decided_while_building():
    """As TF1's `smart_cond`: `training=tf.constant(...)` is read while building, so no
    conditional is made (a placeholder gets one)."""
    conditionals = ("If", "StatelessIf", "Switch", "Merge")
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, (None, 4))
        layers.dropout(x, 0.5, training=tf.constant(False))
        layers.batch_normalization(x, training=tf.constant(True))
        assert not [op.type for op in g.get_operations() if op.type in conditionals]
        layers.dropout(x, 0.5, training=v1.placeholder(tf.bool, ()))
        assert [op.type for op in g.get_operations() if op.type in conditionals]


def test_tf1_dropout_drops_about_rate_and_scales_the_rest():
    x = np.ones((200, 50), np.float32)
    with tf.Graph().as_default() as g:
        v1.set_random_seed(1)
        out = layers.dropout(x, 0.3, training=True, seed=2)
    with v1.Session(graph=g) as s:
        first, second = s.run(out), s.run(out)
    assert set(np.unique(first)) == {0.0, np.float32(1 / 0.7)}
    assert abs((first == 0).mean() - 0.3) < 0.02
    assert not np.array_equal(first, second)  # stateful: a new mask each run


def test_dropout_defaults_to_tf1s_rate_of_one_half():
    with tf.Graph().as_default() as g:
        v1.set_random_seed(1)
        out = layers.dropout(np.ones((200, 50), np.float32), training=True, seed=2)
    with v1.Session(graph=g) as s:
        got = s.run(out)
    assert set(np.unique(got)) == {0.0, 2.0}
    assert abs((got == 0).mean() - 0.5) < 0.02


@pytest.mark.parametrize("seed", [7, 2**40 + 3])
def test_keras_seed_draws_keras_masks_call_for_call(seed, rng):
    x, calls = normal(rng, 8, 10), 6
    keras_layer = keras.layers.Dropout(0.3, seed=seed)
    want = [keras_layer(x, training=True).numpy() for _ in range(calls)]
    with tf.Graph().as_default() as g:
        training = v1.placeholder_with_default(True, ())
        out = layers.dropout(x, 0.3, training=training, keras_seed=seed)
        counter = g.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)[0]
        assert counter.op.name == "dropout/seed_counter" and not counter.trainable
        assert counter.dtype.base_dtype == tf.int64
    with start(g) as s:
        got = []
        for _ in range(calls):
            s.run(out, {training: False})  # inference runs draw nothing
            got.append(s.run(out))
        assert s.run(counter) == calls
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0], got[1])
    assert np.asarray(keras_layer.seed_generator.state.value).tolist() == [seed, calls]


@pytest.mark.parametrize("kind", ["layers.dropout", "tf.nn.dropout", "v1.nn.dropout"])
def test_keras_masks_align_every_dropout_with_keras_dropout_at_a_fed_step(kind, rng):
    """`keras_masks(seed, step)`: TF1 code's own dropout calls (no keras_seed, no counter) draw
    the mask of a Keras Dropout whose seed state is [seed, step], for each value fed to step."""
    x, seed, rate = normal(rng, 8, 10), 11, 0.4
    before = (tf.nn.dropout, v1.nn.dropout)
    draw = {"layers.dropout": lambda t: layers.dropout(t, rate, training=True),
            "tf.nn.dropout": lambda t: tf.nn.dropout(t, rate=rate),
            "v1.nn.dropout": lambda t: v1.nn.dropout(t, keep_prob=1 - rate)}[kind]
    with tf.Graph().as_default() as g:
        step = v1.placeholder(tf.int64, ())
        with layers.keras_masks(seed, step):
            out = draw(tf.constant(x))
        assert not g.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)  # no counter
    keras_layer = keras.layers.Dropout(rate)
    with start(g) as s:
        got = [s.run(out, {step: k}) for k in (0, 1, 5)]
    for k, mask in zip((0, 1, 5), got):
        keras_layer.seed_generator.state.assign(np.array([seed, k], np.int64))
        np.testing.assert_array_equal(mask, keras_layer(x, training=True).numpy())
    assert not np.array_equal(got[0], got[1])
    assert (tf.nn.dropout, v1.nn.dropout) == before  # TensorFlow's own again


def test_keras_masks_take_a_noise_shape_given_as_a_tensor(rng):
    """TF1 code's `noise_shape=tf.stack([tf.shape(h)[0], 1])` (one draw per row): Keras's
    `Dropout(noise_shape=(None, 1))` draws the same."""
    x = normal(rng, 6, 5)
    with tf.Graph().as_default() as g:
        h = tf.constant(x)
        with layers.keras_masks(3, 2):
            out = tf.nn.dropout(h, rate=0.5, noise_shape=tf.stack([tf.shape(h)[0], 1]))
    with start(g) as s:
        got = s.run(out)
    keras_layer = keras.layers.Dropout(0.5, noise_shape=(None, 1))
    keras_layer.seed_generator.state.assign(np.array([3, 2], np.int64))
    np.testing.assert_array_equal(got, keras_layer(x, training=True).numpy())
    assert {tuple(np.unique(row == 0)) for row in got} <= {(False,), (True,)}  # whole rows


def test_keras_masks_leave_other_threads_tensorflows_own_dropout(rng):
    """The replacement is TensorFlow's module attribute, the seed this thread's: another thread
    calling tf.nn.dropout meanwhile gets TensorFlow's own draw, not an error or the aligned one."""
    import threading

    x, got = tf.constant(normal(rng, 50, 40)), {}

    def other():
        try:
            got["out"] = tf.nn.dropout(x, rate=0.5, seed=1).numpy()
        except Exception as e:  # noqa: BLE001 - the failure the test is for
            got["error"] = e

    with layers.keras_masks(3, 0):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=60)
        aligned = tf.nn.dropout(x, rate=0.5).numpy()
    assert "error" not in got, got.get("error")
    assert not np.array_equal(got["out"], aligned)
    assert abs((got["out"] == 0).mean() - 0.5) < 0.05


def test_keras_masks_puts_tensorflows_dropout_back_after_an_error():
    before = (tf.nn.dropout, v1.nn.dropout)
    with pytest.raises(RuntimeError), layers.keras_masks(1, 0):
        assert tf.nn.dropout is not before[0]
        raise RuntimeError
    assert (tf.nn.dropout, v1.nn.dropout) == before
    with pytest.raises(UserError) as raised:
        with layers.keras_masks(1.5, 0):
            pass
    assert str(raised.value) == "seed must be an integer, got 1.5"


def test_keras_masks_nest_and_name_their_ops_as_tensorflow_does(rng):
    """An inner context's seed holds inside it only: leaving it brings the outer one back. The
    aligned dropout's ops sit under TensorFlow's own "dropout" scope, and TF1's dropout without
    keep_prob or rate is refused in one line."""
    x = normal(rng, 20, 10)
    with tf.Graph().as_default() as g:
        with layers.keras_masks(3, 0):
            with layers.keras_masks(5, 1):
                inner = tf.nn.dropout(x, rate=0.5)
            outer = tf.nn.dropout(x, rate=0.5)
            with pytest.raises(UserError) as raised:
                v1.nn.dropout(x)
    assert str(raised.value) == "tf.compat.v1.nn.dropout needs keep_prob or rate"
    assert outer.op.name.startswith("dropout_1/") and inner.op.name.startswith("dropout/")
    with start(g) as s:
        got_inner, got_outer = s.run([inner, outer])
    for got, state in ((got_inner, [5, 1]), (got_outer, [3, 0])):
        keras_layer = keras.layers.Dropout(0.5)
        keras_layer.seed_generator.state.assign(np.array(state, np.int64))
        np.testing.assert_array_equal(got, keras_layer(x, training=True).numpy())


def test_keras_jit_compile_draws_the_masks_of_keras_under_xla(rng):
    x, calls = normal(rng, 16, 9), 3
    keras_layer = keras.layers.Dropout(0.3, seed=7)
    compiled = tf.function(lambda v: keras_layer(v, training=True), jit_compile=True)
    want = [compiled(x).numpy() for _ in range(calls)]
    eager = keras.layers.Dropout(0.3, seed=7)(x, training=True).numpy()
    assert not np.array_equal(want[0], eager)  # XLA draws other masks from the same seed
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, x.shape)
        out = layers.dropout(p, 0.3, training=True, keras_seed=7, keras_jit_compile=True)
    with start(g) as s:
        for mask in want:
            np.testing.assert_array_equal(s.run(out, {p: x}), mask)


# Keras's Dropout under a MirroredStrategy of two (logical) CPUs: each replica's masks, per call.
REPLICAS = textwrap.dedent("""
    import sys
    import numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        layer = keras.layers.Dropout(0.5, seed=7)
    step = tf.function(lambda b: strategy.run(lambda x: layer(x, training=True), args=(b,)))
    batch = next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors(np.ones((8, 6), np.float32)))))
    masks = [[r.numpy() for r in strategy.experimental_local_results(step(batch))]
             for _ in range(3)]
    np.save(sys.argv[1], np.array(masks))
""")


@pytest.mark.slow
def test_under_replicas_keras_draws_one_mask_for_all_and_towers_reproduce_it(tmp_path):
    path = str(tmp_path / "masks.npy")
    done = subprocess.run([sys.executable, "-c", REPLICAS, path], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    masks = np.load(path)  # (call, replica, 4, 6): each replica got 4 of the 8 rows
    x = np.ones((4, 6), np.float32)
    with tf.Graph().as_default() as g:
        towers = [layers.dropout(x, 0.5, training=True, keras_seed=7) for _ in range(2)]
        assert names(v1.global_variables()) == ["dropout/seed_counter", "dropout_1/seed_counter"]
    with start(g) as s:
        for call in masks:
            np.testing.assert_array_equal(call[0], call[1])  # the same mask on both replicas
            for tower, mask in zip(s.run(towers), call):
                np.testing.assert_array_equal(tower, mask)


def test_keras_seed_with_noise_shape_and_a_shared_counter(rng):
    x = normal(rng, 4, 3, 5)
    keras_layer = keras.layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=11)
    want = [keras_layer(x, training=True).numpy() for _ in range(4)]
    with tf.Graph().as_default() as g:
        a = layers.dropout(x, 0.5, noise_shape=(None, 1, 5), training=True, keras_seed=11,
                           name="drop")
        b = layers.dropout(x, 0.5, noise_shape=(None, 1, 5), training=True, keras_seed=11,
                           name="drop")  # the same name: one Keras layer called twice
        assert names(v1.global_variables()) == ["drop/seed_counter"]
    with start(g) as s:
        got = [s.run(a), s.run(b), s.run(a), s.run(b)]
    for mine, theirs in zip(got, want):
        np.testing.assert_array_equal(mine, theirs)


def test_rate_one_drops_everything_without_drawing_like_keras(rng):
    x = normal(rng, 3, 4)
    keras_layer = keras.layers.Dropout(1.0, seed=3)
    np.testing.assert_array_equal(keras_layer(x, training=True).numpy(), 0)
    assert np.asarray(keras_layer.seed_generator.state.value).tolist() == [3, 0]
    with tf.Graph().as_default() as g:
        training = v1.placeholder(tf.bool, ())
        out = layers.dropout(x, 1.0, training=training, keras_seed=3)
        plain = layers.dropout(x, 1.0, training=training)
        assert names(v1.global_variables()) == []  # nothing to count: no draw
    with start(g) as s:
        np.testing.assert_array_equal(s.run([out, plain], {training: True}), 0)
        for got in s.run([out, plain], {training: False}):
            np.testing.assert_array_equal(got, x)


def test_keras_seed_counter_is_saved_and_restored(tmp_path, rng):
    x = normal(rng, 5, 5)
    keras_layer = keras.layers.Dropout(0.4, seed=5)
    want = [keras_layer(x, training=True).numpy() for _ in range(3)]
    with tf.Graph().as_default() as g:
        out = layers.dropout(x, 0.4, training=True, keras_seed=5)
        saver = v1.train.Saver()
        init = v1.global_variables_initializer()
    with v1.Session(graph=g) as s:
        s.run(init)
        s.run(out)
        s.run(out)
        path = saver.save(s, str(tmp_path / "ckpt"))
    with v1.Session(graph=g) as s:
        saver.restore(s, path)
        np.testing.assert_array_equal(s.run(out), want[2])


# -- batch normalization -------------------------------------------------------------------------


def bn_values(session, graph):
    return {v.op.name.split("/")[-1]: session.run(v)
            for v in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}


def keras_bn(x, values, training, **kwargs):
    layer = keras.layers.BatchNormalization(**kwargs)
    layer.build(x.shape)
    layer.set_weights([values[k] for k in ("gamma", "beta", "moving_mean", "moving_variance")])
    out = layer(x, training=training).numpy()
    return out, layer.moving_mean.numpy(), layer.moving_variance.numpy()


def random_bn_start():
    return dict(gamma_initializer=v1.random_uniform_initializer(0.5, 1.5, seed=1),
                beta_initializer=v1.random_normal_initializer(seed=2),
                moving_mean_initializer=v1.random_normal_initializer(seed=3),
                moving_variance_initializer=v1.random_uniform_initializer(0.5, 2, seed=4))


def test_batch_norm_variables_and_collections():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 3))
        layers.batch_normalization(x, training=True)
        layers.batch_normalization(x, center=False, name="bn")
        assert names(v1.global_variables()) == [
            "batch_normalization/gamma", "batch_normalization/beta",
            "batch_normalization/moving_mean", "batch_normalization/moving_variance",
            "bn/gamma", "bn/moving_mean", "bn/moving_variance"]
        assert names(v1.trainable_variables()) == [
            "batch_normalization/gamma", "batch_normalization/beta", "bn/gamma"]
        assert v1.moving_average_variables() == []  # as TF1's: see the test just below
        assert all(v.shape.as_list() == [3] for v in v1.global_variables())
        # update ops only for the layer that trains
        assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 2
        layers.batch_normalization(x, training=v1.placeholder(tf.bool, ()))
        assert len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)) == 4


def test_batch_norm_variables_take_float32_for_half_precision_inputs_and_count_axes_from_the_end():
    """As TF1: float16/bfloat16 inputs get float32 variables, others their own dtype; a negative
    axis counts from the end (-rank is the first axis)."""
    with tf.Graph().as_default():
        for dtype in (tf.float16, tf.bfloat16, tf.float64):
            layers.batch_normalization(v1.placeholder(dtype, (None, 3)), name=dtype.name)
        layers.batch_normalization(tf.zeros((2, 3, 4, 5)), axis=-4, name="first")
        layers.batch_normalization(tf.zeros((2, 3, 4, 5)), axis=[1, 2], name="two")
        got = {v.op.name: (v.dtype.base_dtype, v.shape.as_list()) for v in v1.global_variables()}
    assert got["two/gamma"][1] == got["two/moving_variance"][1] == [1, 3, 4, 1]
    assert got["float16/gamma"][0] == got["bfloat16/moving_mean"][0] == tf.float32
    assert got["float64/beta"][0] == tf.float64
    assert got["first/gamma"][1] == [2]


@pytest.mark.parametrize("shape, axis, fused", [
    ((4, 3, 2, 2), 1, True), ((4, 2, 2, 3), 3, True), ((4, 3, 2, 2, 2), 1, True),
    ((4, 2, 2, 2, 3), 4, True), ((4, 2, 3, 2), 2, False), ((4, 3), 1, False)])
def test_the_fused_kernel_serves_the_layouts_tf1_fused(shape, axis, fused, rng):
    """NCHW, NHWC, NCDHW and NDHWC go through the fused kernel, whose moving variance takes
    Bessel's correction n / (n - 1); other layouts the plain ops, without it."""
    x = normal(rng, *shape)
    with tf.Graph().as_default() as g:
        layers.batch_normalization(x, axis=axis, momentum=0.0, training=True)  # moving = batch
        moving_variance = next(v for v in v1.global_variables()
                               if v.op.name.endswith("moving_variance"))
        updates = g.get_collection(v1.GraphKeys.UPDATE_OPS)
    with start(g) as s:
        s.run(updates)
        got = s.run(moving_variance)
    others = tuple(i for i in range(len(shape)) if i != axis)
    n = x.size // shape[axis]
    want = x.astype(np.float64).var(axis=others) * (n / (n - 1) if fused else 1)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_plain_batch_norm_of_half_precision_inputs_computes_in_float32(rng):
    """float16 inputs: the statistics and the normalization in float32, one rounding to float16
    at the end, as TF1 and Keras do. Far from zero float16 arithmetic is visibly off: at 1000
    its spacing is 0.5, more than the data's spread, so a mean or a difference taken in float16
    moves the outputs by a good part of a standard deviation."""
    x16 = (1000 + rng.normal(size=(64, 3)) * 0.6).astype(np.float16)
    with tf.Graph().as_default() as g:
        out = layers.batch_normalization(tf.constant(x16), training=True, fused=False)
    with start(g) as s:
        got = s.run(out)
    x = x16.astype(np.float64)
    want = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)  # TF1's epsilon
    assert got.dtype == np.float16
    # float32 arithmetic, then one rounding: within one float16 spacing of the exact value
    np.testing.assert_allclose(got, want, rtol=0, atol=np.spacing(np.float16(np.abs(want).max())))


def test_plain_batch_norm_over_two_axes_trains_and_moves_its_averages(rng):
    """axis=[1, 2] of a 4-D input: one mean and variance per (row, column) pair, over the batch
    and the last axis, kept in the variables' (1, 3, 4, 1) shape."""
    x = normal(rng, 5, 3, 4, 2) * 2 + 0.5
    with tf.Graph().as_default() as g:
        out = layers.batch_normalization(x, axis=[1, 2], momentum=0.0, training=True)
        updates = g.get_collection(v1.GraphKeys.UPDATE_OPS)
    with start(g) as s:
        got, _ = s.run([out, updates])
        moved = bn_values(s, g)
    x64 = x.astype(np.float64)
    mean, var = x64.mean((0, 3), keepdims=True), x64.var((0, 3), keepdims=True)
    np.testing.assert_allclose(got, (x64 - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moved["moving_mean"], mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(moved["moving_variance"], var, rtol=1e-5)


def test_batch_norm_updates_named_as_tf_keras_and_still_when_a_fed_training_is_false(rng):
    """The update ops carry tf_keras's legacy names (checked by hand); fed False, a training
    placeholder's updates move nothing. Without scale and center the fused kernel gives
    `(x - mean) / sqrt(variance + epsilon)`."""
    x = normal(rng, 6, 2, 2, 3)
    with tf.Graph().as_default() as g:
        training = v1.placeholder(tf.bool, ())
        out = layers.batch_normalization(x, training=training, scale=False, center=False)
        updates = g.get_collection(v1.GraphKeys.UPDATE_OPS)
        moving = [v for v in v1.global_variables() if "moving" in v.op.name]
    assert [op.name for op in updates] == [
        "batch_normalization/AssignMovingAvg/AssignSubVariableOp",
        "batch_normalization/AssignMovingAvg_1/AssignSubVariableOp"]
    with start(g) as s:
        before = s.run(moving)
        s.run(updates, {training: False})
        assert all(np.array_equal(a, b) for a, b in zip(before, s.run(moving)))
        got = s.run(out, {training: True})
    mean, variance = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(got, (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-4, atol=1e-5)


def test_batch_norm_starts_from_tf1s_default_values():
    """gamma and the moving variance 1, beta and the moving mean 0 (TF1's initializers)."""
    with tf.Graph().as_default() as g:
        layers.batch_normalization(v1.placeholder(tf.float32, (None, 3)))
    with start(g) as s:
        values = {v.op.name.split("/")[-1]: s.run(v)
                  for v in g.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)}
    assert {k: v.tolist() for k, v in values.items()} == {
        "gamma": [1, 1, 1], "beta": [0, 0, 0], "moving_mean": [0, 0, 0],
        "moving_variance": [1, 1, 1]}


def test_restoring_exponential_moving_averages_finds_the_batch_norm_statistics(tmp_path, rng):
    # TF1's evaluation idiom: train with `ema.apply(trainable_variables())`, evaluate with
    # `Saver(ema.variables_to_restore())`. That map takes every MOVING_AVERAGE_VARIABLES entry for
    # averaged: were the moving mean and variance in it (as they once were here, not in TF1), the
    # saver would look for `batch_normalization/moving_mean/ExponentialMovingAverage` and fail.
    x = normal(rng, 8, 3, 3, 2)

    def model():
        p = v1.placeholder(tf.float32, x.shape)
        return p, layers.batch_normalization(p, training=True, **random_bn_start())

    with tf.Graph().as_default() as train_graph:
        p, out = model()
        ema = v1.train.ExponentialMovingAverage(0.5)
        loss = tf.reduce_sum(tf.square(out - 1))
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            step = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.control_dependencies([step]):
            train_op = ema.apply(v1.trainable_variables())
        saver = v1.train.Saver()
    with start(train_graph) as s:
        s.run(train_op, {p: x})
        gamma = train_graph.get_collection(v1.GraphKeys.TRAINABLE_VARIABLES)[0]
        want = {**bn_values(s, train_graph), "averaged_gamma": s.run(ema.average(gamma))}
        path = saver.save(s, str(tmp_path / "ckpt"))
    with tf.Graph().as_default() as eval_graph:
        model()
        restore = v1.train.ExponentialMovingAverage(0.5).variables_to_restore()
        assert sorted(restore) == [
            "batch_normalization/beta/ExponentialMovingAverage",
            "batch_normalization/gamma/ExponentialMovingAverage",
            "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
        saver = v1.train.Saver(restore)
    with v1.Session(graph=eval_graph) as s:
        saver.restore(s, path)
        got = bn_values(s, eval_graph)
    np.testing.assert_array_equal(got["gamma"], want["averaged_gamma"])
    np.testing.assert_array_equal(got["moving_mean"], want["moving_mean"])
    np.testing.assert_array_equal(got["moving_variance"], want["moving_variance"])


@pytest.mark.parametrize("fused", [None, False])
def test_forgetting_the_update_ops_leaves_the_moving_averages(fused, rng):
    x = normal(rng, 8, 3, 3, 2) * 3 + 1
    with tf.Graph().as_default() as g:
        training = v1.placeholder(tf.bool, ())
        out = layers.batch_normalization(x, training=training, fused=fused)
        loss = tf.reduce_sum(tf.square(out) * [1.0, 2.0])
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        forgetful_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    with start(g) as s:
        start_values = bn_values(s, g)
        s.run(forgetful_op, {training: True})
        after_forgetting = bn_values(s, g)
        s.run(train_op, {training: False})  # the update ops run, but move nothing
        after_inference = bn_values(s, g)
        s.run(train_op, {training: True})
        after_training = bn_values(s, g)
    for key in ("moving_mean", "moving_variance"):
        np.testing.assert_array_equal(after_forgetting[key], start_values[key])
        np.testing.assert_array_equal(after_inference[key], start_values[key])
        assert not np.allclose(after_training[key], start_values[key])
    assert not np.array_equal(after_forgetting["gamma"], start_values["gamma"])


@pytest.mark.parametrize("shape, axis", [((16, 5), -1), ((4, 3, 5), 1), ((2, 3, 3, 4), -1)])
def test_plain_batch_norm_equals_keras_in_training_and_inference(shape, axis, rng):
    x = normal(rng, *shape) * 2 + 0.5
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, x.shape)
        train = layers.batch_normalization(p, axis=axis, training=True, fused=False,
                                           **random_bn_start())
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        infer = layers.batch_normalization(p, axis=axis, reuse=True, fused=False,
                                           name="batch_normalization")
    with start(g) as s:
        before = bn_values(s, g)
        got_infer = s.run(infer, {p: x})
        got_train, _ = s.run([train, updates], {p: x})
        after = bn_values(s, g)
    want_infer, _, _ = keras_bn(x, before, False, axis=axis)
    want_train, want_mean, want_variance = keras_bn(x, before, True, axis=axis)
    np.testing.assert_array_equal(got_infer, want_infer)
    np.testing.assert_array_equal(got_train, want_train)
    within_ulps(after["moving_mean"], want_mean, 1)
    within_ulps(after["moving_variance"], want_variance, 1)


@pytest.mark.parametrize("axis", [-1, 3, 1])
def test_fused_batch_norm_equals_keras_but_for_bessels_correction(axis, rng):
    x = normal(rng, 4, 3, 5, 6) * 2 + 0.5
    channels = x.shape[axis]
    n = x.size // channels
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, x.shape)
        train = layers.batch_normalization(p, axis=axis, training=True, **random_bn_start())
        assert train.op.type == "FusedBatchNormV3"
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        infer = layers.batch_normalization(p, axis=axis, reuse=True,
                                           name="batch_normalization")
    with start(g) as s:
        before = bn_values(s, g)
        got_infer = s.run(infer, {p: x})
        got_train, _ = s.run([train, updates], {p: x})
        after = bn_values(s, g)
    want_infer, _, _ = keras_bn(x, before, False, axis=axis)
    want_train, want_mean, want_variance = keras_bn(x, before, True, axis=axis)
    within_ulps(got_infer, want_infer, FUSED_ULPS)
    within_ulps(got_train, want_train, FUSED_ULPS)
    within_ulps(after["moving_mean"], want_mean, 1)
    # TF1's fused layer feeds the moving variance the batch variance times n / (n - 1):
    momentum, start_variance = 0.99, before["moving_variance"]
    keras_batch_variance = (want_variance - start_variance * momentum) / (1 - momentum)
    tf1_batch_variance = (after["moving_variance"] - start_variance * momentum) / (1 - momentum)
    np.testing.assert_allclose(tf1_batch_variance, keras_batch_variance * n / (n - 1), rtol=2e-4)
    assert not np.allclose(after["moving_variance"], want_variance, rtol=0, atol=1e-5)


def test_batch_norm_with_a_training_placeholder_matches_both_branches(rng):
    x = normal(rng, 6, 2, 2, 3)
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, x.shape)
        training = v1.placeholder(tf.bool, ())
        fused = layers.batch_normalization(p, training=training, **random_bn_start())
        plain = layers.batch_normalization(p, training=training, fused=False,
                                           **random_bn_start())
        fixed = [layers.batch_normalization(p, training=t, name=n, reuse=True)
                 for t in (True, False) for n in ("batch_normalization",)]
        fixed += [layers.batch_normalization(p, training=t, name="batch_normalization_1",
                                             reuse=True, fused=False) for t in (True, False)]
    with start(g) as s:
        for flag in (True, False):
            got_fused, got_plain = s.run([fused, plain], {training: flag, p: x})
            want = s.run(fixed, {p: x})
            np.testing.assert_array_equal(got_fused, want[0 if flag else 1])
            np.testing.assert_array_equal(got_plain, want[2 if flag else 3])


def test_plain_batch_norm_with_a_training_placeholder_has_tf1s_gradients_bit_for_bit(rng):
    # TF1 takes the batch's moments outside the cond on `training` and conds the mean and the
    # variance one by one; moments inside the cond give the same outputs, but gradients summed in
    # another order (0.5 ulp apart), so training drifted from TF1's (tests/test_layers_oracle.py).
    x = normal(rng, 16, 5) * 2 + 0.5
    with tf.Graph().as_default() as g:
        p = v1.placeholder(tf.float32, x.shape)
        training = v1.placeholder(tf.bool, ())
        fed = layers.batch_normalization(p, training=training, name="bn", **random_bn_start())
        fixed = layers.batch_normalization(p, training=True, name="bn", reuse=True)
        weights = [1.0, -2.0, 3.0, 0.5, -1.5]  # a loss whose gradients do not vanish
        grads = [tf.gradients(tf.reduce_sum(tf.square(out) * weights),
                              [p, *v1.trainable_variables()]) for out in (fed, fixed)]
    with start(g) as s:
        got_fed, got_fixed = s.run(grads, {p: x, training: True})
    for a, b in zip(got_fed, got_fixed):
        np.testing.assert_array_equal(a, b)


# -- what TF1 accepted and refused, beyond the oracle's cases (tests/test_layers_all_oracle.py) --


@pytest.mark.parametrize("call, message", [
    (lambda x: layers.dropout(x, 0.5, training="False"),
     "training must be a Python bool or a boolean tensor, got 'False'"),
    (lambda x: layers.batch_normalization(x, training="True"),
     "training must be a Python bool or a boolean tensor, got 'True'"),
    (lambda x: layers.dense(x, 2, activation="rellu"),
     r"activation must be a callable or one of \[.*'relu'.*\], got 'rellu'"),
    (lambda x: layers.dropout(x, "0.5"), "rate must be in \\[0, 1\\], got '0.5'"),
    (lambda x: layers.conv1d(x[:, 0], 2, (3, 3)),
     r"kernel_size must be a positive int or a tuple of one, got \(3, 3\)"),
    (lambda x: layers.conv3d(x, 2, 3),
     r"conv3d needs inputs of rank 5, got shape \(None, 4, 4, 2\)"),
    (lambda x: layers.max_pooling3d(x[..., None], (2, 2), 1),
     r"pool_size must be a positive int or a triple of them, got \(2, 2\)"),
    (lambda x: layers.separable_conv2d(x, 2, 3, depth_multiplier=0),
     "depth_multiplier must be a positive integer, got 0"),
    (lambda x: layers.Dense(2, kernel_size=3), "Dense got an unexpected keyword argument "
                                               "'kernel_size'"),
    (lambda x: layers.Dense(2).scope_name,
     "layer 'dense_1' has no scope until it is first called"),
])
def test_more_mistakes_are_named_in_one_line(call, message):
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 4, 4, 2))
        with pytest.raises(UserError) as raised:
            call(x)
    assert re.fullmatch(message, str(raised.value)), str(raised.value)


def test_numpy_integers_and_activation_names_are_accepted_as_tf1_did(rng):
    x = normal(rng, 3, 5)
    with tf.Graph().as_default() as g:
        out = layers.dense(x, np.int32(4), activation="relu")
        conv = layers.conv2d(x.reshape(3, 5, 1, 1), np.int64(2), np.int64(1),
                             strides=(np.int8(1), 1))
        assert out.shape.as_list() == [3, 4] and conv.shape.as_list() == [3, 5, 1, 2]
        kernel, bias = v1.trainable_variables()[:2]
    with start(g) as s:
        got, k, b = s.run([out, kernel, bias])
    np.testing.assert_allclose(got, np.maximum(x @ k + b, 0), rtol=1e-6, atol=1e-6)
    assert (got == 0).any() and (got > 0).any()


def test_a_layer_object_builds_once_and_reuses_its_variables(rng):
    """TF1's object semantics: the second call re-enters the first call's scope."""
    x = normal(rng, 2, 3)
    with tf.Graph().as_default() as g:
        layer = layers.Dense(2, name="fc")
        assert not layer.built and layer.variables == []
        a, b = layer(x), layer(x)
        other = layers.Dense(2, name="fc")
        other(x)
        assert names(layer.variables) == ["fc/kernel", "fc/bias"]
        assert names(other.variables) == ["fc_1/kernel", "fc_1/bias"]
        assert layer.built and layer.scope_name == "fc" and b.op.name == "fc/BiasAdd_1"
        assert names(v1.global_variables()) == ["fc/kernel", "fc/bias", "fc_1/kernel",
                                                "fc_1/bias"]
    with start(g) as s:
        got_a, got_b = s.run([a, b])
    np.testing.assert_array_equal(got_a, got_b)
