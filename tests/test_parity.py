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


def synthetic_results():
    """Two tracks' results made up by hand: 3 epochs, differences chosen per number."""
    from tfmodels.training import TrackResult

    keras = TrackResult(
        history={"loss": [0.5, 0.2, 0.0], "accuracy": [0.25, 0.5, 0.75],
                 "val_loss": [0.4, 0.1, 0.3], "val_accuracy": [0.5, 0.5, 1.0]},
        weights=[np.array([[1.0, 2.0]]), np.array([3.0])],
        predictions=np.array([[0.1, 0.9], [0.6, 0.4]]))
    tf1 = TrackResult(
        history={"loss": [0.51, 0.2, 1e-9], "accuracy": [0.0, 0.5, 0.75],
                 "val_loss": [0.4, 0.103, 0.3], "val_accuracy": [0.5, 0.5, 0.0]},
        weights=[np.array([[1.0, 2.25]]), np.array([2.5])],
        predictions=np.array([[0.1, 0.9], [0.35, 0.4]]))
    return keras, tf1


def test_parity_measures_each_loss_relative_to_the_keras_track():
    """Per epoch the larger of the train and validation losses' relative differences (to the
    Keras track's value; a zero loss against 1e-12, so any difference there counts), metrics
    left out; the weights' and predictions' largest absolute differences."""
    keras, tf1 = synthetic_results()
    report = parity(keras, tf1)
    # by hand: epoch 1 |0.5-0.51|/0.5 (train), epoch 2 |0.1-0.103|/0.1 (validation),
    # epoch 3 1e-9/1e-12; the accuracies' differences (up to 1.0) are not losses
    np.testing.assert_allclose(report.loss_rdiff, [0.02, 0.03, 1e3], rtol=1e-9)
    assert report.max_loss_rdiff == report.loss_rdiff[2]
    assert report.weight_diff == 0.5 and report.prediction_diff == 0.25
    assert not report.ok


def test_parity_refuses_tracks_that_logged_different_metrics():
    keras, tf1 = synthetic_results()
    del tf1.history["accuracy"], tf1.history["val_accuracy"]
    with pytest.raises(ValueError) as raised:
        parity(keras, tf1)
    assert str(raised.value) == (
        "the tracks logged different metrics: ['accuracy', 'loss', 'val_accuracy', 'val_loss']"
        " vs ['loss', 'val_loss']")


def test_table_lays_out_every_number_in_keras_order_and_the_verdict():
    """Columns: the epoch, then loss, the metrics, val_loss, the validation metrics (each Keras
    then TF1), then the loss's relative difference; below, the three largest differences
    against their tolerances and the verdict, after an empty line."""
    keras, tf1 = synthetic_results()
    keras.history["zeta"] = keras.history["alpha"] = [1.0, 1.0, 1.0]  # sorted after the loss
    tf1.history["zeta"] = tf1.history["alpha"] = [1.0, 1.0, 1.0]
    lines = parity(keras, tf1).table().splitlines()
    assert lines[0].split() == [
        "epoch", "loss", "keras", "loss", "tf1", "accuracy", "keras", "accuracy", "tf1",
        "alpha", "keras", "alpha", "tf1", "zeta", "keras", "zeta", "tf1",
        "val_loss", "keras", "val_loss", "tf1", "val_accuracy", "keras", "val_accuracy", "tf1",
        "loss", "rel.Δ"]
    assert [line.split() for line in lines[1:4]] == [
        ["1", "0.500000", "0.510000", "0.250000", "0.000000", "1.000000", "1.000000",
         "1.000000", "1.000000", "0.400000", "0.400000", "0.500000", "0.500000", "2.0e-02"],
        ["2", "0.200000", "0.200000", "0.500000", "0.500000", "1.000000", "1.000000",
         "1.000000", "1.000000", "0.100000", "0.103000", "0.500000", "0.500000", "3.0e-02"],
        ["3", "0.000000", "0.000000", "0.750000", "0.750000", "1.000000", "1.000000",
         "1.000000", "1.000000", "0.300000", "0.300000", "1.000000", "0.000000", "1.0e+03"]]
    assert lines[4:] == [
        "",
        "largest relative difference in an epoch's loss: 1.0e+03  (tolerance 1e-05)",
        "largest difference in the final weights:        5.0e-01  (tolerance 1e-05)",
        "largest difference in the predictions:          2.5e-01  (tolerance 1e-05)",
        "parity: FAILED: the tracks disagree beyond the tolerance"]
    same = parity(keras, keras).table().splitlines()
    assert same[-1] == "parity: OK: both tracks computed the same numbers"


def test_log_parity_writes_each_difference_per_epoch(tmp_path):
    """The `parity/` scalars of the made-up results, by hand; the weights' and predictions'
    at the last epoch only."""
    from tests.helpers import read
    from tfmodels.parity import log_parity

    keras, tf1 = synthetic_results()
    expected = {
        "parity/loss_abs_diff": [0.01, 0.0, 1e-9],
        "parity/accuracy_abs_diff": [0.25, 0.0, 0.0],
        "parity/val_loss_abs_diff": [0.0, 0.003, 0.0],
        "parity/val_accuracy_abs_diff": [0.0, 0.0, 1.0],
        "parity/loss_rel_diff": [0.02, 0.03, 1e3],
        "parity/weight_max_abs_diff": [0.5],
        "parity/prediction_max_abs_diff": [0.25]}
    written = log_parity(parity(keras, tf1), str(tmp_path))
    assert set(written) == set(expected)
    for tag, values in expected.items():
        np.testing.assert_allclose(written[tag], values, rtol=1e-6, atol=1e-15, err_msg=tag)
    _, logged = read(str(tmp_path))
    assert set(logged) == set(expected)
    for tag, values in expected.items():
        steps, got = zip(*logged[tag])
        assert list(steps) == ([2] if len(values) == 1 else [0, 1, 2]), tag
        np.testing.assert_allclose(got, values, rtol=1e-6, atol=1e-15, err_msg=tag)


def test_compare_trains_both_tracks_from_one_start_and_logs_under_run_dir(monkeypatch, capsys,
                                                                           tmp_path):
    """What `compare` hands each track (the tracks themselves stubbed: their results made up
    by hand), what it prints, and where the logs go."""
    import os

    import tfmodels.parity as parity_module

    keras, tf1 = synthetic_results()
    calls = []

    def stub(track, result):
        def train(*args, **kwargs):
            print(f"<{track} trains>")
            calls.append((track, args, kwargs))
            return result
        return train

    monkeypatch.setattr(parity_module, "train_keras", stub("keras", keras))
    monkeypatch.setattr(parity_module, "train_tf1", stub("tf1", tf1))
    spec = get_spec("binary4", epochs=1)
    start = initial_weights(spec)

    report = compare(spec, "data", strategy="s")  # the defaults: quiet, no logs
    assert capsys.readouterr().out == "<keras trains>\n<tf1 trains>\n"
    for (track, args, kwargs) in calls:
        assert args[:2] == (spec, "data") and args[3:] == (None, 0, None), track
        assert all(np.array_equal(a, b) for a, b in zip(args[2], start, strict=True))
        assert kwargs == {"strategy": "s"}
    assert report.weight_diff == 0.5
    assert not os.path.exists(tmp_path / "run")

    calls.clear()
    run_dir = str(tmp_path / "run")
    compare(spec, "data", run_dir, weights="w", verbose=2, options="o",
            keras_options={"jit_compile": True}, strategy="s")
    assert capsys.readouterr().out == (
        "\n-- Keras track (keras.Sequential, compile/fit) --\n<keras trains>\n"
        "\n-- TF1 track (tf.compat.v1 Graph, Session, feed_dict) --\n<tf1 trains>\n")
    assert calls == [
        ("keras", (spec, "data", "w", os.path.join(run_dir, "keras"), 2, "o"),
         {"jit_compile": True, "strategy": "s"}),
        ("tf1", (spec, "data", "w", os.path.join(run_dir, "tf1"), 2, "o"), {"strategy": "s"})]
    assert os.listdir(run_dir) == ["parity"] and os.listdir(os.path.join(run_dir, "parity"))



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
    from tests.helpers import numpy_fit

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
    from tests.helpers import numpy_fit

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
