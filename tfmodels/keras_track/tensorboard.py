"""TensorBoard for the Keras track.

`keras.callbacks.TensorBoard` does most of the work; `TensorBoard` here changes four things so that
the Keras run lines up with the TF1 run (`tf1_compat.tensorboard.TensorBoard`) tag for tag:

- **Batch steps.** Keras 3 counts batches from 1 again in every `fit` (a second `fit`, as when
  resuming with `initial_epoch`, writes over the first one's steps). Ours are the optimizer's
  `iterations` after the batch, the TF1 track's `global_step`: they advance across `fit` calls.
- **Graphs.** Keras writes its conceptual graph only for classes named exactly `Sequential` or
  `Functional` (not `SpecSequential`), and its op graph only when `train_function` is a bare
  `tf.function`, which Keras 3's is not: it wrote no graph at all. Ours writes three, once per
  run: the **run graph**, a `GraphDef` event (`tf.summary.graph`), what TensorBoard's Graphs tab
  opens on (as it opens on the TF1 run's graph): one training step (`step_graph`) in the
  TF1 track's top-level groups (`x`, `y`, `global_step`, each layer by its spec name -
  `dense_0`, `dense_1`, ... - `loss`, `metrics`, `train`), so that the two runs' pictures can
  be compared box by box; the conceptual graph (tag `keras`, the model's config); and the
  first training step traced with `tf.summary.trace_on(graph=True)` / `trace_export` (tag
  `train_step`), every function TensorFlow really ran, the `tf.data` iterator, the step loop
  and Keras's own name scopes (`mnist_mlp_1/dense_0_1/MatMul`, `compile_loss`) included.
- **Histograms.** Keras tags a weight by its path (`<model>/dense_0/kernel/histogram`); the TF1
  variable is `dense_0/kernel`. Both tracks use `weight_tag` (`dense_0/kernel`) and TensorBoard's
  30-bucket histogram: the same tag in both runs, drawn on the same buckets.
- **Pictures.** With `images=True`, the pictures of `tfmodels.core.plots` at the end of training.

`LogOptions` (`tfmodels.core.logs`) carries the user's choices to both tracks.
"""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from tfmodels.core.inputs import NamedInputs
from tfmodels.core.logs import TRACE_TAG, LogOptions, parse_profile_batches, weight_tag
from tfmodels.core.spec import ModelSpec

__all__ = ["keras_model_summary", "step_graph", "TensorBoard", "activation_functions",
           "ImageWriter"]


def keras_model_summary(name: str, model, step: int = 0) -> None:
    """The model's JSON config under the `graph_keras_model` plugin: the conceptual graph.

    What Keras's own callback writes, for any `Sequential` subclass (Keras checks the class name).
    """
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "graph_keras_model"
    metadata.plugin_data.content = b"1"
    tf.summary.write(name, tf.constant(model.to_json()), step=step, metadata=metadata)


def _layer_groups(model, spec: ModelSpec | None) -> list[tuple[str, list]]:
    """`(spec name, Keras layers)` per spec layer: a layer with its activation layer
    (`dense_0`, `dense_0_swish`) in one group, as the TF1 track keeps `dense_0/swish` inside
    `dense_0`. Without a spec, each Keras layer is a group of its own."""
    names = {spec.layer_name(i) for i in range(len(spec.layers))} if spec else None
    groups = []
    for layer in model.layers:
        if names is None or layer.name in names or not groups:
            groups.append((layer.name, []))
        groups[-1][1].append(layer)
    return groups


# The activation layers that follow a spec layer in the Keras track, named after it
# (`tfmodels.keras_track.model`): part of the spec layer's group.
_ACTIVATION_SUFFIXES = ("_leaky_relu", "_swish", "_randomized_relu")


def _forward(model, spec: ModelSpec | None, x):
    """The model on `x`, each spec layer (with its activation layer) in the scope of its name:
    a chain in order, a graph spec each layer after its inputs (`ModelSpec.wiring`)."""
    if spec is None or spec.wiring.chain:
        for name, layers in _layer_groups(model, spec):
            with keras.name_scope(name, caller=layers[0]):  # the layer's own scope, once
                for layer in layers:
                    x = layer(x, training=True)
        return x
    wiring = spec.wiring
    xs = [x[name] for name in wiring.input_names] if isinstance(x, dict) else [x]
    made = {-k - 1: tensor for k, tensor in enumerate(xs)}
    for i in wiring.order:
        name = spec.layer_name(i)
        ins = [made[j] for j in wiring.sources[i]]
        layers = [model.get_layer(name)] + [
            layer for layer in model.layers if layer.name in {name + s for s in
                                                              _ACTIVATION_SUFFIXES}]
        with keras.name_scope(name, caller=layers[0]):
            out = layers[0](ins if spec.layers[i].merge else ins[0], training=True)
            for layer in layers[1:]:
                out = layer(out, training=True)
        made[i] = out
    return made[wiring.output]


def step_graph(model, batch, spec: ModelSpec | None = None) -> tf.Graph:
    """One training step of `model` (compiled, built) on batches shaped `batch` (two
    `TensorSpec`s), as an op graph in the TF1 track's top-level groups.

    The same computation as Keras's `train_step`, written out so that each part lands in a name
    scope a person can point at: the inputs `x` and `y`; each spec layer in the scope of its
    name (`_in_layer_boxes`); `loss`; `metrics` (the running loss and the compiled metrics'
    updates, Keras's `compute_metrics`); `train` (the gradients, from `tf.gradients`, and the
    optimizer's update: the tape would put the gradients in a top-level `gradient_tape/`
    scope); `global_step`, where the optimizer's step counter `iterations` (TF1's
    `global_step`) enters the graph. Tracing runs nothing: no weight, metric or counter
    changes. Keras's own trace of `fit`'s step is the `train_step` tag's graph.
    """
    strategy = model.distribute_strategy
    optimizer = model.optimizer

    def replica_step(x, y):
        with tf.name_scope("global_step"):
            tf.identity(optimizer.iterations)  # captured here, counted up in `train`
        y_pred = _forward(model, spec, x)
        with tf.name_scope("loss"):
            loss = model._compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        with tf.name_scope("metrics"):
            model._loss_tracker.update_state(loss, sample_weight=tf.shape(y)[0])
            model.compute_metrics(x, y, y_pred)
        with tf.name_scope("train"):
            weights = model.trainable_weights
            gradients = tf.gradients(optimizer.scale_loss(loss), weights)
            optimizer.apply_gradients(zip(gradients, weights))

    def step(x, y):  # returns nothing: outputs would add top-level `Identity` nodes
        strategy.run(replica_step, args=(x, y))

    # autograph off, as Keras's own step functions
    return tf.function(step, autograph=False).get_concrete_function(*batch).graph


class TensorBoard(keras.callbacks.TensorBoard):
    """`keras.callbacks.TensorBoard` with the TF1 track's steps, graphs, tags and pictures.

    `spec` and `data` are needed for the pictures (`tfmodels.core.plots`); `data` also gives the
    shapes the run graph's training step is traced on (without it, or where Keras's `fit` does
    not run the step, as in `distribute.MultiWorkerModel`, no run graph). The overrides use
    the parent's internals (`_global_train_batch`, `_push_writer`, `_train_writer`, ...), as
    of Keras 3.15; `tests/test_tensorboard_*.py` would notice if a Keras release moved them.
    """

    def __init__(self, log_dir: str = "logs", options: LogOptions | None = None,
                 spec: ModelSpec | None = None, data=None):
        options = options or LogOptions()
        profile = options.profile_batches and parse_profile_batches(options.profile_batches)
        super().__init__(log_dir, histogram_freq=options.histogram_freq,
                         write_graph=False,  # ours: on_train_begin, on_train_batch_end
                         update_freq=options.update_freq if options.batch_every else "epoch",
                         profile_batch=profile or 0)
        self.options = options
        self.spec, self.data = spec, data
        self._trace_pending = self._tracing_graph = self._run_graph_pending = False
        self._epochs_seen = 0

    # --- steps: the optimizer's count, as in the TF1 track -----------------------------------

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        # Keras starts again from 0 in each fit; the optimizer remembers how far it has come.
        # .numpy(): under a tf.distribute strategy `iterations` is a MirroredVariable (no int())
        self._global_train_batch = int(self.model.optimizer.iterations.numpy())
        self._pop_writer()
        self._push_writer(self._train_writer, self._global_train_batch)
        self._trace_pending = True
        if self._global_train_batch == 0:  # Keras's conceptual graph, once per run
            with self._train_writer.as_default():
                keras_model_summary("keras", self.model, step=0)
            # the step Keras's `fit` runs, so only under it (the multi-worker loop of
            # `distribute.py` runs a step of its own and makes no `train_function`)
            self._run_graph_pending = (self.options.trace_graph and self.data is not None
                                       and self.model.train_function is not None)

    def on_train_batch_begin(self, batch, logs=None):
        super().on_train_batch_begin(batch, logs)
        if self._trace_pending and self.options.trace_graph and not self._is_tracing:
            # The first step of this fit: record the graphs of the functions it runs.
            tf.summary.trace_on(graph=True, profiler=False)
            self._tracing_graph = True

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._trace_pending = False
        if self._tracing_graph:
            with self._train_writer.as_default():
                tf.summary.trace_export(TRACE_TAG, step=self._global_train_batch)
            self._tracing_graph = False
        if self._run_graph_pending:  # after the first step: the optimizer's state exists
            with self._train_writer.as_default():
                tf.summary.graph(self._train_step_graph())
            self._run_graph_pending = False

    def _train_step_graph(self) -> tf.Graph:
        def signature(a, name=None):
            return tf.TensorSpec((None, *a.shape[1:]), a.dtype, name=name)

        x = self.data.x_train  # named inputs: `x/<name>`, as the TF1 track's placeholders
        batch = (({n: signature(a, f"x/{n}") for n, a in x.arrays.items()}
                  if isinstance(x, NamedInputs) else signature(x)), signature(self.data.y_train))
        return step_graph(self.model, batch, self.spec)

    def on_train_end(self, logs=None):
        if self._tracing_graph:
            tf.summary.trace_off()
            self._tracing_graph = False
        if self.options.images and self.spec is not None and self.data is not None:
            from tfmodels.core.plots import log_pictures

            epoch = max(self._epochs_seen, 1) - 1
            with activation_functions() as activation:
                log_pictures(ImageWriter({"train": self._train_writer,
                                          "validation": self._val_writer}),
                             self.spec, self.data, self.model.predict, activation, epoch,
                             weights=self.model.get_weights())
        super().on_train_end(logs)

    # --- histograms: the TF1 variable names ---------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_seen = epoch + 1
        super().on_epoch_end(epoch, logs)

    def flush(self) -> None:
        """Everything logged so far onto the disk (before a checkpoint records how much)."""
        for writer in self._writers.values():
            writer.flush()

    def _log_weights(self, epoch):
        with self._train_writer.as_default():
            for layer in self.model.layers:
                for weight in layer.weights:
                    tf.summary.histogram(weight_tag(layer.name, weight.name), weight, step=epoch)
            self._train_writer.flush()


@contextlib.contextmanager
def activation_functions():
    """`name -> NumPy function` running the Keras track's activations (for the activations
    picture). Twin of `tf1_compat.tensorboard.activation_functions`."""
    def activation(name):
        function = keras.activations.get(name)
        return lambda x: keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(x)))

    yield activation


class ImageWriter:
    """Writes PNGs with `tf.summary.image` to the Keras track's train or validation writer."""

    def __init__(self, writers):
        self.writers = writers

    def image(self, split: str, tag: str, png: bytes, step: int) -> None:
        image = tf.image.decode_png(png, channels=4)[tf.newaxis]
        with self.writers[split].as_default():
            tf.summary.image(tag, image, step=step)
        self.writers[split].flush()
