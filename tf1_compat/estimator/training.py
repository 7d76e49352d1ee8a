"""`tf.estimator.train_and_evaluate` again, as TF1 ran it in one process.

    tf.estimator.train_and_evaluate(estimator,
                                    tf.estimator.TrainSpec(train_input_fn, max_steps=1000),
                                    tf.estimator.EvalSpec(eval_input_fn, steps=None))

Training runs to `TrainSpec.max_steps`; after a checkpoint is saved, the newest checkpoint is
evaluated, at most once every `EvalSpec.throttle_secs` (TF1's default 600 s), never for the
checkpoint saved as training starts; when training ends, the last checkpoint is evaluated unless it
already was. Returns `(the last evaluation's dict, [])`: exporters are not provided.
"""

from __future__ import annotations

import time

import tensorflow as tf

from tf1_compat.estimator.estimator import Estimator
from tf1_compat.estimator.spec import EvalSpec, TrainSpec
from tf1_compat.notprovided import NotProvided
from tfmodels.core.errors import UserError

__all__ = ["train_and_evaluate"]


class _EvaluateOnSave(tf.compat.v1.train.CheckpointSaverListener):
    """Evaluates the newest checkpoint after a save, throttled; and at the end."""

    def __init__(self, estimator, eval_spec):
        self._estimator, self._spec = estimator, eval_spec
        self.result, self._last_step, self._last_time, self._first = None, None, None, True

    def _evaluate(self, step):
        self.result = self._estimator.evaluate(
            self._spec.input_fn, steps=self._spec.steps, hooks=self._spec.hooks,
            name=self._spec.name, checkpoint_path=self._estimator.latest_checkpoint())
        self._last_step, self._last_time = step, time.time()

    def after_save(self, session, global_step_value):
        del session
        if self._first:  # the checkpoint of the step training starts from
            self._first = False
            return
        if self._last_time is None or time.time() - self._last_time >= self._spec.throttle_secs:
            self._evaluate(global_step_value)

    def end(self, session, global_step_value):
        del session
        if global_step_value != self._last_step:
            self._evaluate(global_step_value)


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains `estimator` as `train_spec` says, evaluating as `eval_spec` says, in one process."""
    for value, kind, what in ((estimator, Estimator, "estimator"),
                              (train_spec, TrainSpec, "train_spec"),
                              (eval_spec, EvalSpec, "eval_spec")):
        if not isinstance(value, kind):
            raise UserError(f"train_and_evaluate's {what} must be a tf.estimator.{kind.__name__}. "
                            f"Received: {type(value).__name__}")
    if eval_spec.exporters:
        raise NotProvided("tf.estimator.EvalSpec(exporters=...)",
                          "SavedModel export of an Estimator is not provided")
    listener = _EvaluateOnSave(estimator, eval_spec)
    estimator.train(train_spec.input_fn, hooks=list(train_spec.hooks),
                    max_steps=train_spec.max_steps, saving_listeners=[listener])
    if listener.result is None and estimator.latest_checkpoint() is not None:
        listener._evaluate(None)
    return listener.result, []
