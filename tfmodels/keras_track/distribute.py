"""The Keras track on several devices or processes, as `tfmodels.core.strategy` planned.

`build_model(spec, weights, plan)` builds and compiles the model inside the plan's
`strategy.scope()` (one device, `MirroredStrategy`, a TPU); under `multiworker` it is a
`MultiWorkerModel`, trained by a step of its own:

Keras 3's `fit` does not work under `MultiWorkerMirroredStrategy` (keras-team/keras#20585: a
PerReplica conversion error, then "Invalid reduction dimension 0"; tests/test_multiworker.py
checks it still fails and says so when it starts working). Until then the model and optimizer
that `build_model` makes, inside `strategy.scope()`, train here in a `tf.function` step under
`strategy.run`:

- every worker computes the same global batches (`batch_indices` with the spec's seed) and each
  replica takes its shard (`tfmodels.core.strategy.shard`, by its global replica id);
- each replica's loss is its sum over its shard divided by the *global* batch size; Keras's
  optimizer all-reduces (sums) the gradients before its one update, so every worker applies the
  gradient of the global batch mean: the single-process update;
- the epoch numbers are Keras's: the loss and metrics averaged over the epoch's samples in
  float32, validation after each epoch; `fit` drives Keras's own `CallbackList` (History, the
  progress bar, TensorBoard, TerminateOnNaN) and returns its `History`.

    model = MultiWorkerModel(spec, weights, tf.distribute.MultiWorkerMirroredStrategy())
    history = model.fit(x, y, batch_size=64, epochs=3, validation_data=(xv, yv))
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfmodels.core.checks import check_batch_size, check_token_ids, check_x, check_y
from tfmodels.core.data import batch_indices
from tfmodels.core.errors import UserError
from tfmodels.core.loop import Means, evaluate_loop, fit_loop
from tfmodels.core.spec import ModelSpec, initial_weights
from tfmodels.core.strategy import Plan, shard
from tfmodels.keras_track.losses import metric_sum, spec_loss
from tfmodels.keras_track.model import build_model as build_model_in_scope

__all__ = ["MultiWorkerModel", "build_model"]


class MultiWorkerModel:
    """A Keras model built in `strategy.scope()`, trained by a custom step; Keras's API."""

    def __init__(self, spec: ModelSpec, weights=None, strategy=None):
        self.spec = spec
        self.strategy = strategy or tf.distribute.get_strategy()
        with self.strategy.scope():
            self.model = build_model_in_scope(
                spec, initial_weights(spec) if weights is None else weights)
        self.optimizer = self.model.optimizer
        # Keras's own `predict` distributes the batches over the workers too, so on the chief
        # alone (TensorBoard's pictures at the end of training) it waits for workers that have
        # finished. Callbacks see the Keras model: give it this class's local predict.
        self.model.predict = self.predict
        # The epoch's running averages `fit_loop` keeps: a checkpoint callback (which sees the
        # Keras model) saves and restores them (`tfmodels.keras_track.checkpoint`).
        self.model.loop_means = self.loop_means = Means(["loss", *spec.metrics])
        self._loss = keras.losses.get(spec_loss(spec))
        self._step = tf.function(self._global_step, reduce_retracing=True)

    # --- the step ------------------------------------------------------------------------------

    def _replica_step(self, x, y, global_n):
        ctx = tf.distribute.get_replica_context()
        k, i = ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group
        x, y = shard(x, k, i), shard(y, k, i)
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            outputs = self.model(x, training=True)
            loss_sum = tf.reduce_sum(self._loss(y, outputs))
            loss = loss_sum / global_n
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))  # sums across replicas, once
        return loss_sum, {m: metric_sum(m, self.spec.loss, y, outputs)
                          for m in self.spec.metrics}

    def _global_step(self, x, y):
        global_n = tf.cast(tf.shape(x)[0], tf.float32)
        loss_sum, metrics = self.strategy.run(self._replica_step, (x, y, global_n))
        total = self.strategy.reduce(tf.distribute.ReduceOp.SUM, loss_sum, axis=None)
        return {"loss": total / global_n,
                **{m: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                   for m, v in metrics.items()}}

    # --- Keras's API -----------------------------------------------------------------------------

    @property
    def iterations(self) -> int:
        return int(keras.ops.convert_to_numpy(self.optimizer.iterations.value))

    @property
    def stop_training(self) -> bool:
        return self.model.stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        self.model.stop_training = value

    @property
    def layers(self):
        return self.model.layers

    def get_weights(self):
        return self.model.get_weights()

    def load_weights(self, path):
        """A checkpoint's weights file into every worker's copy: each worker reads the file
        itself (assigning a mirrored variable is local; no collective to join)."""
        with self.strategy.scope():
            self.model.load_weights(path)

    def set_weights(self, weights):
        self.model.set_weights(weights)

    def check_same_on_every_worker(self, value: int, what: str) -> None:
        """Refuse to go on unless every worker holds the same `value` (a collective every worker
        enters, at the same point: after resuming, before training)."""
        def sums():
            v = tf.constant(float(value), tf.float64)
            both = self.strategy.run(lambda: tf.stack([v, v * v]))
            return self.strategy.reduce(tf.distribute.ReduceOp.SUM, both, axis=None)

        total, squares = (float(s) for s in tf.function(sums)())
        n = self.strategy.num_replicas_in_sync
        if n * squares != total * total:  # equal values only, for sums of n values and squares
            raise UserError(f"the workers disagree on {what} (this one has {value}): they must "
                            f"all read the same checkpoint folder (shared storage)")

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            initial_step=0):
        """Keras's `fit`, through `tfmodels.core.loop.fit_loop` with this model's step."""
        def step(x, y, idx):
            values = self._step(x[idx], y[idx])
            return {k: v.numpy() for k, v in values.items()}, len(idx)

        return fit_loop(self.model, step, x, y, names=["loss", *self.spec.metrics],
                        batch_size=batch_size, epochs=epochs, seed=self.spec.seed,
                        check=self._check_xy, evaluate=self._evaluate, verbose=verbose,
                        callbacks=callbacks, validation_split=validation_split,
                        validation_data=validation_data, shuffle=shuffle,
                        initial_epoch=initial_epoch, initial_step=initial_step,
                        means=self.loop_means)

    def _check_x(self, x):
        first = self.spec.layers[0]
        return check_token_ids(check_x(x, self.spec.input_shape),
                               first.input_dim if first.kind == "Embedding" else None)

    def _check_xy(self, x, y):
        x = self._check_x(x)
        return x, check_y(y, x, self.spec.output_dim, self.spec.loss)

    def _evaluate(self, x, y, batch_size, verbose=0) -> dict:
        def step(idx):
            outputs = self.model(x[idx], training=False)
            values = {"loss": np.mean(self._loss(y[idx], outputs)),
                      **{m: metric_sum(m, self.spec.loss, y[idx], outputs)
                         for m in self.spec.metrics}}
            return values, len(idx)

        return evaluate_loop(step, len(x), names=["loss", *self.spec.metrics],
                             batch_size=batch_size, verbose=verbose)

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=True):
        """Loss and metrics over all of `x`, on this worker (every worker holds the weights)."""
        return self._evaluate(*self._check_xy(x, y), batch_size, verbose)

    def predict(self, x, batch_size=None, verbose=0):
        x = self._check_x(x)
        batch_size = check_batch_size(batch_size)
        return np.concatenate([np.asarray(self.model(x[idx], training=False))
                               for idx in batch_indices(len(x), batch_size, shuffle=False)])


def build_model(spec: ModelSpec, weights, plan: Plan, pattern: str | None = None, **options):
    """The Keras model of `spec` where `plan` says, `options` passed to
    `tfmodels.keras_track.model.build_model`. Twin of `tf1_compat.distribute.build_model`
    (`pattern` is the TF1 track's; the Keras track has one way per strategy)."""
    if pattern is not None:
        raise UserError(f"tf1_pattern={pattern} is an option of the TF1 track (track=tf1)")
    if plan.name == "multiworker":
        return MultiWorkerModel(spec, weights, plan.strategy())
    with plan.strategy().scope():
        return build_model_in_scope(spec, weights, **options)
