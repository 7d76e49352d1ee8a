"""`tf.estimator.Estimator` again, built as TF1 built it, on what TensorFlow 2.21 still has.

    estimator = tf.estimator.Estimator(model_fn, model_dir="run", params={"units": 32})
    estimator.train(input_fn, steps=1000)        # model.ckpt-N in run/, summaries in run/
    estimator.evaluate(eval_input_fn)            # {"loss": ..., "accuracy": ..., "global_step": N}
    for row in estimator.predict(predict_input_fn): ...

Each call builds a fresh `tf.Graph`: the global step, the input, the `model_fn` in its mode. `train`
runs it in a `MonitoredTrainingSession` over `model_dir`: it restores the newest checkpoint (so a
second `train` counts on from the step the first saved), saves `model.ckpt-<step>` through a
`CheckpointSaverHook`, writes the `loss` summary every `save_summary_steps` and `global_step/sec`
every `log_step_count_steps` (TF1's `StepCounterHook`), stops at `steps` more or at `max_steps`
(already reached: nothing is done), and stops on a NaN loss (`NanTensorHook`). `evaluate` runs the
update ops of `eval_metric_ops` (the `tf.metrics.*` pairs, in local variables) plus the mean of
the loss over the batches, until the input ends or after `steps` batches, and writes the results
to `model_dir/eval` (or `eval_<name>`). `predict` yields one prediction per example.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile

import numpy as np
import tensorflow as tf

from tf1_compat.estimator import calls
from tf1_compat.estimator.spec import ModeKeys, RunConfig
from tf1_compat.notprovided import NotProvided
from tfmodels.core.errors import UserError

v1 = tf.compat.v1

__all__ = ["Estimator"]


def _steps(value, what):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value <= 0):
        raise UserError(f"{what} must be a positive integer or None. Received: {what}={value!r}")
    return value


class _StepMustAdvance(v1.train.SessionRunHook):
    """Refuses a train_op that leaves the global step alone, when steps are to stop training."""

    def begin(self):
        self._step, self._before = v1.train.get_global_step(), None

    def after_create_session(self, session, coord):
        self._before = session.run(self._step)

    def after_run(self, run_context, run_values):
        if self._before is not None:
            if run_context.session.run(self._step) == self._before:
                raise UserError("train_op did not increase the global step, so steps/max_steps "
                                "would never stop training: pass global_step=tf.train."
                                "get_global_step() to the optimizer's minimize()")
            self._before = None


class Estimator:
    """TF1's Estimator: `model_fn(features, labels, mode, params, config)` -> `EstimatorSpec`."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None, warm_start_from=None):
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise UserError(f"Estimator's config must be a tf.estimator.RunConfig. "
                            f"Received: {type(config).__name__}")
        if (model_dir is not None and config.model_dir is not None
                and os.path.abspath(str(model_dir)) != os.path.abspath(config.model_dir)):
            raise UserError(f"Estimator's model_dir and config.model_dir differ. Received: "
                            f"model_dir={str(model_dir)!r}, config.model_dir={config.model_dir!r}")
        if warm_start_from is not None:
            raise NotProvided("tf.estimator.Estimator(warm_start_from=...)",
                              "restore variables by hand with a Saver in an init_fn scaffold")
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            v1.logging.warning("Using temporary folder as model directory: %s", model_dir)
        calls.check_model_fn(model_fn, params)
        self._config = config.replace(model_dir=str(model_dir))
        self._model_fn = model_fn
        self._params = copy.deepcopy(params or {})

    model_dir = property(lambda self: self._config.model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))
    model_fn = property(lambda self: self._model_fn)

    def latest_checkpoint(self):
        """The newest `model.ckpt-N` prefix in `model_dir`, or None."""
        return v1.train.latest_checkpoint(self.model_dir)

    def _checkpoint(self, checkpoint_path=None):
        if checkpoint_path is None:
            return self.latest_checkpoint()
        if os.path.isdir(checkpoint_path):
            return v1.train.latest_checkpoint(checkpoint_path)
        if not v1.train.checkpoint_exists(checkpoint_path):
            raise UserError(f"no checkpoint at checkpoint_path={checkpoint_path!r}")
        return checkpoint_path

    def _trained_checkpoint(self):
        checkpoint = self.latest_checkpoint()
        if checkpoint is None:
            raise UserError(f"Could not find trained model in model_dir: {self.model_dir!r}")
        return checkpoint

    def get_variable_names(self):
        """The names of the variables in the newest checkpoint."""
        return [name for name, _ in v1.train.list_variables(self._trained_checkpoint())]

    def get_variable_value(self, name):
        """The value of variable `name` in the newest checkpoint, as a NumPy array."""
        return v1.train.load_variable(self._trained_checkpoint(), name)

    @contextlib.contextmanager
    def _build(self, input_fn, mode):
        """A fresh graph as TF1's: seed, global step, input, `model_fn` in `mode`."""
        graph = tf.Graph()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                v1.set_random_seed(self._config.tf_random_seed)
            global_step = v1.train.get_or_create_global_step()
            features, labels, hooks = calls.call_input_fn(input_fn, mode, self.params,
                                                           self.config)
            if mode == ModeKeys.PREDICT:
                labels = None
            spec = calls.call_model_fn(self._model_fn, features, labels, mode, self.params,
                                        self.config)
            yield graph, global_step, spec, hooks

    def _start_step(self):
        checkpoint = self.latest_checkpoint()
        if checkpoint is None:
            return 0
        return int(v1.train.load_variable(checkpoint, v1.GraphKeys.GLOBAL_STEP))

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains `steps` more steps, or up to `max_steps`, or until the input ends."""
        if steps is not None and max_steps is not None:
            raise UserError(f"train takes steps or max_steps, not both. Received: steps={steps}, "
                            f"max_steps={max_steps}")
        _steps(steps, "steps")
        _steps(max_steps, "max_steps")
        if max_steps is not None and self._start_step() >= max_steps:
            v1.logging.info("Skipping training since max_steps has already saved.")
            return self
        with self._build(input_fn, ModeKeys.TRAIN) as (graph, global_step, spec, input_hooks):
            stop = [v1.train.StopAtStepHook(num_steps=steps, last_step=max_steps),
                    _StepMustAdvance()] if (steps or max_steps) else []
            loss = self._train_with_spec(graph, global_step, spec,
                                         list(input_hooks) + list(hooks or ()) + stop,
                                         list(saving_listeners or ()))
        v1.logging.info("Loss for final step: %s.", loss)
        return self

    def _train_with_spec(self, graph, global_step, spec, hooks, listeners):
        """TF1's `_train_with_estimator_spec`: summaries, hooks, saver, the session loop."""
        config = self._config
        if not any(s.op.name == "loss" for s in graph.get_collection(v1.GraphKeys.SUMMARIES)):
            v1.summary.scalar("loss", spec.loss)
        graph.add_to_collection(v1.GraphKeys.LOSSES, spec.loss)
        hooks = hooks + [v1.train.NanTensorHook(spec.loss)]
        if config.log_step_count_steps is not None:
            hooks.append(v1.train.LoggingTensorHook(
                {"loss": spec.loss, "step": global_step}, every_n_iter=config.log_step_count_steps))
        hooks += list(spec.training_hooks)
        if not (spec.scaffold.saver or graph.get_collection(v1.GraphKeys.SAVERS)):
            graph.add_to_collection(v1.GraphKeys.SAVERS, v1.train.Saver(
                sharded=True, max_to_keep=config.keep_checkpoint_max, defer_build=True,
                keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours,
                save_relative_paths=True))
        chief = list(spec.training_chief_hooks)
        savers = [h for h in hooks + chief if isinstance(h, v1.train.CheckpointSaverHook)]
        if not savers:
            savers = [v1.train.CheckpointSaverHook(
                self.model_dir, save_secs=config.save_checkpoints_secs,
                save_steps=config.save_checkpoints_steps, scaffold=spec.scaffold)]
            chief = savers + chief
        savers[0]._listeners.extend(listeners)
        calls.check_checkpoint(self.latest_checkpoint(), graph, self.model_dir)
        loss = None
        with v1.train.MonitoredTrainingSession(
                checkpoint_dir=self.model_dir, scaffold=spec.scaffold, hooks=hooks,
                chief_only_hooks=chief, save_checkpoint_secs=0,
                save_summaries_steps=config.save_summary_steps, config=config.session_config,
                log_step_count_steps=config.log_step_count_steps) as session:
            while not session.should_stop():
                _, loss = session.run([spec.train_op, spec.loss])
        if loss is None:
            v1.logging.warning("Training with estimator made no steps. Perhaps input is empty.")
        return loss

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """The metrics, the mean loss and the global step, over the input or `steps` batches."""
        _steps(steps, "steps")
        checkpoint = self._checkpoint(checkpoint_path)
        with self._build(input_fn, ModeKeys.EVAL) as (graph, global_step, spec, input_hooks):
            metrics = dict(spec.eval_metric_ops)
            if "loss" in metrics:
                raise UserError("eval_metric_ops may not be named 'loss': the Estimator adds the "
                                "mean loss under that name")
            metrics["loss"] = v1.metrics.mean(spec.loss)
            update = tf.group(*[pair[1] for pair in metrics.values()])
            final = {key: pair[0] for key, pair in metrics.items()}
            final[v1.GraphKeys.GLOBAL_STEP] = global_step
            calls.check_checkpoint(checkpoint, graph, self.model_dir)
            all_hooks = list(input_hooks) + list(spec.evaluation_hooks) + list(hooks or ())
            results = self._run_eval(spec.scaffold, checkpoint, update, final, all_hooks, steps)
            folder = os.path.join(self.model_dir, "eval" if not name else f"eval_{name}")
            _write_summary(folder, results, int(results[v1.GraphKeys.GLOBAL_STEP]))
        v1.logging.info("Saving dict for global step %d: %s", results["global_step"], results)
        return results

    def _run_eval(self, scaffold, checkpoint, update, final, hooks, steps):
        if checkpoint is None:
            v1.logging.info("Could not find trained model in model_dir: %s, running "
                            "initialization to evaluate.", self.model_dir)
        final_hook = v1.train.FinalOpsHook(final)
        creator = v1.train.ChiefSessionCreator(
            scaffold=scaffold, config=self._config.session_config,
            checkpoint_filename_with_path=checkpoint)
        with v1.train.MonitoredSession(session_creator=creator,
                                       hooks=hooks + [final_hook]) as session:
            done = 0
            while not session.should_stop() and (steps is None or done < steps):
                session.run(update)
                done += 1
        return final_hook.final_ops_values

    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):
        """Yields the predictions of each example (a dict when `predictions` was one)."""
        checkpoint = self._checkpoint(checkpoint_path)
        with self._build(input_fn, ModeKeys.PREDICT) as (graph, _, spec, input_hooks):
            predictions = _keys(spec.predictions, predict_keys)
            calls.check_checkpoint(checkpoint, graph, self.model_dir)
            creator = v1.train.ChiefSessionCreator(
                scaffold=spec.scaffold, config=self._config.session_config,
                checkpoint_filename_with_path=checkpoint)
            all_hooks = list(input_hooks) + list(hooks or ()) + list(spec.prediction_hooks)
            with v1.train.MonitoredSession(session_creator=creator, hooks=all_hooks) as session:
                while not session.should_stop():
                    values = session.run(predictions)
                    yield from _examples(values, yield_single_examples)

    def export_saved_model(self, *args, **kwargs):
        """Not provided: TF1's SavedModel export of an Estimator."""
        raise NotProvided("tf.estimator.Estimator.export_saved_model",
                          "save checkpoints; tfmodels' migration kit carries them into Keras 3")

    export_savedmodel = export_saved_model


def _keys(predictions, predict_keys):
    if predict_keys is None:
        return predictions
    if not isinstance(predictions, dict):
        raise UserError("predict_keys needs model_fn's predictions to be a dict. Received: "
                        f"predict_keys={predict_keys!r}")
    keys = [predict_keys] if isinstance(predict_keys, str) else list(predict_keys)
    missing = [key for key in keys if key not in predictions]
    if missing or not keys:
        raise UserError(f"predict_keys must name some of the predictions {sorted(predictions)}. "
                        f"Received: predict_keys={predict_keys!r}")
    return {key: predictions[key] for key in keys}


def _examples(values, single: bool):
    if not single:
        yield values
    elif not isinstance(values, dict):
        yield from values
    else:
        lengths = {key: np.shape(value)[0] if np.ndim(value) else None
                   for key, value in values.items()}
        if None in lengths.values() or len(set(lengths.values())) != 1:
            raise UserError("predictions must all have the same batch length to be yielded one "
                            f"example at a time. Received lengths {lengths}")
        for i in range(next(iter(lengths.values()))):
            yield {key: value[i] for key, value in values.items()}


def _write_summary(folder, results, step):
    """The results as scalar summaries in `folder` at `step`, as TF1's evaluate wrote them."""
    summary = v1.Summary()
    for key, value in results.items():
        if key == v1.GraphKeys.GLOBAL_STEP:
            continue
        if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
            summary.value.add(tag=key, simple_value=float(value))
        elif isinstance(value, np.ndarray):
            summary.value.add(tag=key, tensor=tf.make_tensor_proto(value))
    writer = v1.summary.FileWriterCache.get(folder)
    writer.add_summary(summary, step)
    writer.flush()
