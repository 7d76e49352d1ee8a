"""Every function and class of tf1_compat.layers against the real `tf.compat.v1.layers`.

tests/tf1_layers_program.py builds each case (conv1d/2d/3d, the transposed and separable
convolutions, pooling 1-3D, flatten, dropout, batch normalization, their classes, a user's
subclass of `Layer`, string activations, NumPy integers, a tensor dropout rate, both data
formats) in a graph of its own; it runs once in a subprocess against tf_keras's legacy layers
(`TF_USE_LEGACY_KERAS=1`), the oracle, and once here against the drop-in.

What must agree (float32):
- every variable's name, shape, dtype, collections and initializer kind, in creation order; the
  layer objects' `name`, `scope_name`, `variables`, `trainable_variables`,
  `non_trainable_variables`, `losses` and `updates`; the outputs' shapes; the number of update ops
  and regularization losses: exactly;
- the outputs' tensor names, exactly, but for channels-first 2-D pooling, which the oracle runs
  as an NCHW kernel and the drop-in as NHWC between two transposes (the same numbers);
- the initializers' values: bit for bit, the oracle's under TF1's semantics
  (`disable_v2_behavior()`) and the drop-in's here (the same graph seed and op-seed count);
- from the same variable values: every output, every regularization loss, every variable after 3
  steps of gradient descent (the update ops run after each): bit for bit. The loss itself, a
  sum of the outputs that the test adds, only to 1e-6: Grappler rewrites the two graphs' sums
  differently (measured: a few ulps in one case, classes_conv_and_dense, with every variable and
  output bit-equal; each run either reads or writes the variables, so it is not a race).
- `training="False"`: TF1's `smart_cond` refused it (a TypeError); the drop-in refuses it with a
  UserError.
"""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests import tf1_layers_program as program
from tests.helpers import run_legacy_program
from tf1_compat import layers

pytestmark = pytest.mark.slow  # two processes, ~25 cases each: 45-60 s on 2 busy cores

PROGRAM = Path(__file__).with_name("tf1_layers_program.py")
CASES = list(program.CASES)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """`(structure, arrays)` of every case run against the real `tf.compat.v1.layers`."""
    return run_legacy_program(PROGRAM, tmp_path_factory.mktemp("oracle"), timeout=600)


@pytest.fixture(scope="module")
def dropin():
    return program.run_all(layers)


def test_the_oracle_is_tf_keras_of_tensorflows_version(oracle):
    assert oracle[0]["tf_keras"].split(".")[:2] == tf.__version__.split(".")[:2]


@pytest.mark.parametrize("case", CASES)
def test_same_variables_collections_and_initializer_kinds(case, oracle, dropin):
    want, got = oracle[0][case], dropin[0][case]
    assert got["variables"] == want["variables"]
    for key in ("shapes", "update_ops", "regularization_losses", "extra"):
        assert got[key] == want[key], key


@pytest.mark.parametrize("case", CASES)
def test_same_output_names(case, oracle, dropin):
    want, got = oracle[0][case]["outputs"], dropin[0][case]["outputs"]
    if case == "channels_first_pooling2d":  # the oracle's NCHW kernel, the drop-in's transposes
        assert [n.split("/")[0] for n in got] == [n.split("/")[0] for n in want]
        assert want == ["max_pooling2d/MaxPool:0", "average_pooling2d/AvgPool:0"]
    else:
        assert got == want


@pytest.mark.parametrize("case", CASES)
def test_outputs_regularization_and_training_bit_equal(case, oracle, dropin):
    keys = sorted(k for k in oracle[1] if k.startswith(f"{case}/") and not k.endswith("/losses"))
    assert keys == sorted(k for k in dropin[1] if k.startswith(f"{case}/")
                          and not k.endswith("/losses"))
    assert any("/after/" in k for k in keys) == bool(oracle[0][case]["variables"])
    for key in keys:
        np.testing.assert_array_equal(dropin[1][key], oracle[1][key], err_msg=key)
    losses = oracle[1][f"{case}/losses"]
    np.testing.assert_allclose(dropin[1][f"{case}/losses"], losses, rtol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_initial_values_bit_equal_to_tf1s(case, oracle, dropin):
    want = {k.removeprefix(f"init_v1/{case}/"): v for k, v in oracle[1].items()
            if k.startswith(f"init_v1/{case}/")}
    got = {k.removeprefix(f"init/{case}/"): v for k, v in dropin[1].items()
           if k.startswith(f"init/{case}/")}
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_the_cases_train_and_use_every_kind_of_variable(oracle):
    """The training steps move every trainable variable (else "bit-equal after training" would
    say little), and the cases hold every variable name TF1's layers make."""
    kinds = set()
    for case in CASES:
        for v in oracle[0][case]["variables"]:
            kinds.add(v["name"].rsplit("/", 1)[-1])
            if "trainable_variables" in v["collections"]:
                start = program.start_value(v["name"], v["shape"])
                moved = oracle[1][f"{case}/after/{v['name']}"]
                assert not np.array_equal(moved, start), (case, v["name"])
    assert {"kernel", "bias", "depthwise_kernel", "pointwise_kernel", "gamma", "beta",
            "moving_mean", "moving_variance"} <= kinds


def test_string_activations_are_keras_names_and_differ(oracle):
    outs = [oracle[1][f"dense_numpy_units_string_activations/out{i}"]
            for i in range(len(program.ACTIVATIONS))]
    for i in range(len(outs)):
        for j in range(i):
            assert not np.array_equal(outs[i], outs[j]), (program.ACTIVATIONS[i],
                                                          program.ACTIVATIONS[j])


def test_a_tensor_rate_drops(oracle, dropin):
    for arrays in (oracle[1], dropin[1]):
        dropped = arrays["dropout_tensor_rate/out0"] == 0
        assert 0.3 < dropped.mean() < 0.5  # rate 0.4, 800 elements


def test_training_as_a_string_is_refused(oracle, dropin):
    assert oracle[0]["refusals"] == {"dropout": "TypeError", "batch_normalization": "TypeError"}
    assert dropin[0]["refusals"] == {"dropout": "UserError", "batch_normalization": "UserError"}
