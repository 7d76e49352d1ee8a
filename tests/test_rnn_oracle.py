"""tf1_compat.rnn against the real TF1 recurrent API, on the programs of tests/rnn_program.py.

Under Keras 3 the real cells raise; tf_keras's legacy cells bring them back when
`TF_USE_LEGACY_KERAS=1` is set before TensorFlow is imported, which only a process of its own
can do. There `tf.compat.v1.nn.rnn_cell.*` are the real TF1 cells and wrappers, and
`tf.compat.v1.nn.static_rnn`, `static_bidirectional_rnn`, `dynamic_rnn`,
`bidirectional_dynamic_rnn` TensorFlow's own functions. One subprocess runs every case against
them (the oracle), this process against tf1_compat.rnn; each side is computed once per module.

What must agree, and how closely:
- every variable's name, shape, dtype and trainability, in creation order, and each cell's
  `state_size`, `output_size` and `trainable_weights`: exactly;
- initial values: constants (zero biases, the GRU's gates/bias of ones, a `constant_initializer`)
  bit for bit; random ones (Glorot uniform, `get_variable`'s default) within the same limit;
- from equal variable values (both load `start_value`): every output and final state (with and
  without `sequence_length`, a length of 0 among them; batch- and time-major; tuple and flat
  states), and every variable and the loss after 3 steps of gradient descent: bit for bit. The
  same ops run in the same order on both sides (the same matmul over `[x, h]`, the same
  where-selects past each length, the same while loop and conds, the same cached reads), so
  float32 rounding is identical; dropout with a `seed` draws from the same seeded ops, so its
  masks are the same too.
"""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests import rnn_program
from tests.helpers import run_legacy_program

pytestmark = pytest.mark.slow  # two processes building 23 graphs with gradients: ~60 s

PROGRAM = Path(__file__).with_name("rnn_program.py")
CASES = list(rnn_program.CASES)
WRAPPED = {"dropout", "dropout_variational", "dropout_over_multi", "residual_and_device"}


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """`(structure, arrays)` of every case run against the real TF1 API."""
    return run_legacy_program(PROGRAM, tmp_path_factory.mktemp("rnn_oracle"), timeout=900)


@pytest.fixture(scope="module")
def dropin():
    """The same, against tf1_compat.rnn (and tf1_compat.contrib.rnn), in this process."""
    return rnn_program.run_all(rnn_program.dropin_api())


def same_arrays(oracle_arrays, dropin_arrays, prefix):
    keys = sorted(k for k in oracle_arrays if k.startswith(prefix))
    assert keys and keys == sorted(k for k in dropin_arrays if k.startswith(prefix))
    for key in keys:
        assert dropin_arrays[key].dtype == oracle_arrays[key].dtype, key
        np.testing.assert_array_equal(dropin_arrays[key], oracle_arrays[key], err_msg=key)


def test_the_oracle_is_the_legacy_api_of_tensorflows_version(oracle):
    assert oracle[0]["tf_keras"].split(".")[:2] == tf.__version__.split(".")[:2]
    modules = oracle[0]["modules"]
    assert all(modules[n].startswith("tf_keras.") for n in rnn_program.CELLS)
    assert all(modules[n] == "tensorflow.python.ops.rnn" for n in rnn_program.FUNCTIONS)


@pytest.mark.parametrize("case", CASES)
def test_same_variables_sizes_and_weights(case, oracle, dropin):
    want, got = oracle[0][case], dropin[0][case]
    assert got["variables"] == want["variables"]
    assert got["state_size"] == want["state_size"]
    assert got["output_size"] == want["output_size"]
    if case in WRAPPED:  # the legacy wrappers list none of their cell's weights; ours do
        assert want["cell_weights"] == []
        assert got["cell_weights"] == [v["name"] for v in got["variables"]
                                       if v["name"].startswith("rnn/")]
    elif case == "lstm_shards":  # the legacy cell lost its partitioned kernels' parts
        assert want["cell_weights"] == ["rnn/lstm_cell/bias"]
        assert got["cell_weights"] == [v["name"] for v in got["variables"]]
    else:
        assert got["cell_weights"] == want["cell_weights"]


@pytest.mark.parametrize("case", CASES)
def test_same_initial_values(case, oracle, dropin):
    prefix = f"{case}/init/"
    keys = sorted(k for k in oracle[1] if k.startswith(prefix))
    assert keys == sorted(k for k in dropin[1] if k.startswith(prefix))
    for key in keys:
        want, got = oracle[1][key], dropin[1][key]
        assert got.dtype == want.dtype and got.shape == want.shape, key
        if np.all(want == want.flat[0]):  # a constant initializer
            np.testing.assert_array_equal(got, want, err_msg=key)
        else:  # Glorot uniform: a different draw, the same limit
            fan = want.shape[0] + want.shape[-1] if want.ndim == 2 else 2 * want.shape[0]
            limit = np.sqrt(6 / fan)
            assert np.abs(got).max() <= limit and len(np.unique(got)) == got.size, key


@pytest.mark.parametrize("case", CASES)
def test_outputs_and_states_bit_equal(case, oracle, dropin):
    same_arrays(oracle[1], dropin[1], f"{case}/forward/")


@pytest.mark.parametrize("case", CASES)
def test_training_steps_bit_equal(case, oracle, dropin):
    losses = oracle[1][f"{case}/losses"]
    assert losses.shape == (rnn_program.STEPS,) and np.all(np.isfinite(losses))
    if "dropout" not in case:  # new masks every run: a dropout case's loss need not fall
        assert losses[-1] < losses[0], losses
    np.testing.assert_array_equal(dropin[1][f"{case}/losses"], losses)
    same_arrays(oracle[1], dropin[1], f"{case}/trained/")
