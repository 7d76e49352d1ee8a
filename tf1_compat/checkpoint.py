"""Checkpoints of the TF1 track: `tf.compat.v1.train.Saver`, resumable to the very batch.

The callback and `checkpoint.json` both tracks share (`tfmodels.core.checkpoint`);
the weights, optimizer slots, Adam's powers and `global_step` go through the graph's `Saver`.

    state = restore(model, "ckpt", spec)        # None on a first run
    model.fit(x, y, epochs=5, initial_epoch=state.epoch, initial_step=state.step,
              callbacks=[BackupAndRestore("ckpt", spec, save_freq=100, state=state)])
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from tfmodels.core import checkpoint
from tfmodels.core.errors import UserError, folded
from tfmodels.core.spec import ModelSpec
from tfmodels.core.training_state import PREFIX, TrainingState, read_state

__all__ = ["TRACK", "restore", "BackupAndRestore"]

TRACK = "tf1"


def restore(model, backup_dir: str, spec: ModelSpec) -> TrainingState | None:
    """Restore the checkpoint in `backup_dir` into the model's session, if there is one."""
    state = read_state(backup_dir, spec, TRACK)
    if state is None:
        return None
    prefix = os.path.join(backup_dir, state.weights)
    try:
        with model.graph.as_default():  # Saver works in graph mode only
            model.saver.restore(model.session, prefix)
    except (tf.errors.OpError, ValueError) as e:
        raise UserError(f"corrupted checkpoint: {prefix} cannot be restored "
                        f"({type(e).__name__}: {folded(e, 200)})") from None
    return state


class BackupAndRestore(checkpoint.BackupAndRestore):
    """`tfmodels.core.checkpoint.BackupAndRestore`, saving through the TF1 model's `Saver`."""

    track = TRACK

    def _iterations(self) -> int:
        return self.model.iterations

    def _metric_state(self) -> dict:
        return self.model.metric_state

    def _add_metric_state(self, state: dict) -> None:
        f32, current = np.float32, self.model.metric_state  # added in float32, as Keras adds
        self.model.metric_state = {k: [f32(current[k][0]) + f32(total),
                                       f32(current[k][1]) + f32(count)]
                                   for k, (total, count) in state.items()}

    def _save_weights(self, iterations: int) -> str:
        name = f"{PREFIX}{iterations:08d}"
        with self.model.graph.as_default():  # Saver works in graph mode only
            self.model.saver.save(self.model.session, os.path.join(self.backup_dir, name),
                                  write_meta_graph=False, write_state=False)
        return name
