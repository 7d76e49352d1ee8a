"""tf1_compat.contrib.layers against TF-Slim (`tf_slim`, the `tf.contrib.layers` that outlived
TF1), on the cases of tests/tf1_contrib_program.py: fully_connected (ReLU by default, regularizers,
rank 3, `scope=` + `reuse`, no biases, a batch-norm normalizer), conv2d (SAME and ReLU by
default, stride, dilation, NCHW, a batch-norm normalizer), flatten, batch_norm (both of TF-Slim's
paths: 4-D through TF1's layer, 2-D and `updates_collections=None` through the fused kernel;
`is_training` a placeholder, True or False; NCHW), layer_norm (both axes arguments, reuse),
xavier_initializer and variance_scaling_initializer (contrib's factor/mode/uniform), and the l1,
l2 and l1_l2 regularizers through apply_regularization.

tf_slim runs in a subprocess with `TF_USE_LEGACY_KERAS=1` (it builds on TF1's legacy layers);
the drop-in here. What must agree, exactly: variable names, shapes, dtypes, collections
(model_variables included) and initializer kinds; output names and shapes; the number of update
ops and regularization losses; the initializers' values (tf_slim's under TF1's semantics, the
drop-in's here); every output, regularization loss and variable after 3 steps of gradient
descent (the update ops after each). The loss the test adds up only to 1e-6 (Grappler, as in
tests/test_layers_all_oracle.py).
"""

from pathlib import Path

import numpy as np
import pytest

from tests import tf1_contrib_program as program
from tests.helpers import run_legacy_program
from tf1_compat.contrib import layers as contrib_layers

pytestmark = pytest.mark.slow  # two processes: ~30 s on 2 busy cores

PROGRAM = Path(__file__).with_name("tf1_contrib_program.py")
CASES = list(program.CASES)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    return run_legacy_program(PROGRAM, tmp_path_factory.mktemp("slim"), timeout=600)


@pytest.fixture(scope="module")
def dropin():
    return program.run_all(contrib_layers)


@pytest.mark.parametrize("case", CASES)
def test_same_structure(case, oracle, dropin):
    want, got = oracle[0][case], dropin[0][case]
    for key in ("variables", "outputs", "shapes", "update_ops", "regularization_losses"):
        assert got[key] == want[key], key


@pytest.mark.parametrize("case", CASES)
def test_same_numbers(case, oracle, dropin):
    keys = sorted(k for k in oracle[1] if k.startswith(f"{case}/") and not k.endswith("/losses"))
    assert keys == sorted(k for k in dropin[1] if k.startswith(f"{case}/")
                          and not k.endswith("/losses"))
    for key in keys:
        np.testing.assert_array_equal(dropin[1][key], oracle[1][key], err_msg=key)
    np.testing.assert_allclose(dropin[1][f"{case}/losses"], oracle[1][f"{case}/losses"],
                               rtol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_initial_values_bit_equal_to_tf_slims_under_tf1(case, oracle, dropin):
    want = {k.removeprefix(f"init_v1/{case}/"): v for k, v in oracle[1].items()
            if k.startswith(f"init_v1/{case}/")}
    got = {k.removeprefix(f"init/{case}/"): v for k, v in dropin[1].items()
           if k.startswith(f"init/{case}/")}
    assert sorted(got) == sorted(want) and want
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_the_cases_mean_something(oracle):
    """Model variables everywhere, TF-Slim's names, the defaults' ReLU, batch norm's updates,
    and training that moves every trainable variable."""
    names = {v["name"] for case in CASES for v in oracle[0][case]["variables"]}
    assert {"fully_connected/weights", "fully_connected/biases", "Conv/weights", "Conv/biases",
            "BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance",
            "LayerNorm/beta", "LayerNorm/gamma", "fully_connected/BatchNorm/gamma"} <= names
    assert "BatchNorm/gamma" not in names  # scale=False by default
    assert oracle[0]["conv2d"]["outputs"][0] == "Conv/Relu:0"
    assert oracle[0]["batch_norm"]["update_ops"] == 8
    scoped = oracle[0]["arg_scope"]  # nested scopes: no biases, no activation, then ReLU given
    assert [v["name"] for v in scoped["variables"]] == [
        "fully_connected/weights", "fully_connected_1/weights", "fully_connected_1/biases",
        "fully_connected_2/weights", "fully_connected_2/biases"]
    assert [n.rsplit("/", 1)[-1] for n in scoped["outputs"]] == ["MatMul:0", "Relu:0", "Relu:0"]
    assert scoped["regularization_losses"] == 2
    for case in CASES:
        for v in oracle[0][case]["variables"]:
            if case not in ("initializers", "regularizers"):
                assert "model_variables" in v["collections"], v["name"]
            if "trainable_variables" in v["collections"] and case != "regularizers":
                start = program.base.start_value(v["name"], v["shape"])
                assert not np.array_equal(oracle[1][f"{case}/after/{v['name']}"], start)
