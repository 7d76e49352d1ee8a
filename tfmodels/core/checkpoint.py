"""What both tracks' checkpoints share: a Keras callback that saves and resumes to the batch.

Keras's own `BackupAndRestore` resumes at the start of the epoch it was in (batches seen twice)
and writes in place (a crash mid-save can leave a half file). `BackupAndRestore` here keeps its
idea and name, and adds what "nothing lost" needs: the batch within the epoch, the running epoch
averages, the history, and a save that a crash cannot half-do (`tfmodels.core.training_state`).
Each track subclasses it with the four methods that touch its model
(`tfmodels/keras_track/checkpoint.py`, `tf1_compat/checkpoint.py`).
"""

from __future__ import annotations

import dataclasses
import os

import keras

from tfmodels.core.errors import UserError
from tfmodels.core.logs import event_sizes
from tfmodels.core.spec import ModelSpec
from tfmodels.core.training_state import (
    TrainingState,
    all_finite,
    commit_state,
    discard_uncommitted,
    fingerprint,
)

__all__ = ["BackupAndRestore"]


class BackupAndRestore(keras.callbacks.Callback):
    """Save at every epoch end and, with an integer `save_freq`, every `save_freq` steps.

    `writer=False` (a non-chief worker of a cluster) resumes as the writer does (the part-done
    epoch's averages, the history) but writes nothing: the chief saves for the whole cluster.
    """

    track = None  # "keras" or "tf1", set by each track's subclass

    def __init__(self, backup_dir: str, spec: ModelSpec, save_freq="epoch",
                 state: TrainingState | None = None, log_dir: str | None = None,
                 tensorboard=None, writer: bool = True):
        super().__init__()
        self.writer = writer
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise UserError(f"save_freq must be 'epoch' or a positive integer, got {save_freq!r}")
        self.backup_dir, self.spec, self.save_freq = backup_dir, spec, save_freq
        # A resumed run's own folder; else the one given (a first run, or a copy's new run).
        self.log_dir = state.log_dir if state and state.log_dir else log_dir
        self.history = {k: list(v) for k, v in state.history.items()} if state else {}
        # Resuming part-way through an epoch: the batches before `_skip` are already trained,
        # and their running averages are to be put back when that epoch begins.
        self._resume = state if state and state.step else None
        self._epoch = self._offset = 0
        self._last_saved = state.iterations if state else 0
        # The run's TensorBoard callback (anything with `flush()`), flushed at each save so that
        # the checkpoint records exactly which logged events it covers (`TrainingState.events`).
        self.tensorboard = tensorboard
        self._committed = None

    # The two tracks differ only in these four methods.
    def _iterations(self) -> int:
        raise NotImplementedError

    def _metric_state(self) -> dict:
        raise NotImplementedError

    def _add_metric_state(self, state: dict) -> None:
        raise NotImplementedError

    def _save_weights(self, iterations: int) -> str:
        raise NotImplementedError

    def _random_state(self) -> dict:
        """Random generators' states that the weights file leaves out (none by default)."""
        return {}

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
        # `batch` is the last of the steps just run (several with `steps_per_execution`); Keras
        # reports first + steps_per_execution - 1 even where the epoch ran out before, so it is
        # capped at the epoch's (the fit's) number of steps.
        done = batch + 1
        if (self.params or {}).get("steps"):
            done = min(done, self.params["steps"])
        iterations = self._iterations()
        if self.save_freq != "epoch" and iterations - self._last_saved >= self.save_freq:
            self._save(self._epoch, self._offset + done, logs, self._metric_state())

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stop_training or not all_finite(logs):
            return  # a diverged epoch is not worth keeping: the last good checkpoint stays
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self._save(epoch + 1, 0, logs, {})

    def on_train_end(self, logs=None):
        # What the TensorBoard callback wrote at the end (the pictures) belongs to the finished
        # run: the last checkpoint covers it too, or running the command again would cut it.
        if not self.model.stop_training:
            self.cover_logs()

    def cover_logs(self) -> None:
        """Let the last checkpoint cover every event logged so far (a run's end)."""
        if self.writer and self._committed is not None:
            events = event_sizes(self.log_dir)
            if events != self._committed.events:
                self._commit(dataclasses.replace(self._committed, events=events))

    def _save(self, epoch, step, logs, metrics):
        if not self.writer or not all_finite(logs):
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        iterations = self._last_saved = self._iterations()
        if self.tensorboard is not None:
            self.tensorboard.flush()
        try:
            state = TrainingState(
                model=self.spec.name, track=self.track, spec=fingerprint(self.spec),
                epoch=epoch, step=step, iterations=iterations,
                weights=self._save_weights(iterations), history=self.history,
                metrics=metrics, log_dir=self.log_dir, random=self._random_state(),
                events=event_sizes(self.log_dir),
            )
            self._commit(state)
        except BaseException:  # a full disk, say: no half-written files stay behind
            discard_uncommitted(self.backup_dir)
            raise

    def _commit(self, state: TrainingState) -> None:
        commit_state(self.backup_dir, state)
        self._committed = state
