"""TensorBoard for the TF1 track: `summary.FileWriter`, with Keras's folder layout and tags.

A Keras callback (`keras.callbacks.Callback`) so it plugs into `Model.fit(callbacks=[...])` just as
`keras.callbacks.TensorBoard` plugs into Keras's `fit`. It writes to `<log_dir>/train` (with the
graph) and `<log_dir>/validation`, under the tags Keras uses (`epoch_loss`, `epoch_accuracy`,
`epoch_learning_rate`, and on validation `evaluation_loss_vs_iterations` at the training step), so
`tensorboard --logdir` overlays the two tracks' curves.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

v1 = tf.compat.v1


class TensorBoard(keras.callbacks.Callback):
    def __init__(self, log_dir: str = "logs", write_graph: bool = True):
        super().__init__()
        self.log_dir = log_dir
        self.write_graph = write_graph
        self._train = self._val = None

    def on_train_begin(self, logs=None):
        graph = self.model.graph if self.write_graph else None
        # FileWriter is a graph-mode object: it refuses to be made while executing eagerly.
        with self.model.graph.as_default():
            self._train = v1.summary.FileWriter(os.path.join(self.log_dir, "train"), graph)
            self._val = v1.summary.FileWriter(os.path.join(self.log_dir, "validation"))

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train["learning_rate"] = self.model.learning_rate
        val = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        self._write(self._train, epoch, {f"epoch_{k}": v for k, v in train.items()})
        self._write(self._val, epoch, {f"epoch_{k}": v for k, v in val.items()})
        # Keras also logs each evaluation against the optimizer's step count.
        self._write(self._val, self.model.iterations,
                    {f"evaluation_{k}_vs_iterations": v for k, v in val.items()})

    @staticmethod
    def _write(writer, step, values):
        if values:
            summary = v1.Summary(value=[v1.Summary.Value(tag=tag, simple_value=float(value))
                                        for tag, value in values.items()])
            writer.add_summary(summary, global_step=step)
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in (self._train, self._val):
            if writer is not None:
                writer.close()
