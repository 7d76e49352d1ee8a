"""The one epoch loop (`tfmodels.core.loop`), driven by steps that record what they are given."""

import types

import keras
import numpy as np
import pytest

from tfmodels.core.data import batch_indices
from tfmodels.core.loop import Means, evaluate_loop, fit_loop


def test_means_keep_kerass_float32_averages():
    """The loss weighted by the batch size, metrics as sums, in float32: Keras's `Mean`."""
    rng = np.random.default_rng(0)
    losses, sizes = rng.uniform(0, 3, 50).astype(np.float32), rng.integers(1, 40, 50)
    means = Means(["loss", "accuracy"])
    keras_mean = keras.metrics.Mean()
    hits = rng.integers(0, 2, 50)
    for loss, n, h in zip(losses, sizes, hits):
        means.add({"loss": loss, "accuracy": np.float32(h * n)}, int(n))
        keras_mean.update_state(loss, sample_weight=float(n))
    result = means.result()
    assert result["loss"] == float(keras_mean.result())  # bit for bit
    assert result["accuracy"] == pytest.approx((hits * sizes).sum() / sizes.sum(), rel=1e-6)
    means.set_state(means.state())
    assert means.result() == result
    means.reset()
    assert means.state() == {"loss": [0.0, 0.0], "accuracy": [0.0, 0.0]}


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("batch", batch))


def _fit(x, y, seen, stop_at=None, **kwargs):
    model = types.SimpleNamespace(stop_training=False)

    def step(xs, ys, idx):
        seen.append(list(idx))
        if stop_at is not None and len(seen) == stop_at:
            model.stop_training = True
        return {"loss": np.float32(xs[idx].sum()), "mae": np.float32(len(idx))}, len(idx)

    def evaluate(xs, ys, batch_size):
        return {"loss": float(len(xs)), "mae": 0.0}

    return fit_loop(model, step, x, y, names=["loss", "mae"], seed=3,
                    check=lambda a, b: (np.asarray(a), np.asarray(b)), evaluate=evaluate,
                    verbose=0, **kwargs)


def test_fit_loop_trains_the_seeded_batches_and_skips_a_resumed_epochs_first_steps():
    x, y = np.arange(10, dtype=np.float32)[:, None], np.zeros((10, 1), np.float32)
    seen, recorder = [], Recorder()
    history = _fit(x, y, seen, batch_size=3, epochs=3, initial_epoch=1, initial_step=2,
                   callbacks=[recorder])
    expected = (batch_indices(10, 3, epoch=1, seed=3)[2:]
                + batch_indices(10, 3, epoch=2, seed=3))
    assert seen == [list(b) for b in expected]
    # a resumed epoch's batches are numbered from 0, as Keras numbers them
    assert recorder.events == [("epoch", 1), ("batch", 0), ("batch", 1), ("epoch", 2),
                               ("batch", 0), ("batch", 1), ("batch", 2), ("batch", 3)]
    assert history.epoch == [1, 2]
    assert history.history["mae"] == [1.0, 1.0]  # each sample counted once: sum n / sum n


def test_fit_loop_splits_validation_and_stops_when_asked():
    x, y = np.arange(10, dtype=np.float32)[:, None], np.zeros((10, 1), np.float32)
    seen = []
    history = _fit(x, y, seen, batch_size=4, epochs=5, validation_split=0.2, stop_at=3)
    assert max(max(b) for b in seen) < 8  # the last 20% are kept for validation
    # 8 training samples: 2 steps an epoch; stopped at the 2nd epoch's 1st step, which still
    # ends with its validation (as Keras's fit does), on the 2 held-out samples
    assert len(seen) == 3 and history.epoch == [0, 1]
    assert history.history["val_loss"] == [2.0, 2.0]


def test_fit_loop_tells_begin_epoch_the_remaining_batches():
    x, y = np.arange(7, dtype=np.float32)[:, None], np.zeros((7, 1), np.float32)
    told = []
    model = types.SimpleNamespace(stop_training=False)
    fit_loop(model, lambda xs, ys, idx: ({"loss": 0.0}, len(idx)), x, y, names=["loss"],
             batch_size=2, epochs=1, seed=0, check=lambda a, b: (a, b), verbose=0,
             initial_step=1, begin_epoch=lambda xs, ys, batches: told.append(batches))
    assert [list(b) for b in told[0]] == [list(b) for b in batch_indices(7, 2, seed=0)[1:]]


def test_evaluate_loop_weights_each_batch_by_its_size():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)

    def step(idx):
        return {"loss": values[idx].mean()}, len(idx)

    result = evaluate_loop(step, 5, names=["loss"], batch_size=2)
    assert result["loss"] == pytest.approx(3.0, rel=1e-7)
