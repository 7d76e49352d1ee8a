"""The one epoch loop, for every model that does not run Keras's own `fit`.

The TF1 model (`tf1_compat.model`), the Keras track's multi-worker model
(`tfmodels.keras_track.distribute`) and the TF1 parameter-server cluster (`tf1_compat.cluster`)
all train through `fit_loop` and evaluate through `evaluate_loop`; each passes only its step.
What it keeps is what Keras's `fit` keeps:

- the epoch's running means as Keras's `Mean` metrics keep them (`Means`: float32 total and
  count; the loss weighted by the batch's size, a metric arriving as a batch sum);
- Keras's `CallbackList`: History, the progress bar, and any callback that needs only logs,
  `stop_training` or the model's weights;
- `validation_split`/`validation_data`, evaluated after each epoch into `val_*` logs;
- `initial_epoch`, and `initial_step` (not in Keras): the part-done epoch of a checkpoint,
  its first `initial_step` batches skipped, numbered from 0 as Keras numbers a resumed epoch;
- the stop: `model.stop_training` (set by `TerminateOnNaN` or any callback) ends the epoch.

The batches are `batch_indices(seed=...)`, the helper the Keras track's `fit` uses too.
"""

from __future__ import annotations

import keras
import numpy as np

from tfmodels.core.checks import check_batch_size, check_epochs
from tfmodels.core.data import batch_indices, split_validation, steps_per_epoch

__all__ = ["Means", "fit_loop", "evaluate_loop"]


class Means:
    """Keras's epoch averages, kept as Keras keeps them: float32 `total` and `count` per name.

    The loss is a per-batch mean, weighted by the batch's size; a metric arrives as a batch sum
    of per-sample values. Accumulating in float32 like Keras's `Mean` metric (rather than in
    float64) makes the epoch numbers equal bit for bit whenever the weights are.
    """

    def __init__(self, names):
        self.names = list(names)
        self.reset()

    def reset(self) -> None:
        self.total = dict.fromkeys(self.names, np.float32(0))
        self.count = dict.fromkeys(self.names, np.float32(0))

    def state(self) -> dict:
        return {k: [float(self.total[k]), float(self.count[k])] for k in self.total}

    def set_state(self, state: dict) -> None:
        for k, (total, count) in state.items():
            self.total[k], self.count[k] = np.float32(total), np.float32(count)

    def add(self, values: dict, batch: int) -> None:
        n = np.float32(batch)
        for name, value in values.items():
            value = np.float32(value)
            self.total[name] += value * n if name == "loss" else value
            self.count[name] += n

    def result(self) -> dict:
        return {k: float(self.total[k] / self.count[k]) for k in self.total}


def fit_loop(model, step, x, y, *, names, batch_size, epochs, seed, check, evaluate=None,
             begin_epoch=None, means=None, verbose="auto", callbacks=None, validation_split=0.0,
             validation_data=None, shuffle=True, initial_epoch=0, initial_step=0,
             refuse_large_batch=False):
    """Keras's `fit` around `step`; returns Keras's `History`.

    - `step(x, y, idx)` trains one batch (rows `idx` of the checked training arrays) and
      returns `(values, n)`: `{"loss": batch mean, metric: batch sum, ...}` and the number of
      samples they cover.
    - `names`: the loss and metric names `step` returns, in order.
    - `check(x, y)` refuses bad data (one line) and returns the arrays to train on.
    - `evaluate(x, y, batch_size)` gives the validation logs `{name: mean}`.
    - `begin_epoch(x, y, batches)`, if given, is told the epoch's remaining batches first.
    - `model` is what callbacks see (`stop_training`, weights).
    - `refuse_large_batch`: refuse a `batch_size` given larger than the training samples (a
      model's `fit`; a cluster's workers, which train shards of a global batch, leave it off).
    - `means`, if given, is the `Means` to keep the epoch's averages in (reset as each epoch
      begins), so that a checkpoint can save and restore a part-done epoch's.
    """
    x, y = check(x, y)
    check_epochs(epochs, initial_epoch)
    given, batch_size = batch_size, check_batch_size(batch_size)
    if validation_split:
        (x, y), validation_data = split_validation(x, y, validation_split)
    if refuse_large_batch and given is not None:
        check_batch_size(given, len(x))
    if validation_data is not None:
        validation_data = check(*validation_data[:2])
    if evaluate is None and validation_data is not None:
        raise ValueError("this model cannot evaluate validation data")
    verbose = 1 if verbose == "auto" else verbose
    callbacks = keras.callbacks.CallbackList(
        callbacks, add_history=True, add_progbar=verbose != 0, model=model, verbose=verbose,
        epochs=epochs, steps=steps_per_epoch(len(x), batch_size))
    means = Means(names) if means is None else means
    model.stop_training = False
    logs = None
    callbacks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        means.reset()
        callbacks.on_epoch_begin(epoch)
        batches = batch_indices(len(x), batch_size, epoch=epoch, seed=seed, shuffle=shuffle)
        batches = batches[initial_step if epoch == initial_epoch else 0:]
        if begin_epoch is not None:
            begin_epoch(x, y, batches)
        for i, idx in enumerate(batches):
            callbacks.on_train_batch_begin(i)
            values, n = step(x, y, idx)
            means.add(values, n)
            callbacks.on_train_batch_end(i, means.result())
            if model.stop_training:
                break
        logs = means.result()
        if validation_data is not None:
            val = evaluate(*validation_data, batch_size)
            logs.update({f"val_{k}": v for k, v in val.items()})
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
    return callbacks._history


def evaluate_loop(step, num_samples: int, *, names, batch_size, verbose=0) -> dict:
    """Loss and metrics over all samples, batch by batch in order: `{name: mean}`.

    `step(idx)` returns `(values, n)` for the batch `idx` as `fit_loop`'s step does, without
    training.
    """
    batch_size = check_batch_size(batch_size)
    means = Means(names)
    batches = batch_indices(num_samples, batch_size, shuffle=False)
    bar = keras.utils.Progbar(len(batches), verbose=verbose) if verbose else None
    for i, idx in enumerate(batches):
        values, n = step(idx)
        means.add(values, n)
        if bar:
            bar.update(i + 1, list(means.result().items()))
    return means.result()
