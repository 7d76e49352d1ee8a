"""A small grid of learning rates and batch sizes, for TensorBoard's HParams dashboard (C10).

    trials = sweep(get_spec("spiral"), data, [0.001, 0.01, 0.1], [16, 32], "keras", "logs")

Each trial trains one track from the spec's seeded weights and writes to

    <logdir>/<model>/<run-id>/<track>-lr<lr>-batch<batch>/{train,validation}

with its hyper-parameters (`hp.hparams`) in the trial folder itself, which makes that folder
a *session* to the HParams plugin and its `train` and `validation` runs the session's metric
groups (`epoch_loss` in group `validation` is the validation loss, as Keras's `hp.KerasCallback`
arranges it).

No `hp.hparams_config` is written: TensorBoard uses the first experiment config it finds and
would apply one sweep's value lists to every sweep under `tensorboard --logdir=logs`. Without one,
the plugin gathers the hyper-parameters and metrics from all sessions, so any number of sweeps
share the table and parallel-coordinates view.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from tfmodels.core.checks import check_batch_size
from tfmodels.core.data import Data
from tfmodels.core.errors import UserError
from tfmodels.core.inputs import num_samples
from tfmodels.core.layers import one_of
from tfmodels.core.logs import LogOptions, new_run_dir
from tfmodels.core.spec import TRACKS, ModelSpec, OptimizerSpec, initial_weights
from tfmodels.core.table import table

__all__ = ["SWEEP_LOGGING", "Trial", "parse_list", "with_hparams", "sweep", "trials_table"]

# Trials log scalars only: the point is the comparison across trials, and it stays fast.
SWEEP_LOGGING = LogOptions(histogram_freq=0, images=False, trace_graph=False)


@dataclass
class Trial:
    learning_rate: float
    batch_size: int
    log_dir: str
    history: dict  # Keras's History.history of the trial


def parse_list(text: str, kind, option: str) -> list:
    """`"0.001,0.01"` -> `[0.001, 0.01]` of `kind` (float or int), each finite and > 0, no
    repeats."""
    values = []
    for part in str(text).split(","):
        try:
            value = kind(part.strip())
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and value > 0):
            noun = "numbers" if kind is float else "integers"
            raise UserError(f"{option}: expected comma-separated positive {noun}, got {text!r}")
        if value not in values:
            values.append(value)
    return values


def with_hparams(spec: ModelSpec, learning_rate: float, batch_size: int) -> ModelSpec:
    """`spec` with another learning rate and batch size (the optimizer's other settings kept)."""
    optimizer = OptimizerSpec(spec.optimizer.name,
                              {**spec.optimizer.params, "learning_rate": learning_rate})
    return spec.replace(optimizer=optimizer, batch_size=batch_size)


def sweep(spec: ModelSpec, data: Data, learning_rates, batch_sizes, track: str = "keras",
          logdir: str = "logs", verbose=0, on_trial=None, options: LogOptions = SWEEP_LOGGING,
          **switches) -> list[Trial]:
    """Train `track` once per (learning rate, batch size); log each trial for HParams as
    `options` say. `switches` (`jit_compile=`, `strategy=`, ...) are passed on to `train`."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    from tfmodels.parity import train_keras, train_tf1
    from tfmodels.training import SPEED_SWITCHES, check_switches

    one_of("track", track, TRACKS)
    learning_rates, batch_sizes = list(learning_rates), list(batch_sizes)
    if not learning_rates or not batch_sizes:
        raise UserError("a sweep needs at least one learning rate and one batch size")
    for lr in learning_rates:  # every value checked before the first trial trains
        for batch in batch_sizes:
            with_hparams(spec, lr, batch)
    for batch in batch_sizes:
        check_batch_size(batch, num_samples(data.x_train), spec.dataset)
    check_switches(track, **{k: v for k, v in switches.items() if k in SPEED_SWITCHES})
    trainer = train_keras if track == "keras" else train_tf1
    run_dir = new_run_dir(logdir, spec.name)
    trials = []
    for lr in learning_rates:
        for batch in batch_sizes:
            trial_spec = with_hparams(spec, lr, batch)
            log_dir = os.path.join(run_dir, f"{track}-lr{lr:g}-batch{batch}")
            writer = tf.summary.create_file_writer(log_dir)
            with writer.as_default():
                # The trial's id groups sessions in the HParams table: unique to this sweep.
                hp.hparams({"learning_rate": lr, "batch_size": batch, "track": track},
                           trial_id=os.path.relpath(log_dir, logdir))
            writer.close()
            result = trainer(trial_spec, data, initial_weights(trial_spec), log_dir, verbose,
                             options, **switches)
            trials.append(Trial(lr, batch, log_dir, result.history))
            if on_trial:
                on_trial(trials[-1])
    return trials


def trials_table(trials: list[Trial]) -> str:
    """The sweep as text: one row per trial, final epoch's numbers."""
    keys = sorted(trials[0].history, key=lambda k: (k.startswith("val_"), k != "loss"
                                                    and k != "val_loss", k))
    rows = [["learning_rate", "batch_size"] + keys]
    for t in trials:
        rows.append([f"{t.learning_rate:g}", str(t.batch_size)]
                    + [f"{t.history[k][-1]:.4f}" for k in keys])
    return table(rows)
