"""tf1_compat.contrib: HParams (TF1's tf.contrib.training.HParams; no oracle is installable, so
the expectations are TF1's documented rules, written out here), the framework helpers,
arg_scope's refusals and the package's lazy submodules. The layers are checked against tf_slim
in tests/test_contrib_oracle.py."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tf1_compat.contrib import framework
from tf1_compat.contrib import layers as contrib_layers
from tf1_compat.contrib.training import HParams
from tfmodels.core.errors import UserError

v1 = tf.compat.v1


def make():
    return HParams(learning_rate=0.1, num_layers=2, sizes=[64, 32], activation="relu",
                   use_bias=True)


# -- HParams -------------------------------------------------------------------------------------


def test_hparams_attributes_values_and_json():
    h = make()
    assert (h.learning_rate, h.num_layers, h.sizes, h.activation, h.use_bias) == (
        0.1, 2, [64, 32], "relu", True)
    assert h.values() == {"learning_rate": 0.1, "num_layers": 2, "sizes": [64, 32],
                          "activation": "relu", "use_bias": True}
    assert json.loads(h.to_json()) == h.values()
    assert h.to_json(sort_keys=True).startswith('{"activation": "relu"')
    assert "num_layers" in h and "depth" not in h
    assert str(h) == str(sorted(h.values().items())) and repr(h).startswith("HParams([")


def test_parse_converts_to_each_hparams_type():
    h = make().parse("learning_rate=1,num_layers=3, sizes=[128 256,512],activation=tanh,"
                     "use_bias=false")
    assert h.values() == {"learning_rate": 1.0, "num_layers": 3, "sizes": [128, 256, 512],
                          "activation": "tanh", "use_bias": False}
    assert type(h.learning_rate) is float  # an int for a float parameter becomes a float
    for text, want in (("True", True), ("0", False), ("1", True)):
        assert HParams(flag=False).parse(f"flag={text}").flag is want


def test_set_add_del_get_override_and_parse_json():
    h = make()
    h.set_hparam("num_layers", 5)
    h.add_hparam("dropout", 0.5)
    h.override_from_dict({"dropout": 0.25, "sizes": [1]})
    h.parse_json('{"activation": "elu"}')
    assert (h.num_layers, h.dropout, h.sizes, h.activation) == (5, 0.25, [1], "elu")
    assert h.get("dropout", 0.0) == 0.25 and h.get("missing", 7) == 7
    h.del_hparam("dropout")
    assert "dropout" not in h and not hasattr(h, "dropout")


@pytest.mark.parametrize("call, message", [
    (lambda h: h.set_hparam("num_layers", 2.5),
     "Could not cast hparam 'num_layers' of type '<class 'int'>' from value 2.5"),
    (lambda h: h.set_hparam("activation", 3),
     "Could not cast hparam 'activation' of type '<class 'str'>' from value 3"),
    (lambda h: h.set_hparam("use_bias", 1),
     "Could not cast hparam 'use_bias' of type '<class 'bool'>' from value 1"),
    (lambda h: h.set_hparam("learning_rate", True),
     "Could not cast hparam 'learning_rate' of type '<class 'float'>' from value True"),
    (lambda h: h.set_hparam("learning_rate", "0.1"),
     "Could not cast hparam 'learning_rate' of type '<class 'float'>' from value '0.1'"),
    (lambda h: h.set_hparam("sizes", 3), "Must pass a list for multi-valued parameter: sizes."),
    (lambda h: h.set_hparam("num_layers", [3]),
     "Must not pass a list for single-valued parameter: num_layers"),
    (lambda h: h.set_hparam("depth", 3), "Unknown hyperparameter: 'depth'"),
    (lambda h: h.add_hparam("num_layers", 3), "Hyperparameter name is reserved: num_layers"),
    (lambda h: h.add_hparam("values", 3), "Hyperparameter name is reserved: values"),
    (lambda h: h.add_hparam("empty", []), "Multi-valued hyperparameters cannot be empty: empty"),
    (lambda h: h.parse("num_layers=2.5"),
     "Could not parse hparam 'num_layers' of type 'int' with value '2.5' in num_layers=2.5"),
    (lambda h: h.parse("use_bias=maybe"),
     "Could not parse hparam 'use_bias' of type 'bool' with value 'maybe' in use_bias=maybe"),
    (lambda h: h.parse("depth=3"), "Unknown hyperparameter type for depth"),
    (lambda h: h.parse("num_layers=1,num_layers=2"),
     "Multiple assignments to variable 'num_layers' in num_layers=1,num_layers=2"),
    (lambda h: h.parse("=3"), "Malformed hyperparameter value: =3"),
    (lambda h: h.get("num_layers", 0.5),
     "Could not cast hparam 'num_layers' of type '<class 'int'>' from value 0.5"),
    (lambda h: h.get("sizes", 3),
     r"Hparam 'sizes' of type 'list<<class 'int'>>' is incompatible with default=3"),
])
def test_hparams_refusals_are_tf1s_in_one_line(call, message):
    with pytest.raises(UserError) as raised:
        call(make())
    assert re.fullmatch(re.escape(message) if "incompatible" not in message else message,
                        str(raised.value)), str(raised.value)


def test_an_unknown_hparam_is_also_a_key_error_as_in_tf1():
    with pytest.raises(KeyError):
        make().set_hparam("depth", 1)


# -- framework -----------------------------------------------------------------------------------


def test_global_step_and_variable_lookups():
    with tf.Graph().as_default():
        step = framework.get_or_create_global_step()
        assert framework.get_or_create_global_step() is step
        assert framework.get_global_step() is step and step.op.name == "global_step"
        x = v1.placeholder(tf.float32, (None, 6, 6, 2))
        contrib_layers.conv2d(x, 3, 3)
        contrib_layers.fully_connected(contrib_layers.flatten(x), 2, scope="head")
        plain = framework.variable("plain/v", (2,))
        model = framework.model_variable("extra/weights", (3,))

        def names(vs):
            return [v.op.name for v in vs]

        assert names(framework.get_variables("Conv")) == ["Conv/weights", "Conv/biases"]
        assert names(framework.get_variables(suffix="biases")) == ["Conv/biases", "head/biases"]
        assert names(framework.get_variables_by_name("weights")) == [
            "Conv/weights", "head/weights", "extra/weights"]
        assert names(framework.get_model_variables()) == [
            "Conv/weights", "Conv/biases", "head/weights", "head/biases", "extra/weights"]
        assert names(framework.get_trainable_variables("head")) == ["head/weights",
                                                                    "head/biases"]
        assert names(framework.get_variables_to_restore(exclude=["Conv", "global_step"])) == [
            "head/weights", "head/biases", "plain/v", "extra/weights"]
        assert plain not in framework.get_model_variables() and model.shape == (3,)


def test_arg_scope_refusals_and_a_saved_scope():
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 3))
        with framework.arg_scope([contrib_layers.fully_connected], activation_fn=None) as saved:
            pass
        with framework.arg_scope(saved):
            out = contrib_layers.fully_connected(x, 2)
        assert out.op.type == "BiasAdd"  # no ReLU: the saved scope's default
        with pytest.raises(UserError, match="'relu' is not decorated with add_arg_scope"):
            with framework.arg_scope([tf.nn.relu], name="r"):
                pass
        with pytest.raises(UserError, match="arg_scope needs a list or tuple of functions"):
            with framework.arg_scope(contrib_layers.fully_connected):
                pass


# -- contrib.layers refusals, and TF1's numbers beyond tf_slim's cases ---------------------------


@pytest.mark.parametrize("call, message", [
    (lambda x: contrib_layers.fully_connected(x, 2.0),
     "num_outputs must be an integer, got 2.0"),
    (lambda x: contrib_layers.l2_regularizer(1), "l2_regularizer: scale cannot be an integer, "
                                                 "got 1"),
    (lambda x: contrib_layers.l1_regularizer(-0.1), "l1_regularizer: scale must be >= 0, "
                                                    "got -0.1"),
    (lambda x: contrib_layers.variance_scaling_initializer(mode="fan_in"),
     "mode must be 'FAN_IN', 'FAN_OUT' or 'FAN_AVG', got 'fan_in'"),
    (lambda x: contrib_layers.batch_norm(x, is_training="False"),
     "training must be a Python bool or a boolean tensor, got 'False'"),
    (lambda x: contrib_layers.batch_norm(x, zero_debias_moving_mean=True),
     "batch_norm does not support batch_weights, zero_debias_moving_mean, renorm, adjustment "
     "or fused=False"),
    (lambda x: contrib_layers.layer_norm(x, begin_norm_axis=2),
     r"layer_norm: begin_params_axis \(-1\) and begin_norm_axis \(2\) must be < "
     r"rank\(inputs\) \(2\)"),
    (lambda x: contrib_layers.apply_regularization(contrib_layers.l2_regularizer(0.1)),
     r"apply_regularization: no weights to regularize \(weights_list is empty and so is the "
     r"WEIGHTS collection\)"),
])
def test_contrib_layers_mistakes_in_one_line(call, message):
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, (None, 3))
        with pytest.raises(UserError) as raised:
            call(x)
    assert re.fullmatch(message, str(raised.value)), str(raised.value)


def test_layer_norm_is_the_closed_form_with_tf1s_tiny_epsilon():
    """(x - mean) / sqrt(var + 1e-12) over every axis from 1 on: with a constant row the
    epsilon decides the outputs (0 / sqrt(1e-12) = 0, not NaN), and scale 1e-12 leaves the rest
    at the exact standardization (float64 NumPy, to 1e-5)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32) * 3 + 1
    x[1] = 2.0
    with tf.Graph().as_default() as g:
        out = contrib_layers.layer_norm(x, center=False, scale=False)
    with v1.Session(graph=g) as s:
        got = s.run(out)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=(1, 2), keepdims=True), x64.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, (x64 - mean) / np.sqrt(var + 1e-12), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[1], 0)


def test_zero_scale_regularizers_give_none_as_tf1s():
    assert contrib_layers.l2_regularizer(0.0)(tf.ones(3)) is None
    assert contrib_layers.l1_regularizer(0.0)(tf.ones(3)) is None


# -- the package ---------------------------------------------------------------------------------


def test_the_package_loads_its_submodules_lazily():
    code = ("import sys, tf1_compat.contrib as c; "
            "assert 'tensorflow' not in sys.modules, 'eager'; "
            "assert c.training.HParams(a=1).a == 1; "
            "assert 'tf1_compat.contrib.layers' not in sys.modules; "
            "print(sorted(n for n in c.__all__))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['framework', 'layers', 'rnn', 'training']"
    import tf1_compat.contrib as contrib

    assert contrib.layers is contrib_layers and contrib.framework is framework
    with pytest.raises(AttributeError, match="has no attribute 'slim'"):
        contrib.slim  # noqa: B018
