"""The Keras track: a compiled keras.Sequential from a spec, with checked inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfmodels.core.data import batch_indices
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import initial_weights
from tfmodels.keras_track.model import EpochBatches, SpecSequential, TrainingRows, build_model


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
    batches = EpochBatches(10, 4, seed=3, shuffle=True)
    for epoch in (0, 1, 0):
        batches.set_epoch(epoch)
        served = [idx.numpy() for idx in batches.dataset]
        expected = batch_indices(10, 4, epoch=epoch, seed=3)
        assert len(served) == len(expected) == 3
        for idx, want in zip(served, expected):
            assert np.array_equal(idx, want)
    resumed = EpochBatches(10, 4, seed=3, shuffle=True, epoch=1, skip=1)
    served = [idx.numpy() for idx in resumed.dataset]
    assert [len(b) for b in served] == [4, 2]
    assert np.array_equal(served[0], batch_indices(10, 4, epoch=1, seed=3)[1])


def test_epoch_batches_gathered_serve_the_rows_and_prefetch_only_for_a_gpu(monkeypatch):
    """Under several replicas the pipeline gathers the rows; a GPU then gets prefetching. The
    batches of indices themselves are never tuned (nothing to tune)."""
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    y = np.arange(10, dtype=np.float32).reshape(10, 1)
    batches = EpochBatches(10, 4, seed=3, shuffle=True)
    assert batches.dataset.options().autotune.enabled is False
    cpu = batches.gathered(x, y)
    assert cpu.options().autotune.enabled is False
    for (xb, yb), idx in zip(cpu, batch_indices(10, 4, epoch=0, seed=3)):
        assert np.array_equal(xb.numpy(), x[idx]) and np.array_equal(yb.numpy(), y[idx])
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda kind=None: ["/device:GPU:0"] if kind == "GPU" else [])
    gpu = batches.gathered(x, y)
    assert "Prefetch" in type(gpu).__name__
    assert len(list(cpu)) == len(list(gpu)) == 3


def fit_through_keras(model, x, y, epochs, seed, batch_size=4):
    """Keras's own `fit` (no `TrainingRows`) fed `x[idx], y[idx]` for each batch of
    `batch_indices` in `epochs`, as one pass."""
    rows = [(x[idx], y[idx]) for epoch in epochs
            for idx in batch_indices(len(x), batch_size, epoch=epoch, seed=seed)]
    fed = tf.data.Dataset.from_tensors(rows[0])
    for batch in rows[1:]:
        fed = fed.concatenate(tf.data.Dataset.from_tensors(batch))
    keras.Sequential.fit(model, fed, epochs=1, shuffle=False, verbose=0)


def test_fit_gathers_in_the_step_what_keras_would_be_fed():
    """Outside strategies `fit` passes indices and the step gathers the rows from
    `TrainingRows`. The weights equal those of Keras's own path fed the same rows, batch by
    batch, bit for bit; a second `fit` brings other data (of another size) and trains on that,
    and the model has no more weights than before."""
    spec = get_spec("binary4")
    rng = np.random.default_rng(0)
    data = [(rng.normal(size=(n, 4)).astype(np.float32),
             rng.integers(0, 2, size=(n, 1)).astype(np.float32)) for n in (12, 7)]
    ours, keras_fed = build_model(spec), build_model(spec)
    count = len(ours.weights)
    for x, y in data:
        ours.fit(x, y, batch_size=4, epochs=2, verbose=0)
        fit_through_keras(keras_fed, x, y, (0, 1), spec.seed)
        for a, b in zip(ours.get_weights(), keras_fed.get_weights()):
            assert np.array_equal(a, b)
    assert np.array_equal(ours._rows.x.numpy(), data[-1][0])  # the last fit's, as in TF1
    assert len(ours.weights) == count


def test_fit_sees_arrays_changed_in_place_since_the_last_fit():
    """`TrainingRows` copies arrays in only when they differ from those held: an array the
    user changed in place between two fits must still be trained on as it is now."""
    spec = get_spec("binary4")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = rng.integers(0, 2, size=(12, 1)).astype(np.float32)
    first, changed = x.copy(), rng.normal(size=(12, 4)).astype(np.float32)
    in_place, keras_fed = build_model(spec), build_model(spec)
    in_place.fit(x, y, batch_size=4, epochs=1, verbose=0)
    x[:] = changed
    in_place.fit(x, y, batch_size=4, epochs=2, initial_epoch=1, verbose=0)
    fit_through_keras(keras_fed, first, y, (0,), spec.seed)
    fit_through_keras(keras_fed, changed, y, (1,), spec.seed)
    for a, b in zip(in_place.get_weights(), keras_fed.get_weights()):
        assert np.array_equal(a, b)


def test_epoch_batches_leave_nothing_behind_once_used():
    """tf.data keeps `from_generator`'s generator in a registry; were it to hold the pipeline,
    every `fit` would keep its own copy of the data set (measured: +188 MB a fit at 60,000
    MNIST rows)."""
    import gc
    import weakref

    batches = EpochBatches(10, 4, seed=0, shuffle=True)
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


def test_training_rows_compare_bits_not_numbers():
    """-0.0 equals 0.0 as a number: held rows of 0.0 must still be replaced by -0.0 rows."""
    zeros = np.zeros((3, 2), np.float32)
    rows = TrainingRows(zeros, zeros[:, :1])
    rows.fill(-zeros, zeros[:, :1])
    assert np.signbit(rows.x.numpy()).all()


@pytest.mark.parametrize("row", [0, 4095, 4096, 8192, 9999])
def test_training_rows_see_a_change_in_any_block_of_rows(row):
    """`TrainingRows.fill` compares a block of 4,096 rows at a time: a change in the first or
    last row of a block, or in the last, shorter block, must still be copied in."""
    x = np.zeros((10_000, 3), np.float32)
    rows = TrainingRows(x, x[:, :1])
    changed = x.copy()
    changed[row, 2] = 1.0
    rows.fill(changed, x[:, :1])
    assert np.array_equal(rows.x.numpy(), changed)


def test_training_rows_are_read_in_place_after_training_steps():
    """The step gathers from the variables' values: a gather from the variables themselves
    would leave them copying their whole buffer at every later read, the comparison of the next
    `fit` included."""
    spec = get_spec("binary4")
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = build_model(spec)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    for variable in (model._rows.x, model._rows.y):
        assert np.shares_memory(np.asarray(variable.value()), np.asarray(variable.value()))


@pytest.mark.parametrize("held, new", [(4096, 8192), (8192, 4096), (5, 3)])
def test_training_rows_take_arrays_of_another_length(held, new):
    """Also when the rows held are the first rows of the new arrays, or the new ones the first
    of those held."""
    x = np.arange(max(held, new) * 2, dtype=np.float32).reshape(-1, 2)
    rows = TrainingRows(x[:held], x[:held, :1])
    rows.fill(x[:new], x[:new, :1])
    assert np.array_equal(rows.x.numpy(), x[:new])
    assert np.array_equal(rows.y.numpy(), x[:new, :1])


def test_fit_in_parts_trains_as_one_fit_on_the_pipeline_it_keeps():
    """`fit` keeps its pipeline of indices for the next `fit` of the same sample count and batch
    size; each part must still get its own epochs' orders, and other data a pipeline of its
    own."""
    spec = get_spec("binary4")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4)).astype(np.float32)
    y = rng.integers(0, 2, size=(12, 1)).astype(np.float32)
    whole, parts = build_model(spec), build_model(spec)
    whole.fit(x, y, batch_size=4, epochs=3, verbose=0)
    parts.fit(x, y, batch_size=4, epochs=1, verbose=0)
    kept = parts._kept_pipeline[1]
    parts.fit(x, y, batch_size=4, epochs=3, initial_epoch=1, verbose=0)
    assert parts._kept_pipeline[1] is kept
    for a, b in zip(whole.get_weights(), parts.get_weights()):
        assert np.array_equal(a, b)
    parts.fit(x[:10], y[:10], batch_size=4, epochs=1, verbose=0)
    assert parts._kept_pipeline[1] is not kept and len(parts._kept_pipeline[1]) == 3


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
