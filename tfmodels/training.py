"""Train one track the way the command line does: logs, checkpoints, resumption, divergence.

    result = train("tf1", spec, data, logdir="logs", checkpoint_dir="ckpt", save_every=50)

Run the same call again after a crash and it carries on from the last complete checkpoint, in
the same TensorBoard run folder; the batches, being a function of (seed, epoch), are the very
ones the interrupted run would have trained on.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import keras
import numpy as np

from tfmodels.checks import check_x, check_y
from tfmodels.data import Data
from tfmodels.logs import new_run_dir
from tfmodels.spec import ModelSpec, initial_weights
from tfmodels.tensorboard import LogOptions


@dataclass
class TrackResult:
    """What one track's training gave back."""

    history: dict  # Keras's History.history: {"loss": [...], "val_loss": [...], ...}
    weights: list
    predictions: np.ndarray  # on the validation inputs
    log_dir: str | None = None  # where its TensorBoard logs went


class Diverged(FloatingPointError):
    """Training stopped because the loss stopped being a finite number."""


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras's `TerminateOnNaN`, remembering where it stopped (used by both tracks).

    With several steps per call (the Keras track's `steps_per_execution`) it hears of the loss
    once per call; the model's `nonfinite_step` then says which of those steps went wrong.
    """

    def __init__(self):
        super().__init__()
        self.stopped_at = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        if getattr(self.model, "nonfinite_step", None) is not None:
            self.model.nonfinite_step.assign(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            first = getattr(self.model, "nonfinite_step", None)
            if first is not None and int(first.numpy()):
                # `batch` is the last step of the call; count back to the first bad one
                batch -= int(self.model.optimizer.iterations.numpy()) - int(first.numpy())
                loss = self.model.nonfinite_loss.numpy()
            self.stopped_at = (self._epoch, batch, float(loss))
            self.model.stop_training = True


def _track_modules(track: str):
    if track == "keras":
        from tfmodels import checkpoint
        from tfmodels.model import build_model
        from tfmodels.tensorboard import TensorBoard

        return build_model, checkpoint, TensorBoard
    if track == "tf1":
        from tf1_compat import checkpoint
        from tf1_compat.model import Model
        from tf1_compat.tensorboard import TensorBoard

        return Model, checkpoint, TensorBoard
    raise ValueError(f"unknown track {track!r}; expected one of: keras, tf1")


def train(track: str, spec: ModelSpec, data: Data, *, weights=None,
          log_root: str | None = None, log_dir: str | None = None,
          checkpoint_dir: str | None = None, save_every: int | None = None,
          options: LogOptions | None = None, verbose="auto", log=print,
          jit_compile: bool = False, steps_per_execution: int | None = None,
          fused_optimizer: bool = True, strategy=None,
          tf1_pattern: str | None = None) -> TrackResult:
    """Train `spec` in `track` from `weights` (default: the spec's seeded start), or from the
    checkpoint in `checkpoint_dir`.

    TensorBoard logs go to the resumed run's folder, else to `log_dir`, else to a new run under
    `log_root`, as `options` say; with none of these, nowhere. `log` gets the lines a user should
    see whatever `verbose` says (where training resumes); None silences them.
    `jit_compile`, `steps_per_execution` and `fused_optimizer` are the Keras track's speed
    switches (`tfmodels.model.build_model`); `steps_per_execution=None` means its default, or 1
    when the run saves, logs or profiles at given steps (`save_every`, a per-batch
    `options.update_freq`, `options.profile_batches`), so those happen at the very steps.
    `strategy` (a `tfmodels.strategy.Plan`) runs it distributed (TF1: in `tf1_pattern`); only
    the chief of a cluster writes logs.
    """
    build, checkpoint, tensorboard = _track_modules(track)
    if track == "keras":
        logs_batches = bool(log_root or log_dir) and options is not None and (
            options.batch_every > 0 or options.profile_batches is not None)
        if steps_per_execution is None and (save_every or logs_batches):
            steps_per_execution = 1
        build = functools.partial(build, jit_compile=jit_compile,
                                  steps_per_execution=steps_per_execution,
                                  fused_optimizer=fused_optimizer)
    elif jit_compile or steps_per_execution not in (None, 1) or not fused_optimizer:
        raise ValueError("--jit-compile, --steps-per-execution and --no-fused-optimizer are "
                         "options of the Keras track (--track keras)")
    if strategy is not None:
        from tfmodels.strategy import log_text, model_builder

        if strategy.name == "multiworker" and checkpoint_dir:
            raise ValueError("--checkpoint-dir is not supported with --strategy multiworker yet")
        if not strategy.is_chief:  # no two processes write the same logs
            log_root = log_dir = None
        if track == "tf1" and strategy.name == "multiworker":
            from tfmodels.strategy import tf1_pattern_for

            synchronous = tf1_pattern_for(strategy, tf1_pattern) == "sync"
            return _train_tf1_cluster(spec, data, strategy, weights, log_root, log_dir, verbose,
                                      synchronous)
        build = model_builder(track, strategy, build, tf1_pattern)
    # Refuse bad data before anything is built or written.
    x = check_x(data.x_train, spec.input_dim)
    check_y(data.y_train, x, spec.output_dim, spec.loss)
    model = build(spec, initial_weights(spec) if weights is None else weights)
    try:
        state = checkpoint.restore(model, checkpoint_dir, spec) if checkpoint_dir else None
        if state and log:
            log(f"Resuming from {checkpoint_dir}: epoch {state.epoch + 1}, "
                  f"step {state.step} ({state.iterations} steps trained)")
        if state and state.log_dir:
            log_dir = state.log_dir
        elif log_dir is None and log_root:
            log_dir = os.path.join(new_run_dir(log_root, spec.name), track)
        if log_dir and strategy is not None:
            log_text(log_dir, strategy)
        nan = TerminateOnNaN()
        callbacks = [nan]
        if log_dir:
            callbacks.append(tensorboard(log_dir, options=options, spec=spec, data=data))
        if checkpoint_dir:
            callbacks.append(checkpoint.BackupAndRestore(
                checkpoint_dir, spec, save_freq=save_every or "epoch", state=state,
                log_dir=log_dir))
        past = state.history if state else {}
        if not state or state.epoch < spec.epochs:
            history = model.fit(
                data.x_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs,
                initial_epoch=state.epoch if state else 0,
                initial_step=state.step if state else 0,
                validation_data=(data.x_val, data.y_val), callbacks=callbacks, verbose=verbose,
            ).history
        else:
            history = {}
        if nan.stopped_at:
            epoch, step, loss = nan.stopped_at
            kept = (f"the last good checkpoint in {checkpoint_dir} is kept" if checkpoint_dir
                    else "try a lower learning rate or scaled inputs")
            raise Diverged(f"training diverged: the loss became {loss} at epoch {epoch + 1}, "
                           f"step {step + 1}; {kept}")
        history = {k: list(past.get(k, [])) + list(history.get(k, []))
                   for k in {**past, **history}}
        return TrackResult(history, model.get_weights(),
                           model.predict(data.x_val, batch_size=spec.batch_size, verbose=0),
                           log_dir)
    finally:
        if hasattr(model, "close"):
            model.close()


def _train_tf1_cluster(spec, data, plan, weights, log_root, log_dir, verbose,
                       synchronous) -> TrackResult:
    """The TF1 track on a ps/worker cluster (`tf1_compat.cluster`); a ps task never returns."""
    from tf1_compat.cluster import train_between_graph
    from tf1_compat.model import Model
    from tf1_compat.tensorboard import TensorBoard
    from tfmodels.strategy import log_text

    if log_dir is None and log_root:
        log_dir = os.path.join(new_run_dir(log_root, spec.name), "tf1")
    if log_dir:
        log_text(log_dir, plan)
    history, final = train_between_graph(spec, data, plan.cluster, weights=weights,
                                         verbose=verbose, synchronous=synchronous)
    with Model(spec, final) as model:  # the trained weights, in a local graph
        if log_dir:  # the chief's epoch numbers, as its TensorBoard run
            board = TensorBoard(log_dir, options=LogOptions(histogram_freq=0, images=False))
            board.set_model(model)
            board.on_train_begin()
            for epoch in history.epoch:
                board.on_epoch_end(epoch, {k: v[epoch] for k, v in history.history.items()})
            board.on_train_end()
        predictions = model.predict(data.x_val, batch_size=spec.batch_size, verbose=0)
    return TrackResult(history.history, final, predictions, log_dir)
