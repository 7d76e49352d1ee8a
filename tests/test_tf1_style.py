"""tfmodels.migration.tf1_style: TF1-style code (`get_variable`, `variable_scope`,
`tf1_compat.layers`) inside a Keras 3 layer.

Each variable is made once and reused (counted after 1 and 3 calls, eagerly and under
`tf.function`), is a Keras weight (trainable or not, with its TF1 name in its path), is trained
by `fit`, updated (batch norm's moving averages), saved and restored, and its regularizer's loss
is in the layer's `losses` (checked against the closed form). Mistakes end in one error naming
the variable or value.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import bn_mlp, l2
from tests.helpers import style_data as data
from tf1_compat import layers
from tfmodels.migration import TF1StyleLayer

v1 = tf.compat.v1


def mlp(x, training=False):
    """The README's function: two dense layers in a `mlp` scope."""
    with v1.variable_scope("mlp"):
        h = layers.dense(x, 16, activation=tf.nn.relu)
        return layers.dense(h, 3)


def unscoped(x):
    """Unnamed layers at the root, a scope entered twice, and reuse by name: the naming traps."""
    h = layers.dense(x, 5)  # `dense`; a second call at the root would ask for `dense_1`
    h = layers.dense(h, 5)  # `dense_1`
    with v1.variable_scope("shared", reuse=v1.AUTO_REUSE):
        h = layers.dense(h, 5, name="fc")
        h = layers.dense(h, 5, name="fc")  # the same `shared/fc` again
    return layers.dense(h, 2, name="out")


def model_of(function, **kwargs):
    return keras.Sequential([keras.Input((4,)), TF1StyleLayer(function, **kwargs)])


# -- one variable per name -----------------------------------------------------------------------


UNSCOPED = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "shared/fc/kernel",
            "shared/fc/bias", "out/kernel", "out/bias"]


@pytest.mark.parametrize("mode", ["eager", "tf.function"])
def test_each_variable_is_made_once_and_reused_by_later_calls(mode):
    layer = TF1StyleLayer(unscoped)
    call = layer if mode == "eager" else tf.function(lambda x: layer(x))
    x, _ = data(6)
    first = call(x)
    after_one = list(layer.weights)
    call(x)
    call(x[:3] + 1.0)  # another batch size: traced again under tf.function
    assert len(after_one) == 8
    assert [id(w) for w in layer.weights] == [id(w) for w in after_one]
    assert list(layer.tf1_variables) == UNSCOPED
    np.testing.assert_array_equal(call(x), first)  # the same variables give the same numbers


def test_names_do_not_depend_on_tf1_scopes_opened_before_outside_the_layer():
    with v1.variable_scope(None, default_name="dense"):  # eagerly at the root: TF1 counts it
        pass
    layer = TF1StyleLayer(unscoped)
    x, _ = data(2)
    layer(x)
    layer(x)
    assert list(layer.tf1_variables) == UNSCOPED


def test_the_function_gets_the_same_tf_variables_on_every_call():
    seen = []

    def body(x):
        w = v1.get_variable("w", (4, 2), initializer=v1.ones_initializer())
        seen.append(w)
        return tf.matmul(x, w)

    layer = TF1StyleLayer(body)
    x, _ = data(3)
    for _ in range(3):
        np.testing.assert_allclose(layer(x), x.sum(axis=1, keepdims=True).repeat(2, 1),
                                   rtol=1e-6)
    eager = [w for w in seen if not isinstance(w, tf.Tensor)]
    assert len(layer.weights) == 1 and all(w is eager[0] for w in eager)
    assert eager[0] is layer.weights[0].value  # the Keras weight's own tf.Variable


def test_built_from_shapes_alone():
    layer = TF1StyleLayer(mlp)
    layer.build((None, 4))
    assert [tuple(w.shape) for w in layer.weights] == [(4, 16), (16,), (16, 3), (3,)]
    two = TF1StyleLayer(lambda xs: layers.dense(tf.concat(xs, 1), 2))
    assert two(inputs=[np.ones((2, 3), np.float32), np.ones((2, 1), np.float32)]).shape == (2, 2)
    assert [tuple(w.shape) for w in two.weights] == [(4, 2), (2,)]


# -- Keras weights -------------------------------------------------------------------------------


def test_variables_are_keras_weights_with_their_tf1_names_in_the_path():
    layer = model_of(bn_mlp).layers[0]
    trainable = [w.path.split("/", 2)[2] for w in layer.trainable_weights]
    frozen = [w.path.split("/", 2)[2] for w in layer.non_trainable_weights]
    assert trainable == ["net/dense/kernel", "net/dense/bias", "net/batch_normalization/gamma",
                         "net/batch_normalization/beta", "net/dense_1/kernel", "net/dense_1/bias"]
    assert frozen == ["net/batch_normalization/moving_mean",
                      "net/batch_normalization/moving_variance"]
    assert layer.weights[0].path == f"{layer.path}/net/dense/kernel"
    assert [w.dtype for w in layer.weights] == ["float32"] * 8


def test_initializers_dtypes_and_integer_inputs():
    def embed(ids):
        table = v1.get_variable("table", (10, 3), tf.float64,
                                v1.constant_initializer(np.arange(30.0).reshape(10, 3)))
        steps = v1.get_variable("steps", (), tf.int64, trainable=False)
        offset = v1.get_variable("offset", initializer=np.float64([1.0, 2.0, 3.0]))
        return tf.nn.embedding_lookup(table, ids) + offset + tf.cast(steps, tf.float64)

    layer = TF1StyleLayer(embed)
    out = layer(np.array([[1, 2], [3, 4]], np.int32))
    np.testing.assert_array_equal(out, np.arange(30.0).reshape(10, 3)[[[1, 2], [3, 4]]]
                                  + [1.0, 2.0, 3.0])
    assert {w.path.split("/")[-1]: (w.dtype, w.trainable) for w in layer.weights} == {
        "table": ("float64", True), "steps": ("int64", False), "offset": ("float64", True)}


# -- training ------------------------------------------------------------------------------------


def test_fit_trains_the_trainable_weights_and_the_loss_falls():
    keras.utils.set_random_seed(0)
    model = model_of(mlp)
    model.compile(keras.optimizers.Adam(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [w.numpy().copy() for w in model.trainable_weights]
    x, y = data(64)
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.8 * loss[0], loss
    assert all(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    assert len(model.weights) == 4


def test_batch_norm_moving_averages_update_in_training_only():
    layer = model_of(bn_mlp).layers[0]
    moving = layer.tf1_variables["net/batch_normalization/moving_mean"]
    x, _ = data(32)
    layer(x, training=False)
    tf.function(lambda x: layer(x, training=False))(x)
    assert np.array_equal(moving.numpy(), np.zeros(8, np.float32))
    layer(x, training=True)  # eagerly: the assignments ran before UPDATE_OPS got them
    eager = moving.numpy().copy()
    assert np.abs(eager).max() > 0
    tf.function(lambda x: layer(x, training=True))(x)  # in a function: stateful ops run
    assert not np.array_equal(moving.numpy(), eager)
    # TF1's update with momentum 0.99, twice, from 0: 0.01 * mean + 0.99 * 0.01 * mean
    hidden = tf.nn.relu(x @ layer.tf1_variables["net/dense/kernel"].numpy()
                        + layer.tf1_variables["net/dense/bias"].numpy()).numpy()
    np.testing.assert_allclose(moving.numpy(), 0.0199 * hidden.mean(axis=0), rtol=1e-4,
                               atol=1e-7)


def test_fit_updates_the_moving_averages_and_keeps_them_out_of_training():
    model = model_of(bn_mlp)
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    layer = model.layers[0]
    x, y = data(32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    moving_mean = layer.tf1_variables["net/batch_normalization/moving_mean"].numpy()
    assert np.abs(moving_mean).max() > 0
    assert layer.tf1_variables["net/batch_normalization/moving_variance"].numpy().min() < 1
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2


def test_variables_used_only_in_training_exist_from_the_start_and_fit_counts_its_steps():
    def body(x, training=False):
        if training:  # a Python bool: this variable is asked for only by training calls
            steps = v1.get_variable("steps", (), tf.int64, trainable=False)
            with tf.control_dependencies([steps.assign_add(1)]):
                x = tf.identity(x)
        return layers.dense(x, 3)

    model = model_of(body)
    layer = model.layers[0]
    assert sorted(layer.tf1_variables) == ["dense/bias", "dense/kernel", "steps"]
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(64)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert int(layer.tf1_variables["steps"].numpy()) == 4  # 64 / 16 training steps


# -- saving --------------------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["model.keras", "model.weights.h5"])
def test_saved_and_restored(file, tmp_path):
    model = model_of(bn_mlp)
    x, _ = data(16)
    model.layers[0](x, training=True)  # moving averages away from their initial values
    path = str(tmp_path / file)
    if file.endswith(".keras"):
        model.save(path)
        restored = keras.models.load_model(path, custom_objects={"bn_mlp": bn_mlp})
        assert restored.layers[0].function is bn_mlp
    else:
        model.save_weights(path)
        restored = model_of(bn_mlp)
        assert not np.array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
        restored.load_weights(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    names = list(model.layers[0].tf1_variables)
    assert list(restored.layers[0].tf1_variables) == names
    assert all(w.path.endswith("/" + name)
               for name, w in restored.layers[0].tf1_variables.items())
    for a, b in zip(restored.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


class TwoDense(TF1StyleLayer):
    """The subclass form: `forward` instead of a function, with the layer's own settings."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def forward(self, inputs, training=False):
        with v1.variable_scope("two"):
            return layers.dense(layers.dense(inputs, self.units), 2)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_a_subclass_defining_forward_is_built_saved_and_restored(tmp_path):
    model = keras.Sequential([keras.Input((4,)), TwoDense(5)])
    layer = model.layers[0]
    assert {name: tuple(w.shape) for name, w in layer.tf1_variables.items()} == {
        "two/dense/kernel": (4, 5), "two/dense/bias": (5,), "two/dense_1/kernel": (5, 2),
        "two/dense_1/bias": (2,)}
    assert "function" not in layer.get_config()
    model.save(tmp_path / "two.keras")
    restored = keras.models.load_model(tmp_path / "two.keras",
                                       custom_objects={"TwoDense": TwoDense})
    x, _ = data(8)
    assert restored.layers[0].units == 5
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_constraints_are_applied_after_each_training_step():
    def body(x):
        return layers.dense(x, 3, kernel_constraint=lambda w: tf.clip_by_value(w, -0.05, 0.05))

    model = model_of(body)
    kernel = model.layers[0].tf1_variables["dense/kernel"]
    assert np.abs(kernel.numpy()).max() > 0.05
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(16)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.abs(kernel.numpy()).max() <= 0.05


# -- regularization ------------------------------------------------------------------------------


def test_kernel_regularizer_loss_is_the_layers_and_models_loss():
    model = model_of(bn_mlp)
    layer = model.layers[0]
    kernel = layer.tf1_variables["net/dense/kernel"].numpy()
    expected = 0.01 * np.sum(kernel.astype(np.float64) ** 2)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-6)
    np.testing.assert_allclose(float(sum(model.losses)), expected, rtol=1e-6)


def test_get_variable_and_scope_regularizers_and_activity_losses():
    def body(x):
        with v1.variable_scope("s", regularizer=l2(0.5)):  # the scope's, for every variable
            a = v1.get_variable("a", (4, 2), initializer=v1.ones_initializer())
            b = v1.get_variable("b", (2,), initializer=v1.constant_initializer(3.0),
                                regularizer=l2(0.1), trainable=False)
        y = tf.matmul(x, a) + b
        return layers.dense(y, 1, kernel_initializer=v1.ones_initializer(),
                            activity_regularizer=lambda o: tf.reduce_sum(tf.abs(o)))

    collected = len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))  # the eager graph's
    layer = TF1StyleLayer(body)
    x = np.ones((2, 4), np.float32)
    out = layer(x)
    np.testing.assert_allclose(out, [[14.0], [14.0]])
    losses = sorted(float(loss) for loss in layer.losses)
    # 0.5 * 8 ones; 0.1 * (9 + 9) (non-trainable, counted as TF1 did); sum |out| / batch
    np.testing.assert_allclose(losses, sorted([4.0, 1.8, 28.0 / 2]), rtol=1e-6)
    assert len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)) == collected  # taken out


# -- mistakes ------------------------------------------------------------------------------------


def test_a_function_that_is_not_callable_is_refused_by_value():
    with pytest.raises(TypeError, match=r"needs a callable.*got 'mlp'"):
        TF1StyleLayer("mlp")


def test_variables_whose_shape_changes_between_calls_are_named():
    def body(x):  # the kernel follows the input's width: another width, another shape
        return layers.dense(x, 2)

    layer = TF1StyleLayer(body)
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"variable 'dense/kernel' has shape \(4, 2\) from the "
                                         r"first call, now the function asks for shape \(5, 2\)"):
        layer.call(tf.ones((2, 5)))


def test_a_variable_first_asked_for_after_building_is_named():
    late = []

    def body(x):
        name = "w_late" if late else "w"
        return x * v1.get_variable(name, (), initializer=v1.ones_initializer())

    layer = TF1StyleLayer(body)
    layer(np.ones((1, 1), np.float32))
    late.append(True)
    with pytest.raises(ValueError, match=r"variable 'w_late' is asked for after the layer was "
                                         r"built.*\['w'\]"):
        layer(np.ones((1, 1), np.float32))


def test_a_tf_variable_made_by_the_function_is_the_guides_step_1_failure():
    """A variable not made through get_variable would be made anew on every call (and not be a
    Keras weight): refused when the layer is built, naming it, as VariablesNotMadeOnce."""
    from tfmodels.migration import VariablesNotMadeOnce

    def body(x):
        w = tf.Variable(tf.ones((4, 2)), name="W_fc1")  # Deep MNIST's weight_variable
        return tf.matmul(x, w)

    with pytest.raises(VariablesNotMadeOnce, match=r"made a variable 'W_fc1' with tf.Variable.*"
                                                   r"tf.compat.v1.get_variable\('W_fc1'"):
        TF1StyleLayer(body)(np.ones((2, 4), np.float32))


@pytest.mark.parametrize("kwargs, message", [
    (dict(partitioner=v1.fixed_size_partitioner(2)), r"variable 'w': partitioner=.* not "
                                                     r"supported"),
    (dict(reuse=True), r"variable 'w' does not exist, but it is asked for with reuse=True"),
])
def test_unsupported_or_wrong_get_variable_arguments_are_named(kwargs, message):
    def body(x):
        if kwargs.get("reuse"):
            with v1.variable_scope(v1.get_variable_scope(), reuse=True):
                return x * v1.get_variable("w", (), initializer=v1.ones_initializer())
        return x * v1.get_variable("w", (4,), initializer=v1.ones_initializer(), **kwargs)

    with pytest.raises(ValueError, match=message):
        TF1StyleLayer(body)(np.ones((2, 4), np.float32))


def test_a_users_custom_getter_wraps_the_store():
    asked = []

    def cast_to_half(getter, name, *args, **kwargs):
        asked.append(name)
        return tf.cast(getter(name, *args, **kwargs), tf.float16)

    def body(x):
        with v1.variable_scope("half", custom_getter=cast_to_half):
            w = v1.get_variable("w", (4, 1), initializer=v1.ones_initializer())
        return tf.matmul(tf.cast(x, tf.float16), w)

    layer = TF1StyleLayer(body)
    out = layer(np.ones((2, 4), np.float32))
    assert out.dtype == tf.float16 and layer.weights[0].dtype == "float32"
    assert asked[-1] == f"{layer.name}/half/w"  # the user's getter sees TF1's full name
    assert [w.path for w in layer.weights] == [f"{layer.name}/half/w"]


# -- replicas ------------------------------------------------------------------------------------


MIRRORED = r'''
import json
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from tests.helpers import bn_mlp, l2, style_data as data
from tf1_compat import layers
from tfmodels.migration import TF1StyleLayer

def regularized(x, training=False):
    return layers.dense(layers.dense(x, 8, tf.nn.tanh, kernel_regularizer=l2(0.01)), 3)

def train(function, strategy, weights=None):
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), TF1StyleLayer(function)])
        model.compile(keras.optimizers.SGD(0.1),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    if weights is not None:
        model.set_weights(weights)
    start = model.get_weights()
    x, y = data(64)
    loss = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    return model, start, loss

mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
one = tf.distribute.OneDeviceStrategy("/cpu:0")
m2, start, loss2 = train(regularized, mirrored)
m1, _, loss1 = train(regularized, one, start)
bn, bn_start, bn_loss = train(bn_mlp, mirrored)
print("RESULT " + json.dumps({
    "replicas": mirrored.num_replicas_in_sync,
    "weight_diff": max(float(np.abs(a - b).max())
                       for a, b in zip(m1.get_weights(), m2.get_weights())),
    "loss_diff": max(abs(a - b) for a, b in zip(loss1, loss2)),
    "moved": float(np.abs(m2.get_weights()[0] - start[0]).max()),
    "bn_loss": bn_loss,
    "bn_moving_mean": float(np.abs(bn.layers[0].tf1_variables[
        "net/batch_normalization/moving_mean"].numpy()).max()),
}))
'''


@pytest.mark.slow
def test_mirrored_over_two_logical_cpus_equals_one_device(tmp_path):
    """Replicas run in threads that take turns: each call gets the variables of its layer. In a
    fresh process: the CPU can be split only before TensorFlow initialises its devices."""
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True,
                          timeout=300, cwd=root,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": root})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    r = json.loads(lines[-1][len("RESULT "):])
    assert r["replicas"] == 2
    assert r["moved"] > 1e-3  # it trained
    assert r["weight_diff"] <= 1e-6 and r["loss_diff"] <= 1e-6, r  # as tests/test_distribute.py
    assert all(np.isfinite(r["bn_loss"])) and r["bn_moving_mean"] > 0, r
