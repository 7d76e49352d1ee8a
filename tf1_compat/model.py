"""A spec built as a TF1 graph, trained in a `Session`, with Keras's `fit/evaluate/predict`.

    with Model(get_spec("mnist_mlp")) as model:
        history = model.fit(x, y, batch_size=128, epochs=5, validation_data=(xv, yv))
        probabilities = model.predict(xv)

The graph reads like the notes: placeholders for a batch of any size, one `variable_scope` per
dense layer, the loss on the logits, an optimizer's `minimize`, and `global_variables_initializer`
run once in the session before training. Training feeds NumPy batches through `feed_dict`.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tf1_compat import activations, layers, losses, rnn
from tf1_compat.activations import TF1_ACTIVATIONS
from tf1_compat.layouts import CELLS, KERAS_CELLS, cell_from_keras, cell_to_keras
from tf1_compat.optimizers import after_init, make_optimizer
from tf1_compat.spec_kinds import SPEC_KINDS, build_kind
from tfmodels.core.checks import check_batch_size, check_token_ids, check_x, check_y
from tfmodels.core.data import batch_indices, steps_per_epoch, untuned
from tfmodels.core.errors import UserError
from tfmodels.core.inputs import NamedInputs, check_inputs
from tfmodels.core.loop import Means, evaluate_loop, fit_loop
from tfmodels.core.spec import ModelSpec, initial_weights

__all__ = [
    "keras_dense", "tf1_variable_names", "tf1_variable_shapes", "FORGET_BIAS", "to_keras",
    "from_keras", "build_layers", "build_model", "Model",
]

v1 = tf.compat.v1


def keras_dense(inputs, units: int, activation="linear", name: str = "dense", seed=None):
    """`activation(inputs @ kernel + bias)`; returns `(outputs, logits)`.

    The kernel and bias come from `get_variable` inside `variable_scope(name)`, so they are named
    `<name>/kernel` and `<name>/bias` and can be shared with `reuse`. The bias is added the way
    Keras's TensorFlow backend adds it: `bias_add`, except for a single unit, where Keras falls
    back to a broadcasting `+`. The two ops round their gradients differently in the last bit.
    `activation` is a name of `TF1_ACTIVATIONS` or a function.
    """
    with v1.variable_scope(name):
        kernel = v1.get_variable(
            "kernel",
            shape=(inputs.shape[-1], units),
            dtype=inputs.dtype,
            initializer=v1.glorot_uniform_initializer(seed=seed),
        )
        bias = v1.get_variable(
            "bias", shape=(units,), dtype=inputs.dtype, initializer=v1.zeros_initializer()
        )
        z = tf.matmul(inputs, kernel)
        logits = tf.nn.bias_add(z, bias) if units > 1 else z + bias
        activate = TF1_ACTIVATIONS[activation] if isinstance(activation, str) else activation
        return activate(logits), logits


def _activation(layer, name: str, seed: int, training):
    """The layer's activation as a TF function, with its spec's parameters: leaky ReLU's
    `alpha`; swish's `beta` (a variable `<name>/swish/beta` with `trainable_beta`; Keras keeps
    it as `<name>_swish/beta`); randomized ReLU's slopes, Keras's draws from `seed` (its counter
    `<name>/randomized_relu/seed_counter`). Called inside the layer's variable scope."""
    if layer.activation == "leaky_relu":
        return lambda z: activations.leaky_relu(z, alpha=layer.alpha)
    if layer.activation == "swish":
        return lambda z: activations.swish(z, beta=layer.beta,
                                           trainable=getattr(layer, "trainable_beta", False),
                                           name="swish")
    if layer.activation == "randomized_relu":
        return lambda z: activations.randomized_relu(
            z, layer.lower, layer.upper, training=training, keras_seed=seed,
            name="randomized_relu")
    return TF1_ACTIVATIONS[layer.activation]


def _cell(layer) -> str | None:
    """The TF1 cell (a key of `tf1_compat.layouts.CELLS`) of a recurrent layer, else None."""
    if getattr(layer, "reset_after", False):  # no TF1 cell: Keras's layout (KEPT_LAYOUTS)
        return None
    return KERAS_CELLS.get(layer.kind)


def tf1_variable_names(spec: ModelSpec) -> list[list[str]]:
    """Each layer's TF1 variable names, in the order `to_keras` takes them: Keras's own names
    (`dense_0/kernel`, `dense_0_swish/beta`, `batch_normalization_1/moving_mean`), except a
    recurrent layer's, its cell's under `rnn/` (`lstm_0/rnn/lstm_cell/kernel`: the layout table)."""
    names = []
    for i, (layer, ws) in enumerate(zip(spec.layers, spec.layer_weights())):
        cell = _cell(layer)
        if cell:
            suffixes = CELLS[cell].members(f"rnn/{CELLS[cell].scopes[0]}")
        else:
            suffixes = [f"{w.owner.lstrip('_')}/{w.name}" if w.owner else w.name for w in ws]
        names.append([f"{spec.layer_name(i)}/{suffix}" for suffix in suffixes])
    return names


def tf1_variable_shapes(spec: ModelSpec) -> list[tuple[str, tuple]]:
    """`(name, shape)` of the spec's TF1 variables, layer by layer in Keras's order."""
    found, shapes = [], iter(spec.weight_shapes())
    for layer, ws, names in zip(spec.layers, spec.layer_weights(), tf1_variable_names(spec)):
        keras_shapes = [tuple(next(shapes)) for _ in ws]
        cell = _cell(layer)
        if cell:  # (kernel, recurrent_kernel, bias): depth from the kernel, units from the other
            depth, units = keras_shapes[0][0], keras_shapes[1][0]
            keras_shapes = list(CELLS[cell].shapes(depth, units))
        found += list(zip(names, keras_shapes))
    return found


FORGET_BIAS = 1.0  # TF1's LSTMCell default, added to the forget gate when the cell runs


def to_keras(layer, values: list) -> list:
    """A layer's TF1 variable values as Keras's weights (only the recurrent layers differ:
    the layout table, `tf1_compat.layouts`)."""
    cell = _cell(layer)
    return cell_to_keras(cell, values, FORGET_BIAS) if cell else list(values)


def from_keras(layer, weights: list) -> list:
    """The inverse of `to_keras`: Keras's weights of a layer as its TF1 variables' values."""
    cell = _cell(layer)
    return cell_from_keras(cell, weights, FORGET_BIAS) if cell else list(weights)


def build_layers(spec: ModelSpec, x, training=False):
    """The spec's layers on `x`: `(outputs, logits)`, the last layer's before its activation.

    The one forward pass of the TF1 track: every graph (one device, towers, the v1 strategy, the
    ps cluster, the optimizer measurements) builds its layers here, each in the `variable_scope`
    of its name (`dense_0`, `conv2d_1`, ...; C19: under `reuse`, a second call shares the first's
    variables). Dense layers are `dense` above (Keras's bias add); the others are the
    `tf.compat.v1.layers` drop-in (`tf1_compat.layers`), TF1's cells (`tf1_compat.rnn`) and,
    for issue 27's kinds, `get_variable` + `tf.nn` ops (`tf1_compat.spec_kinds`).
    `training` (a bool or a boolean tensor) switches dropout and batch normalization; a
    training batch norm adds its moving-average updates to `UPDATE_OPS`. A graph spec's layers
    come each after its inputs (`ModelSpec.wiring`); a merge is its op (`_merge`). A spec of
    several named inputs takes `x` as a dict of tensors by input name.
    """
    wiring = spec.wiring
    xs = [x[name] for name in wiring.input_names] if isinstance(x, dict) else [x]
    made = {-k - 1: (tensor, None) for k, tensor in enumerate(xs)}
    for i in wiring.order:
        layer, ins = spec.layers[i], [made[j][0] for j in wiring.sources[i]]
        outputs, name, kind = ins[0], spec.layer_name(i), layer.kind
        if layer.merge:
            made[i] = (_merge(layer.kind, ins, name),) * 2
            continue
        seed = spec.seed + i if getattr(layer, "seed", None) is None else layer.seed
        if kind == "Dense":
            outputs, logits = keras_dense(outputs, layer.units,
                                    _activation(layer, name, seed, training), name,
                                    seed=spec.seed + i)
        elif kind == "Conv2D":
            logits = layers.conv2d(outputs, layer.filters, layer.kernel_size,
                                   strides=layer.strides, padding=layer.padding, name=name)
            with tf.name_scope(logits.op.name.rsplit("/", 1)[0] + "/"):  # in the layer's box
                outputs = _activation(layer, name, seed, training)(logits)
        elif kind == "MaxPooling2D":
            outputs = layers.max_pooling2d(outputs, layer.pool_size, layer.strides,
                                           padding=layer.padding, name=name)
        elif kind == "AveragePooling2D":
            outputs = layers.average_pooling2d(outputs, layer.pool_size, layer.strides,
                                               padding=layer.padding, name=name)
        elif kind == "Flatten":
            outputs = layers.flatten(outputs, name=name)
        elif kind == "Reshape":
            outputs = tf.reshape(outputs, (-1, *layer.target_shape), name=name)
        elif kind == "Dropout":
            outputs = layers.dropout(outputs, layer.rate, training=training, name=name,
                                     keras_seed=seed)  # Keras's masks, call for call
        elif kind == "BatchNormalization":
            # not fused: the fused kernel updates the moving variance with the unbiased batch
            # variance, Keras 3 (and TF1's plain path) with the biased one
            outputs = layers.batch_normalization(outputs, momentum=layer.momentum,
                                                 epsilon=layer.epsilon, training=training,
                                                 fused=False, name=name)
        elif kind in ("LSTM", "SimpleRNN"):
            with v1.variable_scope(name):
                cell = (rnn.LSTMCell(layer.units, forget_bias=FORGET_BIAS) if kind == "LSTM"
                        else rnn.BasicRNNCell(layer.units))
                sequence, state = rnn.dynamic_rnn(cell, outputs, dtype=outputs.dtype)
            outputs = sequence if layer.return_sequences else (
                state.h if kind == "LSTM" else state)
        elif kind in SPEC_KINDS:
            activate = (_activation(layer, name, seed, training)
                        if hasattr(layer, "activation") else None)
            outputs, logits = build_kind(layer, name, outputs, activate)
        else:
            raise AssertionError(f"no TF1 layer for {kind}")  # every kind of the spec is above
        if kind not in ("Dense", "Conv2D", *SPEC_KINDS):
            logits = outputs
        made[i] = (outputs, logits)
    return made[wiring.output]


def _merge(kind: str, inputs: list, name: str):
    """A merge layer of a graph spec as TF1 wrote it: `tf.add` / `tf.multiply` left to right
    (Keras's `Add` and `Multiply` sum and multiply in that order too), `tf.concat` on the last
    axis, in a name scope of the layer's name."""
    with tf.name_scope(name):
        if kind == "Concatenate":
            return tf.concat(inputs, axis=-1)
        op = tf.add if kind == "Add" else tf.multiply
        out = inputs[0]
        for other in inputs[1:]:
            out = op(out, other)
        return out


def build_model(spec: ModelSpec, weights=None) -> Model:
    """The TF1 twin of `tfmodels.keras_track.model.build_model(spec)`: a `Model`, its weights
    set to `weights` (default: the spec's seeded start). Close it (or use `with`) when done."""
    return Model(spec, weights)


class Model:
    """The TF1 twin of `tfmodels.keras_track.model.build_model(spec)`."""

    def __init__(self, spec: ModelSpec, weights=None):
        self.spec = spec
        self.stop_training = False
        self.history = None
        self.means = None  # the epoch's running averages (`Means`), once `fit` starts
        # What each training step runs with; a callback may set them for a step (a profile).
        self.run_options = self.run_metadata = None
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(spec.seed)
            # C18: a placeholder per input, `None` standing for the batch size. Several named
            # inputs: one placeholder each, by its name; `x` is then a dict of them.
            self.x = self._placeholders("x") if spec.several_inputs else \
                v1.placeholder(tf.float32, (None, *spec.input_shape), name="x")
            self.y = v1.placeholder(tf.float32, (None, *spec.label_shape), name="y")
            self.global_step = v1.train.get_or_create_global_step()
            optimizer = make_optimizer(spec.optimizer)

            step = self._build_step(optimizer, self.x, self.y)
            self.train_op = step["train_op"]
            self._train_fetches = {"loss": step["loss"], "metric_sums": step["metric_sums"]}
            # The same layers for inference (evaluate, predict): dropout off, batch norm on its
            # moving statistics; the variables are the training pass's, through `reuse`.
            with tf.name_scope("inference"), \
                    v1.variable_scope(v1.get_variable_scope(), reuse=True):
                inference = self._build_outputs(self.x, self.y, training=False)
            self.outputs = tf.identity(inference["outputs"], name="outputs")
            self.loss, self._metric_sums = inference["loss"], inference["metric_sums"]
            # Every weight Keras's `get_weights` has, layer by layer, in TF1's layout.
            by_name = {v.op.name: v for v in v1.global_variables()}
            self._layer_variables = [[by_name[name] for name in names]
                                     for names in tf1_variable_names(spec)]
            self.variables = [v for vs in self._layer_variables for v in vs]
            trainable = v1.trainable_variables()

            # The same step once more, fed by a tf.data iterator instead of `feed_dict` (C19: the
            # second copy shares the first one's variables through `reuse`).
            with tf.name_scope("dataset"):
                self._data = self._build_pipeline()
                with v1.variable_scope(v1.get_variable_scope(), reuse=True):
                    self._data_step = self._build_step(optimizer, *self._data["next"])

            self._init_ops = [v1.global_variables_initializer(),
                              v1.local_variables_initializer()]
            self._init_ops.append(after_init(optimizer, trainable))
            # `set_weights` feeds new values through placeholders; building these ops once here
            # keeps the graph from growing on every call (and keeps weights out of the GraphDef).
            with tf.name_scope("set_weights"):
                self._new_values = [v1.placeholder(v.dtype.base_dtype, v.shape)
                                    for v in self.variables]
                self._assign = [v.assign(p) for v, p in zip(self.variables, self._new_values)]
            # Saves every variable: weights, optimizer slots, Adam's powers and `global_step`.
            self.saver = v1.train.Saver(max_to_keep=None, name="saver")
        # Nothing is added to the graph from here on: a training loop that created ops per step
        # would fail loudly instead of slowly leaking memory.
        self.graph.finalize()

        self.session = v1.Session(graph=self.graph)
        for op in self._init_ops:  # C20: initialise before anything reads a variable
            self.session.run(op)
        self.set_weights(initial_weights(spec) if weights is None else weights)

    def _placeholders(self, prefix: str) -> dict:
        """A float32 placeholder for each named input, `x/<name>` (`prefix/<name>`)."""
        with tf.name_scope(prefix):
            return {name: v1.placeholder(tf.float32, (None, *shape), name=name)
                    for name, shape in self.spec.input_shapes_by_name.items()}

    @property
    def _x_tensors(self) -> list:
        """The input placeholders, in the spec's order of inputs."""
        return list(self.x.values()) if isinstance(self.x, dict) else [self.x]

    @staticmethod
    def _x_values(x) -> list:
        """A batch's arrays, one per input placeholder (`_x_tensors`)."""
        return list(x.arrays.values()) if isinstance(x, NamedInputs) else [x]

    def _build_outputs(self, x, y, training) -> dict:
        """Forward pass, loss and metric sums for inputs `x` and labels `y`."""
        spec = self.spec
        outputs, logits = build_layers(spec, x, training=training)
        with tf.name_scope("loss"):
            loss = losses.mean_loss(losses.per_sample_loss(spec.loss, y, outputs, logits))
        with tf.name_scope("metrics"):
            metric_sums = {m: losses.metric_sum(m, spec.loss, y, outputs) for m in spec.metrics}
        return {"outputs": outputs, "loss": loss, "metric_sums": metric_sums}

    def _build_step(self, optimizer, x, y) -> dict:
        """The training pass, its loss and metrics, and one optimizer step after the pass's
        `UPDATE_OPS` (batch norm's moving averages: the classic TF1 pitfall is to forget them)."""
        before = set(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
        step = self._build_outputs(x, y, training=True)
        updates = [op for op in v1.get_collection(v1.GraphKeys.UPDATE_OPS) if op not in before]
        with tf.name_scope("train"), tf.control_dependencies(updates):
            train_op = optimizer.minimize(step["loss"], global_step=self.global_step,
                                          var_list=v1.trainable_variables())
        return {"outputs": step["outputs"], "loss": step["loss"],
                "metric_sums": step["metric_sums"],
                "train_op": train_op}

    def _build_pipeline(self) -> dict:
        """A `tf.data` input pipeline inside the graph, for `fit(pipeline="dataset")`.

        The training arrays are copied into two local (never checkpointed) variables once per
        `fit`; each epoch then feeds only its sample order (from `batch_indices`, as the
        `feed_dict` path uses). The iterator batches the indices; the batch's rows are gathered
        in the training step itself, so no step passes data through Python and no data set is
        embedded in the graph as a constant.

        Making a batch of indices costs nothing, so there is nothing for tf.data to prefetch or
        tune: autotuning is off (`tfmodels.core.data.untuned`, which says what it cost when on).
        """
        spec, local = self.spec, [v1.GraphKeys.LOCAL_VARIABLES]

        def held(name, shape):
            return v1.Variable(tf.zeros((0, *shape)), name=name, trainable=False,
                               collections=local, validate_shape=False, shape=(None, *shape))

        # One variable and one placeholder per input (`x`, or `x/<name>` for named inputs).
        shapes = (spec.input_shapes_by_name if spec.several_inputs
                  else {None: spec.input_shape})
        data_x, new_x = {}, {}
        for name, shape in shapes.items():
            data_x[name] = held("x" if name is None else f"x_{name}", shape)
            new_x[name] = v1.placeholder(tf.float32, (None, *shape),
                                         name="new_x" if name is None else f"new_x_{name}")
        data_y = held("y", spec.label_shape)
        new_y = v1.placeholder(tf.float32, (None, *spec.label_shape), name="new_y")
        order = v1.placeholder(tf.int64, (None,), name="order")
        batch_size = v1.placeholder(tf.int64, (), name="batch_size")
        batches = untuned(tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
        iterator = v1.data.make_initializable_iterator(batches)
        idx = iterator.get_next()
        rows = {name: tf.gather(v, idx) for name, v in data_x.items()}
        return {
            "load": (*(v.assign(new_x[name], read_value=False) for name, v in data_x.items()),
                     data_y.assign(new_y, read_value=False)),
            "new": (*new_x.values(), new_y), "order": order, "batch_size": batch_size,
            "iterator": iterator,
            "next": (rows if spec.several_inputs else rows[None], tf.gather(data_y, idx)),
        }

    # --- weights ---------------------------------------------------------------------------

    @property
    def step_fetches(self) -> list:
        """What one training step runs (`fit`'s `feed_dict` step): the optimizer's `train_op`,
        the loss and the metric sums. Their part of the graph is the run graph TensorBoard
        shows (`tf1_compat.tensorboard.step_graph_def`)."""
        return [self.train_op, self._train_fetches["loss"],
                *self._train_fetches["metric_sums"].values()]

    @property
    def learning_rate(self) -> float:
        return self.spec.optimizer.learning_rate

    @property
    def iterations(self) -> int:
        """Training steps so far: the graph's `global_step` (Keras: `optimizer.iterations`)."""
        return int(self.session.run(self.global_step))

    @property
    def weight_names(self) -> list[str]:
        """Keras's name of each weight `get_weights` returns: `dense_0/kernel`, ...,
        `lstm_2/recurrent_kernel`, `batch_normalization_1/moving_mean`."""
        return self.spec.weight_names()

    def get_weights(self) -> list[np.ndarray]:
        """Every layer's weights in Keras's order and shapes (kernel, bias, ...; batch norm's
        moving statistics; a recurrent layer's weights converted from TF1's layout)."""
        values = iter(self.session.run(self.variables))
        return [w for layer, vs in zip(self.spec.layers, self._layer_variables)
                for w in to_keras(layer, [next(values) for _ in vs])]

    def set_weights(self, weights) -> None:
        """Weights in Keras's order and shapes (what `get_weights` gives), into the variables."""
        weights, names = list(weights), self.weight_names
        if len(weights) != len(names):
            raise UserError(f"expected {len(names)} weight arrays ({', '.join(names)}), got "
                            f"{len(weights)}")
        for name, shape, w in zip(names, self.spec.weight_shapes(), weights):
            if tuple(np.shape(w)) != tuple(shape):
                raise UserError(f"weight {name} has shape {tuple(shape)}, got "
                                f"{tuple(np.shape(w))}")
        values, given = [], iter(weights)
        for layer, ws in zip(self.spec.layers, self.spec.layer_weights()):
            values += from_keras(layer, [next(given) for _ in ws])
        self.session.run(self._assign, dict(zip(self._new_values, values)))

    # --- training and inference --------------------------------------------------------------

    def _check_x(self, x):
        """`check_x`, and token ids below the table's size where the first layer embeds them;
        for several named inputs, `check_inputs` (a dict of arrays, as `NamedInputs`)."""
        if self.spec.several_inputs:
            return check_inputs(x, self.spec.input_shapes_by_name)
        first = self.spec.layers[0]
        return check_token_ids(check_x(x, self.spec.input_shape),
                               first.input_dim if first.kind == "Embedding" else None)

    def _check_xy(self, x, y):
        x = self._check_x(x)
        return x, check_y(y, x, self.spec.output_dim, self.spec.loss)

    def reset_metrics(self) -> None:
        """Start the epoch averages afresh (Keras: `model.reset_metrics()`)."""
        self.means = Means(["loss", *self._metric_sums])  # kept by `fit_loop` during `fit`

    @property
    def metric_state(self) -> dict:
        """The running epoch averages as `{name: [total, count]}`, for a checkpoint."""
        return self.means.state() if self.means else {}

    @metric_state.setter
    def metric_state(self, state: dict) -> None:
        if self.means is None:
            self.reset_metrics()
        self.means.set_state(state)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            initial_step=0, pipeline="feed_dict"):
        """Keras's `fit`, on a Session: same arguments, same `History` back.

        The epochs run in `tfmodels.core.loop.fit_loop`, the loop every model without Keras's
        own `fit` shares. `initial_step` (not in Keras) resumes `initial_epoch` part-way,
        skipping the batches a checkpoint says were already trained. `pipeline` chooses how
        batches reach the graph: "feed_dict" (NumPy slices fed each step, as in the notes) or
        "dataset" (a `tf.data` iterator in the graph); both train the same numbers.
        """
        if pipeline not in ("feed_dict", "dataset"):
            raise UserError(f"pipeline must be 'feed_dict' or 'dataset', got {pipeline!r}")
        if pipeline == "dataset":
            data = self._data
            step = self._data_step
        else:
            step = {**self._train_fetches, "train_op": self.train_op}
        names = ["loss", *step["metric_sums"]]
        fetches = [step["loss"], *step["metric_sums"].values(), step["train_op"]]
        feeds = [*self._x_tensors, self.y] if pipeline == "feed_dict" else []
        # Without feeds (the dataset pipeline), a callable made once runs the step on TF's fast
        # path, without re-reading the fetches every time. (Any feed_list, even an empty one,
        # sends `make_callable` back to `Session.run`.)
        run_step = self.session.make_callable(fetches, feed_list=feeds or None)
        loaded = []

        def begin_epoch(x, y, batches):
            if pipeline == "dataset":
                if not loaded:  # once per fit, after the validation split
                    self.session.run(data["load"],
                                     dict(zip(data["new"], (*self._x_values(x), y))))
                    loaded.append(True)
                self.session.run(data["iterator"].initializer, {
                    data["order"]: np.concatenate(batches),
                    data["batch_size"]: check_batch_size(batch_size)})

        def train_step(x, y, idx):
            batch = (*self._x_values(x[idx]), y[idx]) if feeds else ()
            if self.run_options is None:
                values = run_step(*batch)
            else:  # a callback asked to trace this step
                values = self.session.run(fetches, dict(zip(feeds, batch)),
                                          options=self.run_options,
                                          run_metadata=self.run_metadata)
            return dict(zip(names, values)), len(idx)

        if self.means is None:
            self.reset_metrics()
        return fit_loop(self, train_step, x, y, names=names, means=self.means,
                        batch_size=batch_size,
                        epochs=epochs, seed=self.spec.seed, check=self._check_xy,
                        evaluate=self._evaluate, begin_epoch=begin_epoch, verbose=verbose,
                        callbacks=callbacks, validation_split=validation_split,
                        validation_data=validation_data, shuffle=shuffle,
                        initial_epoch=initial_epoch, initial_step=initial_step,
                        refuse_large_batch=True)

    def _evaluate(self, x, y, batch_size, verbose=0) -> dict:
        fetches = {"loss": self.loss, **self._metric_sums}

        def step(idx):
            feed = dict(zip(self._x_tensors, self._x_values(x[idx])))
            return self.session.run(fetches, {**feed, self.y: y[idx]}), len(idx)

        return evaluate_loop(step, len(x), names=list(fetches), batch_size=batch_size,
                             verbose=verbose)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
        """Loss (and metrics) over all of `x`, batch by batch, without training."""
        x, y = self._check_xy(x, y)
        results = self._evaluate(x, y, batch_size, 1 if verbose == "auto" else verbose)
        if return_dict:
            return results
        return results["loss"] if len(results) == 1 else list(results.values())

    def predict(self, x, batch_size=None, verbose="auto"):
        """The model's outputs for `x`, as one NumPy array (class probabilities for softmax)."""
        x = self._check_x(x)
        batch_size = check_batch_size(batch_size)
        bar = keras.utils.Progbar(steps_per_epoch(len(x), batch_size),
                                  verbose=1 if verbose == "auto" else verbose)
        outputs = []
        for step, idx in enumerate(batch_indices(len(x), batch_size, shuffle=False), 1):
            feed = dict(zip(self._x_tensors, self._x_values(x[idx])))
            outputs.append(self.session.run(self.outputs, feed))
            bar.update(step)
        return np.concatenate(outputs)

    # --- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
