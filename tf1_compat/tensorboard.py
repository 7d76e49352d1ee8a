"""TensorBoard for the TF1 track: `summary.FileWriter`, with Keras's folder layout and tags.

A Keras callback (`keras.callbacks.Callback`) so it plugs into `Model.fit(callbacks=[...])` just as
`keras.callbacks.TensorBoard` plugs into Keras's `fit`. It writes to `<log_dir>/train` (with the
graph) and `<log_dir>/validation`, under the tags the Keras track uses
(`tfmodels.keras_track.tensorboard.TensorBoard`), so `tensorboard --logdir` overlays the two tracks:

- `epoch_loss`, `epoch_accuracy`, `epoch_learning_rate`; on validation also
  `evaluation_loss_vs_iterations` at the training step;
- with `update_freq` "batch" (or N), `batch_loss`, ... at the step count after each batch
  (`global_step`, like the Keras track's optimizer `iterations`);
- weight histograms per epoch tagged `dense_0/kernel`, ... (`tfmodels.core.logs.weight_tag`);
- the run graph (what the Graphs tab opens on): the part of the model's graph one training
  step runs (`step_graph_def`): `x`, `y`, `global_step`, the layers' variable scopes (`dense_0`,
  `dense_1`, ...), `loss`, `metrics`, `train` - the groups of the Keras track's run graph
  (`tfmodels.keras_track.tensorboard.step_graph`). The rest of the `tf.Graph` (the inference
  and `tf.data` copies of the step, `set_weights`, the `Saver`, the initializers) is the
  project's plumbing: written too, it drew every layer's variables into so many groups that
  TensorBoard moved the layers out of the main graph, to "Auxiliary Nodes";
- with `profile_batches`, those steps run with `RunOptions(trace_level=FULL_TRACE)` and their
  `RunMetadata` goes to `add_run_metadata`: the Graphs tab's "Session runs" menu then colours
  the graph by each node's compute time and memory. (A FULL_TRACE run is itself a profiling
  session, so the TensorFlow profiler that fills the Keras track's Profile tab cannot run at
  the same time.)
- with `images`, the pictures of `tfmodels.core.plots` at the end of training.

The model's graph is finalized, so nothing here adds summary ops to it (and so nothing gets the
`_1` suffix a summary op named like an existing scope, `dense_0`, would get): every summary is a
`tf.compat.v1.Summary` protocol buffer built from values the session returned, which is what a
summary op would have produced. Histograms use TensorBoard's own NumPy bucketing, the same 30
buckets `tf.summary.histogram` makes in the Keras track.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time

import keras
import numpy as np
import tensorflow as tf
from tensorboard.plugins.histogram.summary_v2 import histogram_pb

from tf1_compat.activations import TF1_ACTIVATIONS
from tfmodels.core.logs import LogOptions, parse_profile_batches, weight_tag

__all__ = ["step_graph_def", "TensorBoard", "activation_functions", "ImageWriter"]

v1 = tf.compat.v1


_writer_count = itertools.count()


def step_graph_def(graph: tf.Graph, fetches) -> tf.compat.v1.GraphDef:
    """The part of `graph` that running `fetches` (tensors, operations) runs: their ops and,
    transitively, every op a data or control input comes from, in the graph's order, with the
    output shapes `FileWriter(logdir, graph)` records. (TF1's `graph_util.extract_sub_graph`
    makes the same cut; it is deprecated.)"""
    whole = graph.as_graph_def(add_shapes=True)
    inputs = {node.name: node.input for node in whole.node}
    keep, todo = set(), [getattr(f, "op", f).name for f in fetches]
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo += [i.lstrip("^").split(":")[0] for i in inputs[name]]
    part = v1.GraphDef(versions=whole.versions, library=whole.library)
    part.node.extend(node for node in whole.node if node.name in keep)
    return part


class TensorBoard(keras.callbacks.Callback):
    """Writes the TF1 model's summaries; `spec` and `data` are needed only for the pictures."""

    def __init__(self, log_dir: str = "logs", write_graph: bool = True,
                 options: LogOptions | None = None, spec=None, data=None):
        super().__init__()
        self.log_dir = log_dir
        self.write_graph = write_graph
        self.options = options or LogOptions()
        self.spec, self.data = spec, data
        self.profile = (self.options.profile_batches
                        and parse_profile_batches(self.options.profile_batches))
        self._train = self._val = None
        self._last_epoch = 0

    def on_train_begin(self, logs=None):
        # FileWriter names its file `events.out.tfevents.<seconds>.<host>`: a second fit in the
        # same second would write over the first one's file. The suffix keeps them apart, in
        # the order they were made (TensorBoard reads a folder's files in name order).
        suffix = f".{os.getpid()}.{next(_writer_count):06d}"
        # FileWriter is a graph-mode object: it refuses to be made while executing eagerly.
        with self.model.graph.as_default():
            self._train = v1.summary.FileWriter(os.path.join(self.log_dir, "train"),
                                                filename_suffix=suffix)
            self._val = v1.summary.FileWriter(os.path.join(self.log_dir, "validation"),
                                              filename_suffix=suffix)
        if self.write_graph:  # the event `FileWriter(logdir, graph)` writes, of the step's part
            graph_def = step_graph_def(self.model.graph, self.model.step_fetches)
            self._train.add_event(v1.Event(wall_time=time.time(),
                                           graph_def=graph_def.SerializeToString()))
        self._step = self.model.iterations  # global_step: it goes on where the last fit ended

    # --- batches -----------------------------------------------------------------------------

    def on_train_batch_begin(self, batch, logs=None):
        step = self._step + 1  # the step this batch will take
        if self.profile and self.profile[0] <= step <= self.profile[1]:
            # `Model.fit` runs its training step with the model's `run_options`/`run_metadata`.
            self.model.run_options = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
            self.model.run_metadata = v1.RunMetadata()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.model.run_metadata is not None:
            self._train.add_run_metadata(self.model.run_metadata, f"step_{self._step}",
                                         self._step)
            self.model.run_options = self.model.run_metadata = None
        every = self.options.batch_every
        if every and self._step % every == 0 and logs:
            self._write(self._train, self._step, {f"batch_{k}": v for k, v in logs.items()})

    # --- epochs ------------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train["learning_rate"] = self.model.learning_rate
        val = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        self._write(self._train, epoch, {f"epoch_{k}": v for k, v in train.items()})
        self._write(self._val, epoch, {f"epoch_{k}": v for k, v in val.items()})
        # Keras also logs each evaluation against the optimizer's step count.
        self._write(self._val, self.model.iterations,
                    {f"evaluation_{k}_vs_iterations": v for k, v in val.items()})
        freq = self.options.histogram_freq
        if freq and epoch % freq == 0:
            self._log_weights(epoch)

    def _log_weights(self, epoch):
        for full_name, value in zip(self.model.weight_names, self.model.get_weights()):
            layer, name = full_name.rsplit("/", 1)  # Keras's names, as the Keras track tags
            self._train.add_summary(histogram_pb(weight_tag(layer, name), value)
                                    .SerializeToString(), global_step=epoch)
        self._train.flush()

    @staticmethod
    def _write(writer, step, values):
        if values:
            summary = v1.Summary(value=[v1.Summary.Value(tag=tag, simple_value=float(value))
                                        for tag, value in values.items()])
            writer.add_summary(summary, global_step=step)
            writer.flush()

    # --- the end -------------------------------------------------------------------------------

    def flush(self) -> None:
        """Everything logged so far onto the disk (before a checkpoint records how much)."""
        for writer in (self._train, self._val):
            if writer is not None:
                writer.flush()

    def on_train_end(self, logs=None):
        self.model.run_options = self.model.run_metadata = None  # stopped inside the profile
        if self.options.images and self.spec is not None and self.data is not None:
            from tfmodels.core.plots import log_pictures

            with activation_functions() as activation:
                log_pictures(ImageWriter({"train": self._train, "validation": self._val}),
                             self.spec, self.data, self.model.predict, activation,
                             self._last_epoch, weights=self.model.get_weights())
        for writer in (self._train, self._val):
            if writer is not None:
                writer.close()


@contextlib.contextmanager
def activation_functions():
    """`name -> NumPy function` running the TF1 track's activations in a graph of their own."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, (None,), name="x")
        outputs = {name: fn(x) for name, fn in TF1_ACTIVATIONS.items() if name != "softmax"}
    with v1.Session(graph=graph) as session:
        yield lambda name: (
            lambda values: session.run(outputs[name], {x: np.asarray(values, np.float32)}))


class ImageWriter:
    """PNGs as `tf.compat.v1.Summary.Image`, what `tf.compat.v1.summary.image` would write."""

    def __init__(self, writers):
        self.writers = writers

    def image(self, split: str, tag: str, png: bytes, step: int) -> None:
        height, width = _png_size(png)
        image = v1.Summary.Image(height=height, width=width, colorspace=4,
                                 encoded_image_string=png)
        self.writers[split].add_summary(v1.Summary(value=[v1.Summary.Value(tag=tag, image=image)]),
                                        global_step=step)
        self.writers[split].flush()


def _png_size(png: bytes) -> tuple[int, int]:
    """Height and width from a PNG's IHDR chunk (bytes 16-24: width, height, big-endian)."""
    return int.from_bytes(png[20:24], "big"), int.from_bytes(png[16:20], "big")
