"""Checkpoints of the Keras track: `save_weights`/`load_weights`, resumable to the very batch.

The callback and `checkpoint.json` are the ones both tracks share (`tfmodels.core.checkpoint`);
here is what touches a Keras model: its weights file, optimizer step and metric variables.

    state = restore(model, "ckpt", spec)        # None on a first run
    model.fit(x, y, epochs=5, initial_epoch=state.epoch, initial_step=state.step,
              callbacks=[BackupAndRestore("ckpt", spec, save_freq=100, state=state)])
"""

from __future__ import annotations

import os

import keras
import numpy as np

from tfmodels.core import checkpoint
from tfmodels.core.errors import UserError, folded
from tfmodels.core.spec import ModelSpec
from tfmodels.core.training_state import PREFIX, TrainingState, read_state

__all__ = ["TRACK", "seed_generators", "restore", "BackupAndRestore"]

TRACK = "keras"


def _weights_name(iterations: int) -> str:
    return f"{PREFIX}{iterations:08d}.weights.h5"


def seed_generators(model) -> dict:
    """The state variable of every layer's `SeedGenerator` (Dropout's), by layer name: Keras's
    `save_weights` does not keep them, so a checkpoint saves them itself (measured on Keras
    3.15: a reloaded Dropout starts its counter at 0 again, and draws the first masks again)."""
    return {layer.name: layer.seed_generator.state for layer in model.layers
            if getattr(layer, "seed_generator", None) is not None}


def restore(model, backup_dir: str, spec: ModelSpec) -> TrainingState | None:
    """Load the checkpoint in `backup_dir` (weights, optimizer, step) into `model`, if any."""
    state = read_state(backup_dir, spec, TRACK)
    if state is None:
        return None
    _check_random(state.random, seed_generators(model), backup_dir)
    path = os.path.join(backup_dir, state.weights)
    try:
        model.load_weights(path)
    except Exception as e:  # h5py/OS errors of a truncated or missing file
        raise UserError(f"corrupted checkpoint: {path} cannot be loaded "
                        f"({type(e).__name__}: {folded(e, 200)})") from None
    for name, value in state.random.items():  # dropout's counters: the masks that come next
        seed_generators(model)[name].assign(value)
    return state


def _check_random(saved: dict, generators: dict, backup_dir: str) -> None:
    """The checkpoint's dropout counters are this model's: one per Dropout layer, by name, each
    of its generator's shape and integers; else one line, before anything is loaded."""
    where = f"corrupted checkpoint: {os.path.join(backup_dir, 'checkpoint.json')}: random"
    if set(saved) != set(generators):
        raise UserError(f"{where} holds the generators {sorted(saved)}; this model has "
                        f"{sorted(generators)}; delete the folder to start afresh")
    for name, value in saved.items():
        shape = tuple(generators[name].shape)
        array = np.asarray(value, dtype=object)
        if array.shape != shape or not all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in array.reshape(-1)):
            raise UserError(f"{where}: {name} is {value!r}; expected {int(np.prod(shape))} "
                            f"integers; delete the folder to start afresh")


def _check_metrics(saved: dict, names) -> None:
    """The checkpoint's running metrics are this model's, by name."""
    if set(saved) != set(names):
        raise UserError(f"corrupted checkpoint: checkpoint.json: metrics holds {sorted(saved)}; "
                        f"this model keeps {sorted(names)}; delete the folder to start afresh")


class BackupAndRestore(checkpoint.BackupAndRestore):
    """`tfmodels.core.checkpoint.BackupAndRestore`, saving with the model's `save_weights`."""

    track = TRACK

    def _iterations(self) -> int:  # the local value also of a distributed variable
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations.value))

    def _metric_state(self) -> dict:
        means = getattr(self.model, "loop_means", None)  # a MultiWorkerModel's fit_loop's
        if means is not None:
            return means.state()
        return {v.path: float(v.numpy()) for v in self.model.metrics_variables}

    def _add_metric_state(self, state: dict) -> None:
        means = getattr(self.model, "loop_means", None)
        if means is not None:  # added in float32, as Keras's metrics add
            _check_metrics(state, means.total)
            for k, (total, count) in state.items():
                means.total[k] += np.float32(total)
                means.count[k] += np.float32(count)
            return
        _check_metrics(state, [v.path for v in self.model.metrics_variables])
        for v in self.model.metrics_variables:
            v.assign_add(state[v.path])

    def _save_weights(self, iterations: int) -> str:
        name = _weights_name(iterations)
        tmp = os.path.join(self.backup_dir, f".tmp-{name}")
        self.model.save_weights(tmp, overwrite=True)
        os.replace(tmp, os.path.join(self.backup_dir, name))
        return name

    def _random_state(self) -> dict:
        return {name: state.numpy().tolist()
                for name, state in seed_generators(self.model).items()}
