"""The Keras track: a compiled keras.Sequential from a spec, with checked inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfmodels.core.data import batch_indices
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import initial_weights
from tfmodels.keras_track.model import EpochBatches, SpecSequential, build_model


@pytest.fixture(scope="module")
def model():
    return build_model(get_spec("mnist_mlp"))


def test_builds_the_spec_as_a_compiled_sequential(model):
    assert isinstance(model, keras.Sequential) and isinstance(model, SpecSequential)
    assert [ly.name for ly in model.layers] == ["dense_0", "dense_1"]
    assert model.input_shape == (None, 64) and model.output_shape == (None, 10)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.loss == "categorical_crossentropy"


def test_integer_labels_for_a_one_hot_loss_get_a_hint(model):
    with pytest.raises(ValueError, match=r"y has shape \(2,\).*to_categorical\(y, 10\)"):
        model.evaluate(np.zeros((2, 64)), np.array([1, 2]), verbose=0)


def test_epoch_batches_serve_the_shared_helpers_order():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    y = np.arange(10, dtype=np.float32).reshape(10, 1)
    batches = EpochBatches(x, y, 4, seed=3, shuffle=True)
    for epoch in (0, 1, 0):
        batches.set_epoch(epoch)
        served = [(xb.numpy(), yb.numpy()) for xb, yb in batches.dataset]
        expected = batch_indices(10, 4, epoch=epoch, seed=3)
        assert len(served) == len(expected) == 3
        for (xb, yb), idx in zip(served, expected):
            assert np.array_equal(xb, x[idx]) and np.array_equal(yb, y[idx])
    resumed = EpochBatches(x, y, 4, seed=3, shuffle=True, epoch=1, skip=1)
    served = [xb.numpy() for xb, _ in resumed.dataset]
    assert [len(b) for b in served] == [4, 2]
    assert np.array_equal(served[0], x[batch_indices(10, 4, epoch=1, seed=3)[1]])


def test_epoch_batches_prefetch_only_for_a_gpu(monkeypatch):
    """On the CPU the step gathers its own batch (autotuning off); a GPU gets prefetching."""
    x, y = np.zeros((10, 4), np.float32), np.zeros((10, 1), np.float32)
    cpu = EpochBatches(x, y, 4, seed=0, shuffle=True).dataset
    assert cpu.options().autotune.enabled is False
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda kind=None: ["/device:GPU:0"] if kind == "GPU" else [])
    gpu = EpochBatches(x, y, 4, seed=0, shuffle=True).dataset
    assert gpu.options().autotune.enabled is not False
    assert "Prefetch" in type(gpu._input_dataset).__name__  # under assert_cardinality
    assert len(list(cpu)) == len(list(gpu)) == 3


def test_epoch_batches_leave_nothing_behind_once_used():
    """tf.data keeps `from_generator`'s generator in a registry; were it to hold the pipeline,
    every `fit` would keep its own copy of the data set (measured: +188 MB a fit at 60,000
    MNIST rows)."""
    import gc
    import weakref

    batches = EpochBatches(np.zeros((10, 4), np.float32), np.zeros((10, 1), np.float32), 4,
                           seed=0, shuffle=True)
    assert len(list(batches.dataset)) == 3
    freed = weakref.ref(batches.dataset)
    del batches
    gc.collect()
    assert freed() is None


def test_fit_asks_for_each_epochs_order(monkeypatch):
    asked = []
    set_epoch = EpochBatches.set_epoch

    def spy(self, epoch, skip=0):
        asked.append((epoch, skip))
        set_epoch(self, epoch, skip)

    monkeypatch.setattr(EpochBatches, "set_epoch", spy)
    x, y = np.zeros((10, 4), np.float32), np.zeros((10, 1), np.float32)
    build_model(get_spec("binary4")).fit(x, y, batch_size=4, epochs=3, initial_epoch=1,
                                         verbose=0)
    assert asked == [(1, 0), (1, 0), (2, 0)]  # made for epoch 1, then each epoch as it begins


def test_evaluate_and_predict_return_what_keras_returns(model):
    """On zero inputs a dense layer outputs its activation of its bias: at the spec's start
    (zero biases) every class gets 1/10, the loss is log(10), and the tie goes to class 0."""
    x, y = np.zeros((3, 64), np.float32), np.eye(10, dtype=np.float32)[[0, 1, 2]]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and isinstance(acc, float)
    np.testing.assert_allclose(loss, np.log(10), rtol=1e-6)  # float32
    assert acc == pytest.approx(1 / 3, rel=1e-6)  # argmax of a tie is the first class
    p = model.predict(x, verbose=0)
    assert p.shape == (3, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p, np.full((3, 10), 0.1), rtol=1e-6)


def test_zero_inputs_give_the_activation_of_the_biases():
    """With biases that are not zero: softmax(relu(b1) @ W2 + b2), whatever the kernel of the
    first layer."""
    spec = get_spec("mnist_mlp")
    rng = np.random.default_rng(5)
    weights = [w if w.ndim == 2 else rng.normal(0, 1, w.shape).astype(np.float32)
               for w in initial_weights(spec)]
    _, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    z = np.maximum(b1, 0) @ w2 + b2
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    labels = [int(expected.argmax()), (int(expected.argmax()) + 1) % 10]
    x, y = np.zeros((2, 64), np.float32), np.eye(10, dtype=np.float32)[labels]
    model = build_model(spec, weights)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(p, np.tile(expected, (2, 1)), rtol=1e-5)  # float32, 512 terms
    loss, acc = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loss, -np.log(expected[labels]).mean(), rtol=1e-5)
    assert acc == 0.5  # the first label is the most probable class, the second is not
