"""Checkpoints of the Keras track: resume after a crash, to the very batch.

Keras's own `BackupAndRestore` resumes at the start of the epoch it was in (batches seen twice)
and writes in place (a crash mid-save can leave a half file). This callback keeps its idea and
name, and adds what "nothing lost" needs: the batch within the epoch, the running epoch averages,
the history, and a save that a crash cannot half-do (see `tfmodels.training_state`).

    state = restore(model, "ckpt", spec)        # None on a first run
    model.fit(x, y, epochs=5, initial_epoch=state.epoch, initial_step=state.step,
              callbacks=[BackupAndRestore("ckpt", spec, save_freq=100, state=state)])
"""

from __future__ import annotations

import os

import keras

from tfmodels.spec import ModelSpec
from tfmodels.training_state import (
    PREFIX,
    TrainingState,
    all_finite,
    commit_state,
    fingerprint,
    read_state,
)

TRACK = "keras"


def _weights_name(iterations: int) -> str:
    return f"{PREFIX}{iterations:08d}.weights.h5"


def restore(model, backup_dir: str, spec: ModelSpec) -> TrainingState | None:
    """Load the checkpoint in `backup_dir` (weights, optimizer, step) into `model`, if any."""
    state = read_state(backup_dir, spec, TRACK)
    if state is None:
        return None
    path = os.path.join(backup_dir, state.weights)
    try:
        model.load_weights(path)
    except Exception as e:  # h5py/OS errors of a truncated or missing file
        raise ValueError(f"corrupted checkpoint: {path} cannot be loaded "
                         f"({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    return state


class BackupAndRestore(keras.callbacks.Callback):
    """Save at every epoch end and, with an integer `save_freq`, every `save_freq` steps."""

    track = TRACK

    def __init__(self, backup_dir: str, spec: ModelSpec, save_freq="epoch",
                 state: TrainingState | None = None, log_dir: str | None = None):
        super().__init__()
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive integer, got {save_freq!r}")
        self.backup_dir, self.spec, self.save_freq = backup_dir, spec, save_freq
        self.log_dir = state.log_dir if state else log_dir
        self.history = {k: list(v) for k, v in state.history.items()} if state else {}
        # Resuming part-way through an epoch: the batches before `_skip` are already trained,
        # and their running averages are to be put back when that epoch begins.
        self._resume = state if state and state.step else None
        self._epoch = self._offset = 0
        self._last_saved = state.iterations if state else 0

    # The two tracks differ only in these four methods (see tf1_compat/checkpoint.py).
    def _iterations(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def _metric_state(self) -> dict:
        return {v.path: float(v.numpy()) for v in self.model.metrics_variables}

    def _add_metric_state(self, state: dict) -> None:
        for v in self.model.metrics_variables:
            v.assign_add(state[v.path])

    def _save_weights(self, iterations: int) -> str:
        name = _weights_name(iterations)
        tmp = os.path.join(self.backup_dir, f".tmp-{name}")
        self.model.save_weights(tmp, overwrite=True)
        os.replace(tmp, os.path.join(self.backup_dir, name))
        return name

    # --- the callback ----------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        # `fit` numbers the batches of a resumed epoch from 0; they follow the trained ones.
        resuming = self._resume and epoch == self._resume.epoch
        self._epoch, self._offset = epoch, self._resume.step if resuming else 0

    def on_train_batch_end(self, batch, logs=None):
        if self._resume and self._epoch == self._resume.epoch:
            # Put back the part-done epoch's running averages. Keras creates its compiled
            # metrics' variables in the first step, so this waits for the first step to end; the
            # sums come out exact, since `a + b == b + a` holds in floating point.
            self._add_metric_state(self._resume.metrics)
            self._resume = None
        # `batch` is the last of the steps just run (several with `steps_per_execution`).
        iterations = self._iterations()
        if self.save_freq != "epoch" and iterations - self._last_saved >= self.save_freq:
            self._save(self._epoch, self._offset + batch + 1, logs, self._metric_state())

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training or not all_finite(logs):
            return  # a diverged epoch is not worth keeping: the last good checkpoint stays
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._save(epoch + 1, 0, logs, {})

    def _save(self, epoch, step, logs, metrics):
        if not all_finite(logs):
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        iterations = self._last_saved = self._iterations()
        state = TrainingState(
            model=self.spec.name, track=self.track, spec=fingerprint(self.spec), epoch=epoch,
            step=step, iterations=iterations, weights=self._save_weights(iterations),
            history=self.history, metrics=metrics, log_dir=self.log_dir,
        )
        commit_state(self.backup_dir, state)
