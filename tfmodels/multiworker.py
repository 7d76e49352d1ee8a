"""The Keras track under `MultiWorkerMirroredStrategy`, with a training step of its own.

Keras 3's `fit` does not work under `MultiWorkerMirroredStrategy` (keras-team/keras#20585: a
PerReplica conversion error, then "Invalid reduction dimension 0"; tests/test_multiworker.py
checks it still fails and says so when it starts working). Until then the model and optimizer
that `build_model` makes, inside `strategy.scope()`, train here in a `tf.function` step under
`strategy.run`:

- every worker computes the same global batches (`batch_indices` with the spec's seed) and each
  replica takes its shard (`tfmodels.strategy.shard`, by its global replica id);
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

from tf1_compat.losses import metric_sum
from tfmodels.checks import check_batch_size, check_x, check_y
from tfmodels.data import batch_indices, steps_per_epoch
from tfmodels.model import build_model
from tfmodels.spec import ModelSpec, initial_weights
from tfmodels.strategy import shard


class MultiWorkerModel:
    """A Keras model built in `strategy.scope()`, trained by a custom step; Keras's API."""

    def __init__(self, spec: ModelSpec, weights=None, strategy=None):
        self.spec = spec
        self.strategy = strategy or tf.distribute.get_strategy()
        with self.strategy.scope():
            self.model = build_model(spec, initial_weights(spec) if weights is None else weights)
        self.optimizer = self.model.optimizer
        # Keras's own `predict` distributes the batches over the workers too, so on the chief
        # alone (TensorBoard's pictures at the end of training) it waits for workers that have
        # finished. Callbacks see the Keras model: give it this class's local predict.
        self.model.predict = self.predict
        self._loss = keras.losses.get(spec.loss)
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

    def get_weights(self):
        return self.model.get_weights()

    def set_weights(self, weights):
        self.model.set_weights(weights)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_data=None, shuffle=True, initial_epoch=0, initial_step=0):
        x = check_x(x, self.spec.input_dim)
        y = check_y(y, x, self.spec.output_dim, self.spec.loss)
        batch_size = check_batch_size(batch_size)
        verbose = 1 if verbose == "auto" else verbose
        callbacks = keras.callbacks.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self.model,
            verbose=verbose, epochs=epochs, steps=steps_per_epoch(len(x), batch_size))
        self.model.stop_training = False
        logs = None
        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            total = dict.fromkeys(["loss", *self.spec.metrics], np.float32(0))
            count = np.float32(0)
            callbacks.on_epoch_begin(epoch)
            batches = batch_indices(len(x), batch_size, epoch=epoch, seed=self.spec.seed,
                                    shuffle=shuffle)
            first = initial_step if epoch == initial_epoch else 0
            for i in range(first, len(batches)):
                idx = batches[i]
                callbacks.on_train_batch_begin(i)
                values = {k: np.float32(v) for k, v in self._step(x[idx], y[idx]).items()}
                n = np.float32(len(idx))
                count += n
                for k, v in values.items():  # Keras's Mean: the loss weighted by batch size
                    total[k] += v * n if k == "loss" else v
                logs = {k: float(v / count) for k, v in total.items()}
                callbacks.on_train_batch_end(i, logs)
                if self.model.stop_training:
                    break
            if validation_data is not None:
                val = self.evaluate(*validation_data[:2], batch_size=batch_size)
                logs.update({f"val_{k}": v for k, v in val.items()})
            callbacks.on_epoch_end(epoch, logs)
            if self.model.stop_training:
                break
        callbacks.on_train_end(logs)
        return self.model.history

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=True):
        """Loss and metrics over all of `x`, on this worker (every worker holds the weights)."""
        x = check_x(x, self.spec.input_dim)
        y = check_y(y, x, self.spec.output_dim, self.spec.loss)
        batch_size = check_batch_size(batch_size)
        total = dict.fromkeys(["loss", *self.spec.metrics], np.float32(0))
        count = np.float32(0)
        for idx in batch_indices(len(x), batch_size, shuffle=False):
            outputs = self.model(x[idx], training=False)
            n = np.float32(len(idx))
            total["loss"] += np.float32(np.mean(self._loss(y[idx], outputs))) * n
            for m in self.spec.metrics:
                total[m] += np.float32(metric_sum(m, self.spec.loss, y[idx], outputs))
            count += n
        return {k: float(v / count) for k, v in total.items()}

    def predict(self, x, batch_size=None, verbose=0):
        x = check_x(x, self.spec.input_dim)
        batch_size = check_batch_size(batch_size)
        return np.concatenate([np.asarray(self.model(x[idx], training=False))
                               for idx in batch_indices(len(x), batch_size, shuffle=False)])
