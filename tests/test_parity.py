"""The parity proof: both tracks, same weights, same batches -> the same numbers."""

import numpy as np
import pytest

from tfmodels.core.data import load_dataset
from tfmodels.core.registry import MODELS, get_spec
from tfmodels.core.spec import LOSS_RTOL, WEIGHT_ATOL, initial_weights
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


def test_a_different_hyper_parameter_makes_the_comparison_fail(monkeypatch):
    """The proof is sensitive to the maths: TF1 with its own default epsilon does not pass."""
    import tf1_compat.optimizers as tf1_opt

    spec = get_spec("binary4", epochs=2)
    original = tf1_opt.make_optimizer
    monkeypatch.setattr(
        "tf1_compat.model.make_optimizer",
        lambda s: original(type(s)(s.name, {**s.params, "epsilon": 1e-8, "learning_rate": 0.01})),
    )
    report = compare(spec, load_dataset(spec.dataset, spec.seed))
    assert not report.ok


def test_table_shows_both_tracks_per_epoch(compared):
    report, _ = compared("mnist_mlp")
    table = report.table()
    assert "loss keras" in table and "loss tf1" in table and "accuracy tf1" in table
    assert "parity: OK" in table
    assert len([ln for ln in table.splitlines() if ln.strip()[:1].isdigit()]) == 5
