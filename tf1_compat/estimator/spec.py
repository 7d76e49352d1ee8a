"""What TF1's `tf.estimator` passed around: `ModeKeys`, `EstimatorSpec`, `RunConfig`, the specs.

    def model_fn(features, labels, mode, params):
        ...
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                          eval_metric_ops={"accuracy": (value, update)})

Each keeps TF1's fields, defaults and checks: an `EstimatorSpec` in TRAIN mode needs a `loss` and
a `train_op`, in EVAL a `loss`, in PREDICT `predictions`; a `RunConfig` saves a checkpoint every
600 seconds unless `save_checkpoints_steps` or `_secs` says otherwise (not both). TF1 raised a
`ValueError` for each mistake; these raise `UserError` (a `ValueError`) in one line.
"""

from __future__ import annotations

import collections

import tensorflow as tf

from tfmodels.core.errors import UserError

__all__ = ["EstimatorSpec", "EvalSpec", "ModeKeys", "RunConfig", "TrainSpec"]


class ModeKeys:
    """The three modes a `model_fn` is called in, with TF1's string values."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


_MODES = (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT)
_TENSORS = (tf.Tensor, tf.Variable)

_SPEC_FIELDS = ("mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
                "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks",
                "prediction_hooks")


def _is_tensor(value) -> bool:
    return isinstance(value, _TENSORS) or tf.is_tensor(value)


def _check_loss(mode, loss):
    if loss is None:
        raise UserError(f"EstimatorSpec in mode {mode!r} needs a loss (a scalar tensor). "
                        "Received: loss=None")
    if not _is_tensor(loss):
        raise UserError(f"EstimatorSpec's loss must be a scalar tensor. Received: loss={loss!r}")
    if loss.shape.num_elements() not in (None, 1):
        raise UserError(f"EstimatorSpec's loss must be a scalar, as TF1's. Received: loss of "
                        f"shape {loss.shape}")
    return loss if loss.shape.rank == 0 else tf.reshape(loss, [])


def _check_metrics(eval_metric_ops):
    metrics = dict(eval_metric_ops or {})
    for name, pair in metrics.items():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise UserError(f"eval_metric_ops[{name!r}] must be a (value, update_op) pair such as "
                            f"tf.metrics.accuracy returns. Received: {type(pair).__name__}")
    return metrics


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _SPEC_FIELDS)):
    """What a `model_fn` returns: TF1's fields; `export_outputs` is kept but not used."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None,
                scaffold=None, evaluation_hooks=None, prediction_hooks=None):
        if mode not in _MODES:
            raise UserError(f"EstimatorSpec's mode must be one of 'train', 'eval', 'infer' "
                            f"(tf.estimator.ModeKeys). Received: mode={mode!r}")
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            loss = _check_loss(mode, loss)
        elif loss is not None and _is_tensor(loss):
            loss = _check_loss(mode, loss)
        if mode == ModeKeys.TRAIN and train_op is None:
            raise UserError("EstimatorSpec in mode 'train' needs a train_op (such as "
                            "optimizer.minimize(loss, global_step=tf.train.get_global_step())). "
                            "Received: train_op=None")
        if train_op is not None and not (_is_tensor(train_op)
                                         or isinstance(train_op, tf.Operation)):
            raise UserError(f"EstimatorSpec's train_op must be an operation or a tensor. "
                            f"Received: train_op of type {type(train_op).__name__}")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise UserError("EstimatorSpec in mode 'infer' needs predictions (a tensor or a dict "
                            "of tensors). Received: predictions=None")
        return super().__new__(
            cls, mode, predictions, loss, train_op, _check_metrics(eval_metric_ops),
            export_outputs, tuple(training_chief_hooks or ()), tuple(training_hooks or ()),
            scaffold or tf.compat.v1.train.Scaffold(), tuple(evaluation_hooks or ()),
            tuple(prediction_hooks or ()))


def _optional_positive(value, what: str):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or value <= 0):
        raise UserError(f"RunConfig's {what} must be a positive number or None. "
                        f"Received: {what}={value!r}")
    return value


class RunConfig:
    """How an Estimator runs: its folder, how often it saves checkpoints and summaries, the seed.

    TF1's defaults: a checkpoint every 600 s (unless `save_checkpoints_steps` is given), the 5
    newest kept, summaries every 100 steps, `global_step/sec` and the loss logged every 100.
    """

    _KEYS = ("model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps",
             "save_checkpoints_secs", "session_config", "keep_checkpoint_max",
             "keep_checkpoint_every_n_hours", "log_step_count_steps")

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=None, save_checkpoints_secs=None, session_config=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000,
                 log_step_count_steps=100, train_distribute=None, device_fn=None,
                 protocol=None, eval_distribute=None, experimental_distribute=None,
                 experimental_max_worker_delay_secs=None, session_creation_timeout_secs=7200):
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise UserError("RunConfig takes save_checkpoints_steps or save_checkpoints_secs, "
                            f"not both. Received: save_checkpoints_steps={save_checkpoints_steps}"
                            f", save_checkpoints_secs={save_checkpoints_secs}")
        if save_checkpoints_steps is None and save_checkpoints_secs is None:
            save_checkpoints_secs = 600
        for name, value in (("train_distribute", train_distribute),
                            ("eval_distribute", eval_distribute)):
            if value is not None:
                raise UserError(f"RunConfig's {name} is not provided by tf1_compat (one "
                                f"process, one device). Received: {name}={value!r}")
        self.model_dir = None if model_dir is None else str(model_dir)
        self.tf_random_seed = tf_random_seed
        self.save_summary_steps = _optional_positive(save_summary_steps, "save_summary_steps")
        self.save_checkpoints_steps = _optional_positive(save_checkpoints_steps,
                                                         "save_checkpoints_steps")
        self.save_checkpoints_secs = _optional_positive(save_checkpoints_secs,
                                                        "save_checkpoints_secs")
        self.session_config = session_config
        self.keep_checkpoint_max = keep_checkpoint_max
        self.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self.log_step_count_steps = _optional_positive(log_step_count_steps,
                                                       "log_step_count_steps")
        self.is_chief, self.num_worker_replicas, self.num_ps_replicas = True, 1, 0
        self.task_type, self.task_id, self.master, self.cluster_spec = "worker", 0, "", None

    def replace(self, **changes):
        """A copy with `changes`, as TF1's `RunConfig.replace`."""
        unknown = sorted(set(changes) - set(self._KEYS))
        if unknown:
            raise UserError(f"RunConfig.replace takes {', '.join(self._KEYS)}. "
                            f"Received: {unknown[0]}")
        values = {key: getattr(self, key) for key in self._KEYS}
        if "save_checkpoints_steps" in changes and "save_checkpoints_secs" not in changes:
            values["save_checkpoints_secs"] = None
        if "save_checkpoints_secs" in changes and "save_checkpoints_steps" not in changes:
            values["save_checkpoints_steps"] = None
        values.update(changes)
        return RunConfig(**values)

    def __repr__(self):
        fields = ", ".join(f"{key}={getattr(self, key)!r}" for key in self._KEYS)
        return f"RunConfig({fields})"


class TrainSpec(collections.namedtuple("TrainSpec", ("input_fn", "max_steps", "hooks"))):
    """`train_and_evaluate`'s training half: the input and the step to stop at."""

    def __new__(cls, input_fn, max_steps=None, hooks=None):
        if not callable(input_fn):
            raise UserError(f"TrainSpec's input_fn must be callable. Received: {input_fn!r}")
        if max_steps is not None and (not isinstance(max_steps, int) or max_steps <= 0):
            raise UserError(f"TrainSpec's max_steps must be a positive integer or None. "
                            f"Received: max_steps={max_steps!r}")
        return super().__new__(cls, input_fn, max_steps, tuple(hooks or ()))


_EVAL_FIELDS = ("input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs",
                "throttle_secs")


class EvalSpec(collections.namedtuple("EvalSpec", _EVAL_FIELDS)):
    """`train_and_evaluate`'s evaluation half; evaluations at most every `throttle_secs`."""

    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None,
                start_delay_secs=120, throttle_secs=600):
        if not callable(input_fn):
            raise UserError(f"EvalSpec's input_fn must be callable. Received: {input_fn!r}")
        if steps is not None and (not isinstance(steps, int) or steps <= 0):
            raise UserError(f"EvalSpec's steps must be a positive integer or None. "
                            f"Received: steps={steps!r}")
        if throttle_secs is None or throttle_secs < 0:
            raise UserError(f"EvalSpec's throttle_secs must be >= 0. "
                            f"Received: throttle_secs={throttle_secs!r}")
        return super().__new__(cls, input_fn, steps, name, tuple(hooks or ()), exporters,
                               start_delay_secs, throttle_secs)
