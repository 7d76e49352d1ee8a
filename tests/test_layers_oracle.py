"""tf1_compat.layers against the real `tf.compat.v1.layers`, on one TF1 program.

Under Keras 3 the real functional layers raise; tf_keras's legacy layers bring them back when
`TF_USE_LEGACY_KERAS=1` is set before TensorFlow is imported, which only a process of its own can
do. So tests/tf1_program.py (a small convnet in TF1's style, `build(layers, x, training)`, run
with placeholders, a `training` placeholder, UPDATE_OPS and two optimizers) runs once in a
subprocess against `tf.compat.v1.layers`, the oracle, and once here against the drop-in.

What must agree, and how closely (float32):
- variable names, shapes and dtypes in creation order, collections, the number of update ops,
  TF1's automatic names (dense, dense_1, conv2d, dense_2), `name=`/`reuse` sharing and the names
  of the layers' output tensors: exactly;
- initializers: the same kind and arguments, read from the graph (Glorot uniform: a uniform draw
  on [-limit, limit]; zeros; ones). Their values agree bit for bit under TF1's semantics
  (`disable_v2_behavior()`, in the oracle's process): both draw `RandomUniform` with the graph
  seed and get_variable's op-seed count. Under TF2's behaviour tf_keras draws its Glorot from
  stateless ops seeded by Python's `random` (another draw on every run, graph seed or not), so
  there only kind and arguments compare;
- from the same variable values (both sides load the helper's `start_value`): every layer's
  output in inference and in training (dropout with an op seed draws the same `tf.nn.dropout`
  masks), the moving averages after the update ops, and every variable (slots included) and
  loss after 5 steps of gradient descent and of Adam; the same with `training` a Python bool
  (True, False): bit for bit, everywhere. Two of these differed and
  were fixed in tf1_compat/layers.py, with tests in tests/test_layers.py: the moving mean and
  variance sat in MOVING_AVERAGE_VARIABLES (TF1's did not), and the plain batch norm took its
  moments inside the cond on `training`, which summed the gradients in another order (0.5 ulp
  apart, 1-2 ulps on the weights after 5 steps, up to 74 on Adam's slots);
- unseeded dropout draws from its own stateful op on both sides, the op seed coming from the
  graph's count of unseeded random ops, which differs: only the masks' statistics compare (keep
  rate 1 - rate within 0.01 over 100,000 elements, 7 standard deviations).
"""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests import tf1_program
from tests.helpers import run_legacy_program
from tf1_compat import layers

pytestmark = pytest.mark.slow  # two processes building and training the program: ~30 s

PROGRAM = Path(__file__).with_name("tf1_program.py")
FORWARD = ("infer", "train", "train_again", "infer_after_updates")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """`(structure, arrays)` of the program run against the real `tf.compat.v1.layers`."""
    return run_legacy_program(PROGRAM, tmp_path_factory.mktemp("oracle"), timeout=600)


@pytest.fixture(scope="module")
def dropin():
    """The same, against tf1_compat.layers, in this process (TF2's behaviour)."""
    return tf1_program.run_all(layers)


def same_arrays(oracle_arrays, dropin_arrays, prefix):
    keys = sorted(k for k in oracle_arrays if k.startswith(prefix))
    assert keys and keys == sorted(k for k in dropin_arrays if k.startswith(prefix))
    for key in keys:
        np.testing.assert_array_equal(dropin_arrays[key], oracle_arrays[key], err_msg=key)


def by_name(structure):
    return {v["name"]: v for v in structure["variables"]}


# -- structure -----------------------------------------------------------------------------------


def test_the_oracle_is_tf_keras_of_tensorflows_version(oracle):
    assert oracle[0]["tf_keras"].split(".")[:2] == tf.__version__.split(".")[:2]


def test_same_variables_in_creation_order(oracle, dropin):
    def listing(structure):
        return [(v["name"], v["shape"], v["dtype"]) for v in structure["variables"]]

    assert listing(dropin[0]) == listing(oracle[0])
    assert [name for name, _, _ in listing(oracle[0])] == [
        f"{scope}/{var}" for scope, kind in [
            ("conv2d", "layer"), ("batch_normalization", "bn"), ("conv2d_1", "layer"),
            ("dense", "layer"), ("batch_normalization_1", "bn"), ("dense_1", "layer")]
        for var in (("kernel", "bias") if kind == "layer"
                    else ("gamma", "beta", "moving_mean", "moving_variance"))]


def test_same_collections_and_update_ops(oracle, dropin):
    assert [v["collections"] for v in dropin[0]["variables"]] == [
        v["collections"] for v in oracle[0]["variables"]]
    for name, v in by_name(oracle[0]).items():
        moving = name.rsplit("/", 1)[-1].startswith("moving_")
        want = ["variables"] if moving else ["trainable_variables", "variables"]
        assert v["collections"] == want, name  # moving averages: global, never trainable
    assert dropin[0]["update_ops"] == oracle[0]["update_ops"] == 4  # two batch norms, two each


def test_same_end_point_names_and_shapes(oracle, dropin):
    assert dropin[0]["end_points"] == oracle[0]["end_points"]
    assert dropin[0]["end_point_shapes"] == oracle[0]["end_point_shapes"]


def test_same_automatic_names_and_sharing(oracle, dropin):
    for key in ("naming/variables", "naming/trainable", "naming/outputs"):
        assert dropin[0][key] == oracle[0][key], key
    scopes = [n.rsplit("/", 1)[0] for n in oracle[0]["naming/variables"]]
    assert scopes[:8:2] == ["dense", "dense_1", "conv2d", "dense_2"]
    assert scopes.count("fc") == 2 and scopes.count("cv") == 2  # name= + reuse: shared
    outputs = [t.split("/")[0] for t in oracle[0]["naming/outputs"]]
    assert outputs[10:12] == ["pool", "pool_1"]  # no variables: a unique scope, even named
    same_arrays(*(side[1] for side in (oracle, dropin)), "naming/")
    got = dropin[1]
    np.testing.assert_array_equal(got["naming/4"], got["naming/5"])  # fc, fc reused
    np.testing.assert_array_equal(got["naming/0"], got["naming/7"])  # dense, reuse=True


# -- initializers --------------------------------------------------------------------------------


def test_same_initializers_kind_and_arguments(oracle, dropin):
    assert [v["initializer"] for v in dropin[0]["variables"]] == [
        v["initializer"] for v in oracle[0]["variables"]]
    for name, v in by_name(oracle[0]).items():
        kind = name.rsplit("/", 1)[-1]
        if kind == "kernel":  # Glorot uniform: limit sqrt(6 / (fan_in + fan_out))
            receptive = np.prod(v["shape"][:-2], dtype=int)
            limit = np.float32(np.sqrt(6 / (receptive * sum(v["shape"][-2:]))))
            assert v["initializer"] == {"random": ["uniform"],
                                        "constants": [float(-limit), float(limit)]}, name
        else:
            one = kind in ("gamma", "moving_variance")
            assert v["initializer"] == {"random": [], "constants": [float(one)]}, name


def test_initial_values_bit_equal_under_tf1_behaviour(oracle, dropin):
    tf1 = {k.removeprefix("init_v1/"): v for k, v in oracle[1].items() if k.startswith("init_v1/")}
    mine = {k.removeprefix("init/"): v for k, v in dropin[1].items() if k.startswith("init/")}
    assert sorted(tf1) == sorted(mine) and len(tf1) == 16
    for name in tf1:
        np.testing.assert_array_equal(mine[name], tf1[name], err_msg=name)


def test_initial_values_under_tf2_behaviour_kernels_only_by_kind(oracle):
    variables = by_name(oracle[0])
    for key, value in oracle[1].items():
        if not key.startswith("init/"):
            continue
        v = variables[key.removeprefix("init/")]
        low, high = v["initializer"]["constants"][0], v["initializer"]["constants"][-1]
        assert low <= value.min() and value.max() <= high, key
        if not v["initializer"]["random"]:
            np.testing.assert_array_equal(value, low, err_msg=key)


# -- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", FORWARD)
def test_every_layer_output_bit_equal(run, oracle, dropin):
    same_arrays(oracle[1], dropin[1], f"{run}/")


def test_training_runs_draw_the_same_seeded_dropout_masks(oracle, dropin):
    for arrays in (oracle[1], dropin[1]):
        first, again = arrays["train/dropout"], arrays["train_again/dropout"]
        assert (first == 0).mean() > 0.1 and not np.array_equal(first == 0, again == 0)
    np.testing.assert_array_equal(dropin[1]["train/dropout"], oracle[1]["train/dropout"])


def test_update_ops_move_the_moving_averages_bit_equal(oracle, dropin):
    same_arrays(oracle[1], dropin[1], "after_false_updates/")
    same_arrays(oracle[1], dropin[1], "after_updates/")
    start = {k.split("/", 1)[1]: v for k, v in dropin[1].items()
             if k.startswith("after_false_updates/")}
    for name, value in start.items():  # training False: the updates move nothing
        np.testing.assert_array_equal(value, tf1_program.start_value(name, value.shape))
        moved = dropin[1][f"after_updates/{name}"]
        assert np.array_equal(moved, value) != ("moving_" in name), name


@pytest.mark.parametrize("optimizer", list(tf1_program.OPTIMIZERS))
def test_training_steps_bit_equal(optimizer, oracle, dropin):
    assert dropin[0][f"{optimizer}/variables"] == oracle[0][f"{optimizer}/variables"]
    losses = oracle[1][f"{optimizer}/losses"]
    assert losses.shape == (tf1_program.TRAINING_STEPS,) and losses[-1] < losses[0]
    same_arrays(oracle[1], dropin[1], f"{optimizer}/")


@pytest.mark.parametrize("training", [True, False])
def test_training_a_python_bool_bit_equal(training, oracle, dropin):
    updates = dropin[0][f"static_{training}/update_ops"]
    assert updates == oracle[0][f"static_{training}/update_ops"] == (4 if training else 0)
    same_arrays(oracle[1], dropin[1], f"static_{training}/")


def test_unseeded_dropout_keeps_one_minus_rate(oracle, dropin):
    rate = tf1_program.DROPOUT_RATE
    for arrays in (oracle[1], dropin[1]):
        first, second = arrays["dropout/first"], arrays["dropout/second"]
        assert first.size == 100_000
        np.testing.assert_array_equal(np.unique(first), [0, np.float32(1 / (1 - rate))])
        for mask in (first, second):
            assert abs((mask != 0).mean() - (1 - rate)) < 0.01
        assert not np.array_equal(first, second)  # a new mask each run
