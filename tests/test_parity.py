"""The parity proof: both tracks, same weights, same batches -> the same numbers."""

import numpy as np
import pytest

from tfmodels.core.data import load_dataset
from tfmodels.core.registry import MODELS, get_spec
from tfmodels.core.spec import (
    ACTIVATIONS,
    LOSS_RTOL,
    PREDICTION_ATOL,
    WEIGHT_ATOL,
    Dense,
    ModelSpec,
    OptimizerSpec,
    initial_weights,
)
from tfmodels.parity import compare, parity, train_keras, train_tf1


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_trains_to_the_same_numbers(compared, name):
    report, _ = compared(name)
    spec = get_spec(name)
    k, t = report.keras.history, report.tf1.history
    assert len(k["loss"]) == spec.epochs
    np.testing.assert_allclose(t["loss"], k["loss"], rtol=LOSS_RTOL)
    np.testing.assert_allclose(t["val_loss"], k["val_loss"], rtol=LOSS_RTOL)
    for kw, tw in zip(report.keras.weights, report.tf1.weights):
        np.testing.assert_allclose(tw, kw, rtol=0, atol=WEIGHT_ATOL)
    assert report.ok
    # and the model did learn something: the loss fell
    assert k["loss"][-1] < k["loss"][0]


@pytest.mark.parametrize("name", ["spiral", "sine", "binary4"])
def test_adam_models_are_equal_bit_for_bit(compared, name):
    """Adam (with pow'd beta powers and float32 hyper-parameters) leaves nothing to round."""
    report, _ = compared(name)
    assert report.weight_diff == 0 and report.prediction_diff == 0
    assert report.keras.history == report.tf1.history


@pytest.mark.slow  # a subprocess, 30 s
def test_convnet_with_dropout_is_bit_for_bit_without_onednn():
    """The convnet's training differs by ulps only where TensorFlow's oneDNN rewrite gives the
    two graphs different convolution-gradient kernels (some CPUs); without it, bit for bit."""
    import os
    import subprocess
    import sys

    code = ("from tfmodels.core.data import load_dataset; from tfmodels.core.registry import "
            "get_spec; from tfmodels.parity import compare; "
            "spec = get_spec('digits_cnn', epochs=1); "
            "r = compare(spec, load_dataset(spec.dataset)); "
            "print(r.weight_diff, r.prediction_diff, r.keras.history == r.tf1.history)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["0.0", "0.0", "True"]


def test_rmsprop_model_is_equal_bit_for_bit_with_the_fused_kernel(compared):
    """The Keras track's RMSprop runs the kernel TF1's `RMSPropOptimizer` runs."""
    report, _ = compared("mnist_mlp")
    assert report.weight_diff == 0 and report.prediction_diff == 0
    assert report.keras.history == report.tf1.history


def test_stock_keras_rmsprop_differs_only_by_rounding():
    """Keras's own RMSprop ops order one sum differently from the fused kernel: ~1 ulp a step."""
    spec = get_spec("mnist_mlp", epochs=2)
    data = load_dataset(spec.dataset, spec.seed)
    weights = initial_weights(spec)
    report = parity(train_keras(spec, data, weights, fused_optimizer=False),
                    train_tf1(spec, data, weights))
    assert 0 < report.weight_diff < 1e-6
    assert report.max_loss_rdiff < 1e-6
    assert report.ok


def test_one_perturbed_weight_makes_the_comparison_fail():
    spec = get_spec("binary4", epochs=2)
    data = load_dataset(spec.dataset, spec.seed)
    weights = initial_weights(spec)
    perturbed = [w.copy() for w in weights]
    perturbed[0][0, 0] += 1e-3
    report = parity(train_keras(spec, data, weights), train_tf1(spec, data, perturbed))
    assert not report.ok
    assert report.weight_diff > WEIGHT_ATOL
    assert "FAILED" in report.table()


def test_tf1s_own_adam_epsilon_alone_makes_the_comparison_fail(monkeypatch):
    """The proof is sensitive to the maths: the TF1 track with TF1's default Adam epsilon (1e-8,
    Keras's is 1e-7) and nothing else changed fails, by a margin that means something.

    On the spiral the biases start at zero and some gradients stay near epsilon's size, so one
    epoch moves the weights 7.5e-3 (750 times the tolerance; on binary4 the same change moves
    them only 1.2e-5). NumPy, with each epsilon, says the move is epsilon's: the TF1 track ends
    where NumPy's epsilon-1e-8 run ends, the Keras track where the 1e-7 run ends."""
    import tf1_compat.optimizers as tf1_opt
    from tests.numpy_fit import numpy_fit

    spec = get_spec("spiral", epochs=1)
    tf1_spec = type(spec.optimizer)("adam", {**spec.optimizer.params, "epsilon": 1e-8})
    assert {k for k, v in spec.optimizer.params.items() if tf1_spec.params[k] != v} == {
        "epsilon"}
    original = tf1_opt.make_optimizer
    monkeypatch.setattr("tf1_compat.model.make_optimizer",
                        lambda s, *a, **kw: original(tf1_spec, *a, **kw))
    data = load_dataset(spec.dataset, spec.seed)
    report = compare(spec, data)
    assert not report.ok
    assert report.weight_diff > 100 * WEIGHT_ATOL

    def numpy_weights(optimizer):
        return numpy_fit(spec.replace(optimizer=optimizer), data.x_train, data.y_train,
                         dtype=np.float64)[1]

    def max_diff(a, b):
        return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))

    keras_eps, tf1_eps = numpy_weights(spec.optimizer), numpy_weights(tf1_spec)
    # float32 tracks against float64 NumPy: 4e-7 and 1.2e-6 measured, 0.6 % of the move
    assert max_diff(report.keras.weights, keras_eps) < 1e-5
    assert max_diff(report.tf1.weights, tf1_eps) < 1e-5
    np.testing.assert_allclose(report.weight_diff, max_diff(keras_eps, tf1_eps), rtol=1e-2)


HIDDEN_ACTIVATIONS = [a for a in ACTIVATIONS if a != "step"]  # the spec refuses step in models


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_activation_trains_to_the_same_numbers_in_both_tracks(activation):
    """Each activation as the hidden layer of a small spiral model, 2 epochs: parity, a falling
    loss, and both tracks where NumPy's reference of that activation ends."""
    from tests.numpy_fit import numpy_fit

    spec = ModelSpec(name=f"spiral_{activation}", layers=(Dense(16, activation),
                                                          Dense(3, "softmax")),
                     loss="categorical_crossentropy",
                     optimizer=OptimizerSpec("adam", {"learning_rate": 0.02}),
                     metrics=("accuracy",), dataset="spiral", input_dim=2, epochs=2)
    data = load_dataset("spiral", spec.seed)
    report = compare(spec, data)
    assert report.ok, report.table()
    losses = report.keras.history["loss"]
    assert losses[-1] < losses[0]
    if activation == "randomized_relu":
        # its training slopes are Keras's stateless Philox draws, which NumPy does not make;
        # both tracks draw them alike (report.ok above), and at inference the slope is the mean
        return
    history, weights = numpy_fit(spec, data.x_train, data.y_train, dtype=np.float64)
    for track in (report.keras, report.tf1):  # float32 against float64, 40 Adam steps
        np.testing.assert_allclose(track.history["loss"], history["loss"], rtol=1e-5)
        for got, expected in zip(track.weights, weights):
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_table_shows_both_tracks_per_epoch(compared):
    report, _ = compared("mnist_mlp")
    table = report.table()
    assert "loss keras" in table and "loss tf1" in table and "accuracy tf1" in table
    assert "parity: OK" in table
    assert len([ln for ln in table.splitlines() if ln.strip()[:1].isdigit()]) == 5


def test_ok_reads_the_tolerances_as_inclusive():
    """A report exactly at each tolerance is ok; one step beyond any of them is not."""
    from tfmodels.parity import ParityReport

    def report(loss, weight, prediction):
        return ParityReport(None, None, [0.0, loss], weight, prediction)

    assert report(LOSS_RTOL, WEIGHT_ATOL, PREDICTION_ATOL).ok
    for beyond in ((np.nextafter(LOSS_RTOL, 1), WEIGHT_ATOL, PREDICTION_ATOL),
                   (LOSS_RTOL, np.nextafter(WEIGHT_ATOL, 1), PREDICTION_ATOL),
                   (LOSS_RTOL, WEIGHT_ATOL, np.nextafter(PREDICTION_ATOL, 1))):
        assert not report(*beyond).ok, beyond


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_training_a_track_prints_nothing_by_default(track, capsys):
    spec = get_spec("binary4", epochs=1)
    data = load_dataset(spec.dataset)
    (train_keras if track == "keras" else train_tf1)(spec, data, initial_weights(spec))
    assert capsys.readouterr().out == ""
