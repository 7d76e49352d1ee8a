"""A Keras 2 (tf_keras, tf.keras of TF <= 2.15) model into Keras 3 (`keras2_to_keras`,
`tfmodels convert --from keras2`): three tutorial-era tf.keras models (tests/keras2_program.py:
an MLP with dropout, a convnet with batch normalization, an embedding and two stacked LSTMs),
trained a little and saved by real tf_keras in a process of its own (`TF_USE_LEGACY_KERAS=1`)
as `.h5` models, `.h5` weights, `save_weights` TF checkpoints and a SavedModel folder, are
converted into the Keras 3 ports of examples/keras2_models.py; each port must predict what
tf_keras predicted in that process.

Tolerance: `ATOL` = 1e-6 on outputs of size ~1 (float32; the same weights through the same ops:
measured 0 for the MLP and the LSTMs, 3.7e-7 for the convnet, whose batch normalization Keras 3
computes in another order of operations).
"""

import os
import re

import keras
import numpy as np
import pytest

from tests.helpers import EXAMPLES, ReusedKeras2Runs, run_legacy_program
from tfmodels.cli import main
from tfmodels.core.errors import UserError
from tfmodels.migration.checkpoints import load_keras_file, load_keras_model
from tfmodels.migration.conversion import keras2_to_keras
from tfmodels.migration.keras2_reference import verify_keras2

ATOL = 1e-6
PROGRAM = os.path.join(os.path.dirname(__file__), "keras2_program.py")
HELPER = os.path.join(EXAMPLES, "keras2_models.py")
pytestmark = pytest.mark.slow  # the tf_keras process alone takes 15 to 35 s

# (Keras 3 port, the Keras 2 file of it): every way tf.keras saved a model
CASES = [("mlp", "mlp.h5"), ("mlp", "mlp_weights.h5"), ("mlp", "mlp_tf/ckpt"),
         ("mlp", "mlp_savedmodel"), ("convnet", "convnet.h5"), ("convnet", "convnet_weights.h5"),
         ("convnet", "convnet_tf"), ("lstm", "lstm.h5"), ("lstm", "lstm_tf/ckpt")]


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """(folder of the Keras 2 files, their structure, {name_x, name_y}): one tf_keras process."""
    out = tmp_path_factory.mktemp("keras2")
    structure, arrays = run_legacy_program(PROGRAM, out)
    return str(out), structure, arrays


def predict(path, x):
    return load_keras_file(path, "").predict(x, verbose=0)


def test_the_reference_is_tf_keras(legacy):
    _, structure, _ = legacy
    assert structure["dense"].startswith("tf_keras."), structure["dense"]
    assert "lstm/lstm_cell/recurrent_kernel:0" in structure["models"]["lstm"]


@pytest.mark.parametrize("name, file", CASES)
def test_converted_predicts_as_keras2(legacy, tmp_path, name, file):
    folder, _, arrays = legacy
    x, expected = arrays[f"{name}_x"], arrays[f"{name}_y"]
    printed = []
    result = keras2_to_keras(os.path.join(folder, file), f"{HELPER}:{name}",
                             str(tmp_path / "port.keras"), out=printed.append)
    assert result.pairs and not result.missing and not result.unused
    got = predict(str(tmp_path / "port.keras"), x)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    assert "Keras 2 weight" in printed[0]


def test_unconverted_port_differs(legacy, tmp_path):
    """The ports' initial weights predict otherwise: the equality above is the conversion's."""
    _, _, arrays = legacy
    for name in ("mlp", "convnet", "lstm"):
        got = load_keras_model(f"{HELPER}:{name}").predict(arrays[f"{name}_x"], verbose=0)
        assert np.abs(got - arrays[f"{name}_y"]).max() > 1e-2, name


def test_checkpoint_table_names_keras2_weights(legacy, tmp_path):
    folder, _, _ = legacy
    printed = []
    keras2_to_keras(os.path.join(folder, "lstm_tf/ckpt"), f"{HELPER}:lstm",
                    str(tmp_path / "port.weights.h5"), out=printed.append)
    rows = printed[0].splitlines()
    assert rows[0].split()[:5] == ["Keras", "weight", "Keras", "2", "weight"]
    assert any(r.split()[:3] == ["lstm_1/lstm_cell/recurrent_kernel", "<-",
                                 "layer_with_weights-2/cell/recurrent_kernel"] for r in rows)
    assert not any("optimizer" in r or "save_counter" in r for r in rows)


def test_cli_into_your_model(legacy, tmp_path, capsys):
    folder, _, arrays = legacy
    target = str(tmp_path / "convnet.keras")
    assert main(["convert", os.path.join(folder, "convnet_weights.h5"), target, "--from",
                 "keras2", "--to", "keras", "--keras-model", f"{HELPER}:convnet"]) == 0
    out = capsys.readouterr().out
    assert "Wrote 16 Keras weights from" in out
    np.testing.assert_allclose(predict(target, arrays["convnet_x"]), arrays["convnet_y"],
                               rtol=0, atol=ATOL)


def test_cli_into_our_model(legacy, tmp_path, capsys):
    """`--model binary4`: one of the project's models as the Keras 3 side (its layers are
    `dense_0`, `dense_1`, `dense_2`; the Keras 2 file's `dense`, `dense_1`, `dense_2`)."""
    folder, _, arrays = legacy
    target = str(tmp_path / "binary4.keras")
    assert main(["convert", os.path.join(folder, "binary4.h5"), target, "--from", "keras2",
                 "--to", "keras", "--model", "binary4"]) == 0
    np.testing.assert_allclose(predict(target, arrays["binary4_x"]), arrays["binary4_y"],
                               rtol=0, atol=ATOL)


def test_layers_that_do_not_match_are_named(legacy, tmp_path):
    folder, _, _ = legacy
    with pytest.raises(UserError, match=r"^\d+ Keras weights found no Keras 2 weight \(dense/"
                                        r"kernel, .*nothing written"):
        keras2_to_keras(os.path.join(folder, "convnet.h5"), f"{HELPER}:mlp",
                        str(tmp_path / "x.keras"), out=lambda _: None)
    assert not os.path.exists(tmp_path / "x.keras")


def test_shapes_that_do_not_fit_are_named(legacy, tmp_path):
    """The MLP file into an MLP whose second layer has 16 units: the weights without a source
    are named, and the table says which shape differs."""
    folder, _, _ = legacy
    keras.backend.clear_session()  # dense, dense_1, ... as the Keras 2 file's
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                              keras.layers.Dense(32), keras.layers.Dense(16),
                              keras.layers.Dense(32), keras.layers.Dense(10)])
    printed = []
    with pytest.raises(UserError, match=r"^3 Keras weights found no Keras 2 weight \(dense_1/"
                                        r"kernel, dense_1/bias, dense_2/kernel;"):
        keras2_to_keras(os.path.join(folder, "mlp.h5"), model, str(tmp_path / "x.keras"),
                        out=printed.append)
    assert "shape: Keras 2 dense_1/kernel is (32, 32), this weight needs (32, 16)" in printed[0]
    assert not os.path.exists(tmp_path / "x.keras")


# -- verify --keras2: the Keras 2 model, run by tf_keras, as the reference side ------------------


def wrong_epsilon_convnet():
    """The convnet port with the first batch norm's epsilon 1e-5 (PyTorch's) for Keras's 1e-3."""
    return keras.Sequential([
        keras.Input((12, 12, 3)), keras.layers.Conv2D(8, (3, 3), activation="relu"),
        keras.layers.BatchNormalization(epsilon=1e-5), keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(16, (3, 3), activation="relu"), keras.layers.BatchNormalization(),
        keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])


def fused_convnet():
    """The convnet port with the kit's FusedBatchNormalization (the moving variance moved as
    tf_keras's fused kernel moves it)."""
    from tfmodels.migration import FusedBatchNormalization

    return keras.Sequential([
        keras.Input((12, 12, 3)), keras.layers.Conv2D(8, (3, 3), activation="relu"),
        FusedBatchNormalization(), keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(16, (3, 3), activation="relu"), FusedBatchNormalization(),
        keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])


def dense_gradient_lstm():
    """The LSTM port with the Keras track's DenseGradientEmbedding (repeated tokens' gradients
    summed before the optimizer sees them, as tf_keras's optimizers sum them)."""
    from tfmodels.keras_track.embedding import DenseGradientEmbedding

    return keras.Sequential([
        keras.Input((7,), dtype="int32"), DenseGradientEmbedding(50, 8),
        keras.layers.LSTM(12, return_sequences=True), keras.layers.LSTM(6), keras.layers.Dense(1)])


@pytest.fixture(scope="module")
def reused(tmp_path_factory):
    """One Keras 2 process for each Keras 2 file below, whichever ports it is verified with."""
    with ReusedKeras2Runs(tmp_path_factory.mktemp("keras2_runs")) as runs:
        yield runs


def test_verify_keras2_names_a_planted_difference(legacy, reused):
    folder, _, _ = legacy
    wrong = verify_keras2(os.path.join(folder, "convnet.h5"), wrong_epsilon_convnet)
    assert wrong.failure.name == "outputs, no randomness"
    assert wrong.failure.detail.startswith("outputs differ: max |difference|")
    assert "(Keras 2 " in wrong.failure.detail
    assert wrong.failure.detail.endswith("; layer settings that differ: batch_normalization: "
                                         "epsilon 0.001 in Keras 2, 1e-05 in Keras 3")


def test_verify_keras2_names_keras2s_fused_batch_norm(legacy, reused):
    """tf_keras's BatchNormalization on images runs the fused kernel, whose moving variance
    moves towards the batch variance times n/(n-1): Keras 3's own layer drifts from it in
    training; the kit's FusedBatchNormalization does not."""
    folder, _, _ = legacy
    plain = verify_keras2(os.path.join(folder, "convnet.h5"), f"{HELPER}:convnet")
    assert plain.checks[1].ok and plain.failure.name == "3 training steps (adam, learning rate " \
                                                        "0.001)"
    assert re.match(r"step \d: weight (batch_normalization(_1)?)/moving_variance \(Keras 2 "
                    r"\1/moving_variance\): max \|difference\| ", plain.failure.detail), plain
    assert "port it as tfmodels.migration.FusedBatchNormalization" in plain.failure.detail
    fused = verify_keras2(os.path.join(folder, "convnet.h5"), fused_convnet)
    assert fused.ok, fused
    print(f"convnet: {plain.failure.detail[:90]}; fused port: {fused.checks[2].detail[:60]}")


def test_verify_keras2_names_keras3s_sparse_embedding_updates(legacy, reused):
    """The LSTM file's compiled Adam: a token read twice in a batch is updated as tf_keras
    updates it (repeats summed first) only by a port whose embedding gradient is dense."""
    folder, _, _ = legacy
    plain = verify_keras2(os.path.join(folder, "lstm.h5"), f"{HELPER}:lstm")
    assert [c.name for c in plain.checks] == ["names and shapes", "outputs, no randomness",
                                              "3 training steps (adam, learning rate 0.01)"]
    assert plain.checks[1].detail.startswith("equal on 8 inputs")  # token ids in [0, 50)
    assert "layer settings that differ" not in plain.checks[1].detail
    assert plain.failure.detail.startswith("step 1: weight embedding/embeddings (Keras 2 "
                                           "embedding/embeddings): max |difference| "), plain
    assert "port the layer as tfmodels.keras_track.embedding.DenseGradientEmbedding" in \
        plain.failure.detail
    dense = verify_keras2(os.path.join(folder, "lstm.h5"), dense_gradient_lstm)
    assert dense.ok, dense
    assert reused.runs <= 3  # the convnet's and the LSTM's (and the mlp command's)


def test_verify_keras2_command(legacy, capsys):
    folder, _, _ = legacy
    assert main(["verify", "--keras2", os.path.join(folder, "mlp_savedmodel"), "--keras",
                 f"{HELPER}:mlp"]) == 0
    out = capsys.readouterr().out
    assert "ok    outputs, no randomness: equal on 8 inputs" in out and "Equivalent." in out


def test_verify_keras2_of_a_weights_file_is_one_line(legacy):
    """A weights-only .h5 holds no model for tf_keras to run: the refusal is tf_keras's, one
    line."""
    folder, _, _ = legacy
    from tfmodels.migration.keras2_reference import verify_keras2

    with pytest.raises(UserError, match=r"^tf_keras cannot run the Keras 2 model '.*"
                                        r"mlp_weights\.h5': \w+Error: ") as e:
        verify_keras2(os.path.join(folder, "mlp_weights.h5"), f"{HELPER}:mlp")
    assert "\n" not in str(e.value)
