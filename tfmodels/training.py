"""Train one track the way the command line does: logs, checkpoints, resumption, divergence.

    result = train("tf1", spec, data, log_root="logs", checkpoint_dir="ckpt", save_every=50)

`train` is four small steps that `compare`, `sweep` and the CLI share: `build` (the track's
model, its speed options, on the devices of a `tfmodels.core.strategy.Plan`), `resume` (from a
checkpoint folder), `attach` (TensorBoard, checkpoints, the NaN stop) and `run` (`fit`, the
history joined to the checkpoint's, the divergence check).

Run the same call again after a crash and it carries on from the last complete checkpoint, in
the same TensorBoard run folder; the batches, being a function of (seed, epoch), are the very
ones the interrupted run would have trained on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
from dataclasses import dataclass

import keras
import numpy as np

import tf1_compat.checkpoint
import tf1_compat.cluster
import tf1_compat.distribute
import tf1_compat.model
import tf1_compat.tensorboard
import tfmodels.keras_track.checkpoint
import tfmodels.keras_track.distribute
import tfmodels.keras_track.model
import tfmodels.keras_track.tensorboard
from tfmodels.core.checks import batch_size_for, check_x, check_y
from tfmodels.core.data import Data, for_spec, steps_per_epoch
from tfmodels.core.errors import Diverged, EnvironmentFailure, UserError, io_failure
from tfmodels.core.inputs import check_inputs
from tfmodels.core.layers import one_of
from tfmodels.core.logs import LogOptions, cut_back, new_run_dir
from tfmodels.core.spec import TRACKS, ModelSpec, initial_weights
from tfmodels.core.strategy import Plan, log_text, tf1_pattern_for
from tfmodels.core.training_state import STATE_FILE, locked, read_state

__all__ = ["TrackResult", "TerminateOnNaN", "Track", "TRACK_MODULES", "get_track",
           "SPEED_SWITCHES", "check_switches", "build", "resume", "disk_failures",
           "check_resumed_logdir", "check_resume_epochs", "run_log_dir", "attach", "run",
           "train", "logged_epochs", "own_run", "PerModelTracing", "check_resumable",
           "check_distributable"]


class PerModelTracing(logging.Filter):
    """Drops TensorFlow's "N out of the last M calls to <function TensorFlowTrainer...>
    triggered tf.function retracing" warning, which nothing here deserves.

    Keras makes each model's train, test and predict functions anew (`tf.function`s of closures
    in `TensorFlowTrainer`); each traces once, on its model's first call. TensorFlow counts the
    traces of all functions with the same code together, so training several small models in one
    process (`compare` in a loop, a sweep, the lessons) reads to it as one function retraced
    on almost every call. Retracing of any other function (the user's own) is still reported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("triggered tf.function retracing" in text and "TensorFlowTrainer." in text)


def _quiet_per_model_tracing() -> None:
    logger = logging.getLogger("tensorflow")  # where tf.get_logger() writes
    if not any(isinstance(f, PerModelTracing) for f in logger.filters):
        logger.addFilter(PerModelTracing())


@dataclass
class TrackResult:
    """What one track's training gave back."""

    history: dict  # Keras's History.history: {"loss": [...], "val_loss": [...], ...}
    weights: list
    predictions: np.ndarray  # on the validation inputs
    log_dir: str | None = None  # where its TensorBoard logs went
    # A TF1 cluster's worker: its history is its own shard's (no validation per epoch); these
    # are the validation metrics of the cluster's final weights, the same on every worker.
    final_validation: dict | None = None


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


@dataclass(frozen=True)
class Track:
    """What the driver needs of one track: its modules, side by side."""

    name: str
    model: object  # module with build_model(spec, weights)
    distribute: object  # module with build_model(spec, weights, plan, pattern)
    checkpoint: object  # module with restore() and BackupAndRestore
    tensorboard: object  # module with TensorBoard


TRACK_MODULES = {
    "keras": Track("keras", tfmodels.keras_track.model, tfmodels.keras_track.distribute,
                   tfmodels.keras_track.checkpoint, tfmodels.keras_track.tensorboard),
    "tf1": Track("tf1", tf1_compat.model, tf1_compat.distribute, tf1_compat.checkpoint,
                 tf1_compat.tensorboard),
}


def get_track(name: str) -> Track:
    """The modules of track `name`, one of `tfmodels.core.spec.TRACKS`."""
    return TRACK_MODULES[one_of("track", name, TRACKS)]


SPEED_SWITCHES = ("jit_compile", "steps_per_execution", "fused_optimizer")


def check_switches(track: str, jit_compile: bool = False, steps_per_execution: int | None = None,
                   fused_optimizer: bool = True) -> None:
    """The Keras track's speed switches are refused, with the reason, for the TF1 track."""
    if track != "keras" and (jit_compile or steps_per_execution not in (None, 1)
                             or not fused_optimizer):
        raise UserError("jit_compile=True, steps_per_execution and fused_optimizer=False are "
                        "options of the Keras track (track=keras)")


def build(track: str, spec: ModelSpec, weights=None, *, plan: Plan | None = None,
          tf1_pattern: str | None = None, jit_compile: bool = False,
          steps_per_execution: int | None = None, fused_optimizer: bool = True):
    """The model of `spec` in `track`, from `weights` (default: the spec's seeded start).

    `jit_compile`, `steps_per_execution` and `fused_optimizer` are the Keras track's speed
    switches (`tfmodels.keras_track.model.build_model`); `plan` puts it on devices (TF1: in
    `tf1_pattern`). A TF1 model holds a Session: close it when done.
    """
    tr = get_track(track)
    weights = initial_weights(spec) if weights is None else weights
    check_switches(track, jit_compile, steps_per_execution, fused_optimizer)
    options = {}
    if track == "keras":
        options = {"jit_compile": jit_compile, "steps_per_execution": steps_per_execution,
                   "fused_optimizer": fused_optimizer}
    if plan is None:
        return tr.model.build_model(spec, weights, **options)
    if track == "keras":
        tf1_pattern_for(plan, tf1_pattern)  # checked for either track, used by TF1's
        tf1_pattern = None
    return tr.distribute.build_model(spec, weights, plan, tf1_pattern, **options)


def resume(track: str, model, checkpoint_dir: str | None, spec: ModelSpec, log=print):
    """The checkpoint in `checkpoint_dir` loaded into `model`: its `TrainingState`, or None."""
    if not checkpoint_dir:
        return None
    state = get_track(track).checkpoint.restore(model, checkpoint_dir, spec)
    if state and log:
        log(f"Resuming from {checkpoint_dir}: epoch {state.epoch + 1}, "
            f"step {state.step} ({state.iterations} steps trained)")
    return state and own_run(state, checkpoint_dir, log)


def own_run(state, checkpoint_dir: str, log=print):
    """`state`, or where `checkpoint_dir` is a copy of the folder that saved it (copied
    elsewhere, the original run going on), `state` without its run's logs: the TensorBoard run
    belongs to the original folder, whose resumption cuts its event files back; the copy logs to
    a run folder of its own (said in one line)."""
    here = os.path.realpath(checkpoint_dir)
    if state.folder is None or state.folder == here or not state.log_dir:
        return state
    if log:
        log(f"The checkpoint in {checkpoint_dir} is a copy of {state.folder}: that run's logs "
            f"({state.log_dir}) are left as they are; this run logs to a new run folder")
    return dataclasses.replace(state, log_dir=None, events=None, folder=here)


@contextlib.contextmanager
def disk_failures(checkpoint_dir: str | None, logs: str | None):
    """A disk that fails under our writes (full, a size limit) is one line, exit status 4, and
    the last complete checkpoint stays as it was (the failed save cleans up after itself)."""
    try:
        yield
    except Exception as e:
        reason = io_failure(e)
        if reason is None or isinstance(e, (UserError, EnvironmentFailure)):
            raise
        kept = ""
        if checkpoint_dir:
            kept = (f"; the last complete checkpoint in {checkpoint_dir!r} is kept"
                    if os.path.exists(os.path.join(checkpoint_dir, STATE_FILE))
                    else "; no checkpoint was completed")
        places = " or ".join(repr(p) for p in (checkpoint_dir, logs) if p)
        raise EnvironmentFailure(f"writing to {places or 'the disk'} failed: {reason} (the disk "
                                 f"is full or a file size limit was reached){kept}") from e


def check_resumed_logdir(state, checkpoint_dir: str, log_root: str) -> None:
    """A resumed run logs on into its own run's folder: a `log_root` elsewhere is a mistake."""
    run_dir, root = state.log_dir, os.path.abspath(log_root)
    if run_dir and os.path.commonpath([os.path.abspath(run_dir), root]) != root:
        raise UserError(f"log_root={log_root}: the checkpoint in {checkpoint_dir!r} logs to "
                        f"its run's folder {run_dir!r}, which is not under it; leave log_root "
                        f"out to go on there, or give another checkpoint_dir")


def check_resume_epochs(state, spec: ModelSpec, checkpoint_dir: str | None) -> None:
    """A resumed run must have epochs left: `spec.epochs` at least those its checkpoint
    `state` trained. (`tfmodels.core.checks.check_epochs` is `fit`'s rule for its argument.)"""
    if state and state.epoch > spec.epochs:
        raise UserError(f"epochs={spec.epochs}: the checkpoint in {checkpoint_dir!r} "
                        f"has trained {state.epoch} epochs already; give epochs="
                        f"{state.epoch} or more to go on, or another checkpoint_dir")


def check_resumable(track: str, spec: ModelSpec, checkpoint_dir: str | None,
                    log_root: str | None = None, check_log_root: bool = False):
    """Every refusal of resuming from `checkpoint_dir`, before a word is said or a model built:
    a foreign, damaged or other model's or track's checkpoint (`read_state`), no epochs left
    (`check_resume_epochs`), a run folder outside the `log_root` the user named
    (`check_resumed_logdir`; a copy of a folder logs to a new run, so never is). Its state, or
    None."""
    state = read_state(checkpoint_dir, spec, track) if checkpoint_dir else None
    check_resume_epochs(state, spec, checkpoint_dir)
    if state and check_log_root and log_root:
        own = own_run(state, checkpoint_dir, log=None)
        if own.log_dir:
            check_resumed_logdir(own, checkpoint_dir, log_root)
    return state


def run_log_dir(track, spec, state, checkpoint_dir, log_root, log_dir, chief: bool,
                check_log_root: bool) -> str | None:
    """Where the run logs: a resumed run's folder (cut back to its checkpoint), else `log_dir`,
    else a new run under `log_root`; None for a cluster's non-chief worker."""
    if not chief:
        return None
    if state and state.log_dir:
        if check_log_root and log_root:
            check_resumed_logdir(state, checkpoint_dir, log_root)
        log_dir = state.log_dir
        cut_back(log_dir, state.events)  # what was logged after the checkpoint
    elif log_dir is None and log_root:
        log_dir = os.path.join(new_run_dir(log_root, spec.name), track)
    return log_dir and os.path.abspath(log_dir)  # a resume from anywhere finds it


def attach(track: str, spec: ModelSpec, data: Data, *, log_dir: str | None = None,
           options: LogOptions | None = None, checkpoint_dir: str | None = None,
           save_every: int | None = None, state=None, writer: bool = True) -> list:
    """The callbacks of a run: the NaN stop first, TensorBoard and checkpoints as asked.
    `writer=False`: a cluster's non-chief worker, whose checkpoint callback only resumes."""
    tr = get_track(track)
    callbacks = [TerminateOnNaN()]
    tensorboard = None
    if log_dir:
        tensorboard = tr.tensorboard.TensorBoard(log_dir, options=options, spec=spec, data=data)
        callbacks.append(tensorboard)
    if checkpoint_dir:  # after TensorBoard: an epoch's events are written before its save
        callbacks.append(tr.checkpoint.BackupAndRestore(
            checkpoint_dir, spec, save_freq=save_every or "epoch", state=state,
            log_dir=log_dir, tensorboard=tensorboard, writer=writer))
    return callbacks


def run(model, spec: ModelSpec, data: Data, callbacks: list, *, state=None,
        checkpoint_dir: str | None = None, verbose="auto", log_dir: str | None = None,
        log=None) -> TrackResult:
    """`fit` the rest of the run (all of it without `state`), then the result. A spec's batch
    size above the training samples trains one batch of them per epoch, said to `log`
    (`tfmodels.core.checks.batch_size_for`).

    Raises `Diverged` where `callbacks[0]` (a `TerminateOnNaN`) stopped it.
    """
    nan = callbacks[0]
    _quiet_per_model_tracing()
    past = state.history if state else {}
    history = {}
    if not state or state.epoch < spec.epochs:
        history = model.fit(
            data.x_train, data.y_train,
            batch_size=batch_size_for(spec.batch_size, len(data.x_train), log),
            epochs=spec.epochs,
            initial_epoch=state.epoch if state else 0, initial_step=state.step if state else 0,
            validation_data=(data.x_val, data.y_val), callbacks=callbacks, verbose=verbose,
        ).history
    if nan.stopped_at:
        epoch, step, loss = nan.stopped_at
        kept = (f"the last good checkpoint in {checkpoint_dir} is kept" if checkpoint_dir
                else "try a lower learning rate or scaled inputs")
        raise Diverged(f"training diverged: the loss became {loss} at epoch {epoch + 1}, "
                       f"step {step + 1}; {kept}")
    history = {k: list(past.get(k, [])) + list(history.get(k, [])) for k in {**past, **history}}
    return TrackResult(history, model.get_weights(),
                       model.predict(data.x_val, batch_size=spec.batch_size, verbose=0), log_dir)


def check_distributable(spec: ModelSpec, strategy: Plan | None) -> None:
    """Refuse, in one line, a model of several named inputs under a distributed strategy
    (Keras's MirroredStrategy, TF1 towers, the v1 strategy, a ps cluster): their pipelines
    split one `x` between replicas."""
    if spec.several_inputs and strategy is not None and strategy.distributed:
        raise UserError(f"model {spec.name!r} takes several named inputs "
                        f"({', '.join(spec.input_names)}), which distributed training "
                        f"(strategy={strategy.name}) does not take; train it on one device")


def train(track: str, spec: ModelSpec, data: Data, *, weights=None,
          log_root: str | None = None, log_dir: str | None = None,
          checkpoint_dir: str | None = None, save_every: int | None = None,
          options: LogOptions | None = None, verbose="auto", log=print,
          jit_compile: bool = False, steps_per_execution: int | None = None,
          fused_optimizer: bool = True, strategy: Plan | None = None,
          tf1_pattern: str | None = None, check_log_root: bool = False) -> TrackResult:
    """Train `spec` in `track` from `weights` (default: the spec's seeded start), or from the
    checkpoint in `checkpoint_dir`.

    TensorBoard logs go to the resumed run's folder, else to `log_dir`, else to a new run under
    `log_root`, as `options` say; with none of these, nowhere. With `check_log_root` (the user
    named `log_root`), a resumed run whose folder is not under it is refused. `log` gets the
    lines a user should see whatever `verbose` says (where training resumes); None silences
    them.
    `steps_per_execution=None` means the Keras track's default, or 1 when the run saves, logs or
    profiles at given steps (`save_every`, a per-batch `options.update_freq`,
    `options.profile_batches`), so those happen at the very steps. `strategy` (a
    `tfmodels.core.strategy.Plan`) runs it distributed (TF1: in `tf1_pattern`); only the chief
    of a cluster writes logs and the checkpoint (holding the folder's lock), and every worker
    resumes from `checkpoint_dir` (shared storage on real machines).
    """
    get_track(track)
    if track == "keras":
        logs_batches = bool(log_root or log_dir) and options is not None and (
            options.batch_every > 0 or options.profile_batches is not None)
        if steps_per_execution is None and (save_every or logs_batches):
            steps_per_execution = 1
    check_distributable(spec, strategy)
    # A cluster's chief writes the logs and the checkpoint, and holds the folder's lock; every
    # worker resumes from the folder (shared storage on a real cluster).
    chief = strategy is None or strategy.is_chief
    if strategy is not None:
        if not chief:  # no two processes write the same logs
            log_root = log_dir = None
        if track == "tf1" and strategy.name == "multiworker":
            synchronous = tf1_pattern_for(strategy, tf1_pattern) == "sync"
            return _train_tf1_cluster(spec, data, strategy, weights, log_root, log_dir, verbose,
                                      synchronous, checkpoint_dir=checkpoint_dir,
                                      save_every=save_every, log=log,
                                      check_log_root=check_log_root)
    if chief:  # a checkpoint that cannot be resumed: refused before "Resuming from ..."
        check_resumable(track, spec, checkpoint_dir, log_root, check_log_root)
    # Refuse bad data before anything is built or written.
    data = for_spec(data, spec)
    if spec.several_inputs:  # `NamedInputs`: indexed like one array by the loops
        shapes = spec.input_shapes_by_name
        data = data._replace(x_train=check_inputs(data.x_train, shapes, "x_train"),
                             x_val=check_inputs(data.x_val, shapes, "x_val"))
        x = data.x_train
    else:
        x = check_x(data.x_train, spec.input_shape)
    check_y(data.y_train, x, spec.output_dim, spec.loss)
    model = build(track, spec, weights, plan=strategy, tf1_pattern=tf1_pattern,
                  jit_compile=jit_compile, steps_per_execution=steps_per_execution,
                  fused_optimizer=fused_optimizer)
    try:
        with locked(checkpoint_dir) if checkpoint_dir and chief else contextlib.nullcontext(), \
                disk_failures(checkpoint_dir, log_dir or log_root):
            if hasattr(model, "check_same_on_every_worker") and checkpoint_dir:
                # MultiWorkerModel: before the restore, whose collectives (variables it makes)
                # would otherwise fail obscurely on workers that see other checkpoints
                seen = read_state(checkpoint_dir, spec, track)
                model.check_same_on_every_worker(seen.iterations if seen else 0,
                                                 "the step to resume at")
            state = resume(track, model, checkpoint_dir, spec, log)
            check_resume_epochs(state, spec, checkpoint_dir)
            log_dir = run_log_dir(track, spec, state, checkpoint_dir, log_root, log_dir, chief,
                                  check_log_root)
            if log_dir and strategy is not None and not (state and state.log_dir):
                log_text(log_dir, strategy)  # once, in the run's first part
            callbacks = attach(track, spec, data, log_dir=log_dir, options=options,
                               checkpoint_dir=checkpoint_dir, save_every=save_every,
                               state=state, writer=chief)
            return run(model, spec, data, callbacks, state=state,
                       checkpoint_dir=checkpoint_dir, verbose=verbose, log_dir=log_dir,
                       log=log)
    finally:
        if hasattr(model, "close"):
            model.close()


def _train_tf1_cluster(spec, data, plan, weights, log_root, log_dir, verbose, synchronous, *,
                       checkpoint_dir=None, save_every=None, log=print,
                       check_log_root=False) -> TrackResult:
    """The TF1 track on a ps/worker cluster (`tf1_compat.cluster`); a ps task never returns.

    With `checkpoint_dir` the chief (holding the folder's lock) saves the variables from the
    ps tasks with the graph's `Saver` and restores them at start; every worker reads where to
    go on from the folder's `checkpoint.json`."""
    data = for_spec(data, spec)
    if plan.task[0] == "ps":  # serves until killed: nothing of checkpoints or logs
        tf1_compat.cluster.train_between_graph(spec, data, plan.cluster)
    chief = plan.is_chief
    with locked(checkpoint_dir) if checkpoint_dir and chief else contextlib.nullcontext(), \
            disk_failures(checkpoint_dir, log_dir or log_root):
        state = None
        if checkpoint_dir:
            state = read_state(checkpoint_dir, spec, "tf1")
            if state and log:
                log(f"Resuming from {checkpoint_dir}: epoch {state.epoch + 1}, "
                    f"step {state.step} ({state.iterations} steps trained)")
            state = state and own_run(state, checkpoint_dir, log if chief else None)
        check_resume_epochs(state, spec, checkpoint_dir)
        log_dir = run_log_dir("tf1", spec, state, checkpoint_dir, log_root, log_dir, chief,
                              check_log_root)
        if log_dir and not (state and state.log_dir):
            log_text(log_dir, plan)  # once, in the run's first part
        # No NaN stop here: the workers of a synchronous cluster would stop a step apart and
        # the later one wait for the other's gradient forever. A non-finite step is not saved.
        backup = None
        if checkpoint_dir:
            backup = tf1_compat.checkpoint.BackupAndRestore(
                checkpoint_dir, spec, save_freq=save_every or "epoch", state=state,
                log_dir=log_dir, writer=chief)
        history, final = tf1_compat.cluster.train_between_graph(
            spec, data, plan.cluster, weights=weights, verbose=verbose, synchronous=synchronous,
            callbacks=[backup] if backup else None, state=state,
            restore=os.path.join(checkpoint_dir, state.weights) if state else None)
        past = state.history if state else {}
        merged = {k: list(past.get(k, [])) + list(history.history.get(k, []))
                  for k in {**past, **history.history}}
        with tf1_compat.model.Model(spec, final) as model:  # the weights, in a local graph
            if log_dir:  # the chief's epoch numbers, as its TensorBoard run, each epoch once
                epochs = [e for e in range(len(merged.get("loss", [])))
                          if e not in logged_epochs(log_dir)]
                if epochs:
                    board = tf1_compat.tensorboard.TensorBoard(
                        log_dir, options=LogOptions(histogram_freq=0, images=False))
                    at = _AtStep(model)
                    board.set_model(at)
                    board.on_train_begin()
                    steps = steps_per_epoch(len(data.x_train), spec.batch_size)
                    for epoch in epochs:  # its evaluations at the global batches trained so far
                        at.iterations = (epoch + 1) * steps
                        board.on_epoch_end(epoch, {k: v[epoch] for k, v in merged.items()})
                    board.on_train_end()
                    if backup:
                        backup.cover_logs()
            predictions = model.predict(data.x_val, batch_size=spec.batch_size, verbose=0)
            validation = {f"val_{k}": v for k, v in model.evaluate(
                data.x_val, data.y_val, batch_size=spec.batch_size, verbose=0,
                return_dict=True).items()}
    return TrackResult(merged, final, predictions, log_dir, final_validation=validation)


class _AtStep:
    """A model as TensorBoard sees it, at the `iterations` we set (a cluster's step count; the
    local copy of its weights has trained none)."""

    def __init__(self, model):
        self._model, self.iterations = model, 0

    def __getattr__(self, name):
        return getattr(self._model, name)


def logged_epochs(log_dir: str) -> set:
    """The epochs whose `epoch_loss` is in the event files under `log_dir` already."""
    import tensorflow as tf

    steps = set()
    for folder, _, files in os.walk(log_dir):
        for name in files:
            if ".tfevents." in name:
                for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
                    steps.update(event.step for v in event.summary.value
                                 if v.tag == "epoch_loss")
    return steps
