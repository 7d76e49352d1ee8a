"""A spec built as a Keras 3 `Sequential` (a graph spec: a functional `keras.Model`), compiled
and ready for `fit/evaluate/predict`.

    model = build_model(get_spec("mnist_mlp"))
    history = model.fit(x, y, batch_size=128, epochs=5, validation_data=(xv, yv))
    probabilities = model.predict(xv)

`SpecSequential` is a plain `keras.Sequential` with two additions: inputs are checked before
Keras sees them (a wrong feature count gets one line naming both shapes), and NumPy training
data is batched by `tfmodels.core.data.batch_indices`, the seeded helper the TF1 track uses too, so
both tracks see the same batches in the same order.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfmodels.core.checks import (
    check_batch_size,
    check_epochs,
    check_token_ids,
    check_x,
    check_y,
)
from tfmodels.core.data import batch_indices, split_validation, untuned
from tfmodels.core.errors import UserError
from tfmodels.core.inputs import NamedInputs, as_arrays, check_inputs, is_named
from tfmodels.core.spec import ModelSpec, initial_weights
from tfmodels.keras_track.activations import RandomizedReLU, Swish
from tfmodels.keras_track.embedding import DenseGradientEmbedding
from tfmodels.keras_track.losses import spec_loss
from tfmodels.keras_track.optimizers import make_optimizer

__all__ = [
    "STEPS_PER_EXECUTION", "EpochBatches", "TrainingRows", "ROWS", "SpecSequential",
    "SpecFunctional", "spec_ordered", "build_layers", "build_graph", "build_model",
]

# Training steps per call from Python (Keras's `steps_per_execution`), the Keras track's default.
STEPS_PER_EXECUTION = 32


class EpochBatches:
    """The batches of `batch_indices` - each a batch of sample indices - as a `tf.data.Dataset`
    that serves a fresh order every epoch.

    Each time Keras starts an epoch's iterator, the pipeline asks Python for that epoch's sample
    order, once, and cuts it into batches; no step passes data through Python. The rows
    themselves are gathered by the training step (`TrainingRows`), or, under a `tf.distribute`
    strategy, by the pipeline (`gathered`). Making a batch of indices costs nothing, so
    tf.data's autotuning is off (`untuned`, as in the TF1 track's pipeline).
    """

    def __init__(self, num_samples: int, batch_size: int, seed: int, shuffle: bool,
                 epoch: int = 0, skip: int = 0):
        self.num_samples, self.batch_size = num_samples, batch_size
        self.seed, self.shuffle = seed, shuffle
        self._current = {}
        self.set_epoch(epoch, skip)
        current = self._current  # the generator must not hold `self`, which holds the dataset
        order = tf.data.Dataset.from_generator(
            lambda: iter([current["order"]]), output_signature=tf.TensorSpec((None,), tf.int64))
        dataset = order.flat_map(
            lambda epoch_order: tf.data.Dataset.from_tensor_slices(epoch_order).batch(batch_size))
        self.dataset = untuned(dataset).apply(
            tf.data.experimental.assert_cardinality(len(self)))

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        """Serve `epoch`'s batches, leaving out its first `skip` (already trained) ones."""
        self.epoch = epoch
        self.batches = batch_indices(self.num_samples, self.batch_size, epoch=epoch,
                                     seed=self.seed, shuffle=self.shuffle)[skip:]
        self._current["order"] = np.concatenate(self.batches).astype(np.int64)

    def gathered(self, x, y):
        """The batches as `(x[idx], y[idx])`, gathered by the pipeline: for a `tf.distribute`
        strategy, which splits each batch between its replicas. With a GPU the next batches are
        gathered (`prefetch`) while the device computes."""
        x = ({n: tf.constant(a) for n, a in x.arrays.items()} if isinstance(x, NamedInputs)
             else tf.constant(x))
        y = tf.constant(y)
        dataset = self.dataset.map(lambda idx: (tf.nest.map_structure(
            lambda a: tf.gather(a, idx), x), tf.gather(y, idx)))
        if tf.config.list_logical_devices("GPU"):
            dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return dataset

    def __len__(self):
        return len(self.batches)


def _same_bits(a: np.ndarray, b: np.ndarray, rows: int = 4096) -> bool:
    """Whether two float32 arrays hold the same bits (-0.0 is not 0.0 here: the tracks' numbers
    are kept equal in bits), a block of rows at a time, so that no array of their size is made
    for the comparison."""
    if a.shape != b.shape:
        return False
    a, b = a.view(np.uint32), b.view(np.uint32)
    return all(np.array_equal(a[i:i + rows], b[i:i + rows]) for i in range(0, len(a), rows))


class TrainingRows:
    """The training arrays, resident in two variables from which the training step gathers its
    batch, as the TF1 track's `tf.data` pipeline does: the pipeline passes only indices.

    Gathering in the pipeline instead (a `map` after the batching) cost the step 0.39 ms at
    batch 32 in tf.data against 0.04-0.10 ms here, and the matmuls ran slower beside it
    (`benchmarks/profile_ops.py`). The variables are made once per model, because the compiled
    step holds them; they are plain `tf.Variable`s, outside Keras's weights and saved files,
    and their shape leaves the sample count open, so every `fit` may bring a data set of
    another size. Like the TF1 track's local variables they keep the last `fit`'s arrays.
    Several named inputs (`NamedInputs`): a variable per input, `rows_x_<name>`, gathered with
    the same indices into a dict.
    """

    def __init__(self, x, y):
        def held(a, name):
            return tf.Variable(a, shape=(None, *a.shape[1:]), trainable=False, name=name)

        self.x = ({n: held(a, f"rows_x_{n}") for n, a in x.arrays.items()}
                  if isinstance(x, NamedInputs) else held(x, "rows_x"))
        self.y = held(y, "rows_y")

    def _pairs(self, x, y) -> list:
        if isinstance(self.x, dict):
            return [(self.x[n], a) for n, a in x.arrays.items()] + [(self.y, y)]
        return [(self.x, x), (self.y, y)]

    def fill(self, x, y) -> None:
        """Hold `x` and `y`; arrays equal to those held are not copied again. (A `fit` per epoch
        on the same arrays: comparing them with the variables' own memory took 0.045 s for
        60,000 MNIST rows, where copying them in took 0.22 s a `fit`, most of it in fresh pages,
        and comparing with a copy read out of the variables 0.08-0.68 s.)"""
        for variable, a in self._pairs(x, y):  # float32 all (`_check_xy`)
            held = np.asarray(variable.value())  # a view of the variable's memory, not a copy
            if not _same_bits(held, a):
                variable.assign(a)

    def gather(self, idx):
        # From the variables' values, not the variables: a gather from a resource variable
        # (`ResourceGather`) leaves it copying its whole buffer on every later read, so `fill`
        # would copy 188 MB to compare 60,000 MNIST rows.
        if isinstance(self.x, dict):
            x = {n: tf.gather(v.value(), idx) for n, v in self.x.items()}
        else:
            x = tf.gather(self.x.value(), idx)
        return x, tf.gather(self.y.value(), idx)


# What `fit`'s pipeline serves outside strategies: a batch of indices, under this key.
ROWS = "tfmodels_rows"


class _FollowEpochs(keras.callbacks.Callback):
    """Tells `EpochBatches` which epoch `fit` is starting.

    The callback's `epoch` argument counts from `initial_epoch`, and it arrives before Keras
    makes the epoch's data iterator (which is when the pipeline reads the order).
    """

    def __init__(self, batches: EpochBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.set_epoch(epoch)


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array__") or is_named(x)


class _SpecTraining:
    """What `SpecSequential` (a chain) and `SpecFunctional` (a graph of layers) add to Keras:
    `fit` batches NumPy data like the TF1 track does.

    Outside `tf.distribute` strategies, `fit` of NumPy data hands `train_step` a batch of
    indices, `{ROWS: idx}`, whose rows it gathers from `TrainingRows`: a subclass that overrides
    `train_step` calls `super().train_step` (or gathers them itself with `self._rows.gather`).
    """

    shuffle_seed = 0
    loss_name = None  # the spec's loss by name (`loss` may be a Keras object, from_logits)
    # The optimizer step at which the loss first stopped being finite (0 while it is) and that
    # loss; set up by `build_model` when several steps run per call, where callbacks cannot see
    # each step (tf.Variables, not Keras ones: not among the weights, not in saved files).
    nonfinite_step = nonfinite_loss = None
    _rows = None  # `TrainingRows`, made by the first `fit` of NumPy data outside strategies
    _kept_pipeline = (None, None, None)  # (key, EpochBatches, dataset): see `_pipeline`

    def _vocabulary(self):
        """The rows of the first layer's table where it is an Embedding (its inputs are token
        ids), else None."""
        first = self.layers[0] if self.layers else None
        return first.input_dim if isinstance(first, keras.layers.Embedding) else None

    def _named_shapes(self):
        """`{name: one sample's shape}` of a model of several named inputs, else None."""
        if len(self.inputs) < 2:
            return None
        shapes = {t.name: tuple(t.shape[1:]) for t in self.inputs}  # Keras sorts them by name
        order = [n for n in getattr(self, "spec_input_names", None) or () if n in shapes]
        return {n: shapes[n] for n in order or shapes}

    def _check_x(self, x):
        shapes = self._named_shapes()
        if shapes is not None:
            return check_inputs(x, shapes)
        return check_token_ids(check_x(x, self.input_shape[1:]), self._vocabulary())

    def _check_xy(self, x, y):
        x = self._check_x(x)
        return x, check_y(y, x, self.output_shape[-1], self.loss_name or self.loss)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            initial_step=0, **kwargs):
        """Keras's `fit`; NumPy data is batched by `batch_indices` (seeded by the spec).

        `initial_step` (not in Keras) resumes `initial_epoch` part-way, skipping the batches a
        checkpoint says were already trained, as the TF1 track's `fit` does.
        """
        if not _is_array(x):  # a tf.data.Dataset, a PyDataset, a generator: Keras's own path
            return super().fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                               callbacks=callbacks, validation_split=validation_split,
                               validation_data=validation_data, shuffle=shuffle,
                               initial_epoch=initial_epoch, **kwargs)
        x, y = self._check_xy(x, y)
        check_epochs(epochs, initial_epoch)
        given, batch_size = batch_size, check_batch_size(batch_size)
        if validation_split:
            (x, y), validation_data = split_validation(x, y, validation_split)
        if given is not None:
            check_batch_size(given, len(x))
        if validation_data is not None:
            xv, yv = self._check_xy(*validation_data[:2])
            validation_data = (as_arrays(xv), yv)

        def run(first_epoch, last_epoch, skip):
            batches, dataset = self._pipeline(x, y, batch_size, shuffle, first_epoch, skip,
                                              rows_in_step)
            follow = [] if skip else [_FollowEpochs(batches)]
            return super(_SpecTraining, self).fit(
                dataset, epochs=last_epoch, verbose=verbose,
                callbacks=follow + list(callbacks or []), validation_data=validation_data,
                validation_batch_size=batch_size, shuffle=False, initial_epoch=first_epoch,
                **kwargs)

        # Under a `tf.distribute` strategy - the model built in its scope, or `fit` called in
        # it - Keras builds the model from the pipeline's first batch, so that holds rows.
        rows_in_step = (not tf.distribute.has_strategy()
                        and self.distribute_strategy is tf.distribute.get_strategy())
        if rows_in_step:
            self._fill_rows(x, y)
        if not initial_step:
            return run(initial_epoch, epochs, 0)
        # Keras counts an epoch's steps once, before it starts: the shortened epoch gets a `fit`
        # of its own, then the remaining epochs run as usual and the two histories are joined.
        first = run(initial_epoch, initial_epoch + 1, initial_step)
        if self.stop_training or epochs <= initial_epoch + 1:
            return first
        rest = run(initial_epoch + 1, epochs, 0)
        rest.epoch = first.epoch + rest.epoch
        rest.history = {k: first.history.get(k, []) + v for k, v in rest.history.items()}
        return rest

    def _pipeline(self, x, y, batch_size, shuffle, epoch, skip, rows_in_step):
        """`EpochBatches` for a `fit` that starts at `epoch` (less its first `skip` batches),
        and the dataset made of it for Keras's `fit`.

        Outside strategies the pipeline holds no data, only indices, so a whole-epoch one is
        kept for the next `fit` with the same sample count and batch size: tf.data traces a
        pipeline's functions each time one is made (44 ms a `fit`, measured in cProfile).
        """
        key = (len(x), batch_size, self.shuffle_seed, shuffle)
        if rows_in_step and not skip and self._kept_pipeline[0] == key:
            return self._kept_pipeline[1:]  # `_FollowEpochs` sets each epoch's order
        batches = EpochBatches(*key, epoch=epoch, skip=skip)
        if not rows_in_step:
            return batches, batches.gathered(x, y)
        dataset = batches.dataset.map(lambda idx: {ROWS: idx})
        if not skip:
            self._kept_pipeline = (key, batches, dataset)
        return batches, dataset

    def _fill_rows(self, x, y) -> None:
        """Put the training arrays (float32, one sample's shape fixed by the model: `_check_xy`)
        in `TrainingRows` for the step to gather from."""
        if self._rows is None:
            self._rows = TrainingRows(x, y)
        else:
            self._rows.fill(x, y)

    def train_step(self, data):
        """Keras's own step on one device. Over several replicas, each replica's loss is the sum
        over its samples divided by the *global* batch, as the TF1 patterns do.

        Keras divides each replica's mean by the number of replicas
        (`keras.src.losses.loss.scale_loss_for_distribution`): right when the batch splits
        evenly, but a last batch of 29 cut 15 + 14 then weighs the 14 samples more than the 15.
        Summed across replicas (the optimizer's all-reduce), sum / global is the one-device
        gradient of the whole batch's mean.
        """
        if isinstance(data, dict) and ROWS in data:  # indices from `fit` (`EpochBatches`)
            data = self._rows.gather(data[ROWS])
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        logs = super().train_step(data) if replicas == 1 else self._replica_step(data, replicas)
        if self.nonfinite_step is not None:
            # The epoch's running loss stays non-finite from the first bad step on; remember
            # that step and the loss then.
            newly = tf.logical_and(tf.equal(self.nonfinite_step, 0),
                                   tf.logical_not(tf.math.is_finite(logs["loss"])))
            step = tf.cast(self.optimizer.iterations, tf.int64)
            self.nonfinite_step.assign(tf.where(newly, step, self.nonfinite_step))
            self.nonfinite_loss.assign(tf.where(newly, tf.cast(logs["loss"], tf.float32),
                                                self.nonfinite_loss))
        return logs

    def _replica_step(self, data, replicas):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        local = tf.cast(tf.shape(x)[0], self.compute_dtype)
        total = tf.distribute.get_replica_context().all_reduce("SUM", local)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            # Keras's value: this replica's mean / replicas
            scaled_mean = self._compute_loss(x=x, y=y, y_pred=y_pred,
                                             sample_weight=sample_weight, training=True)
            loss = scaled_mean * (replicas * local / total)  # = this replica's sum / total
            # The epoch's loss as Keras tracks it: each replica's mean weighted by its samples.
            self._loss_tracker.update_state(scaled_mean * replicas, sample_weight=local)
            loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", **kwargs):
        if _is_array(x):
            x, y = self._check_xy(x, y)
            x, batch_size = as_arrays(x), check_batch_size(batch_size)
        return super().evaluate(x, y, batch_size=batch_size, verbose=verbose, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", **kwargs):
        if _is_array(x):
            x, batch_size = as_arrays(self._check_x(x)), check_batch_size(batch_size)
        # One batch per call: Keras unrolls `steps_per_execution` predict steps into one graph,
        # and that graph rounds some outputs differently (1 ulp in binary4's, measured), while
        # training and evaluation steps run in a while loop that keeps the numbers.
        steps, self.steps_per_execution = self.steps_per_execution, 1
        try:
            return super().predict(x, batch_size=batch_size, verbose=verbose, **kwargs)
        finally:
            self.steps_per_execution = steps


@keras.saving.register_keras_serializable(package="tfmodels")
class SpecSequential(_SpecTraining, keras.Sequential):
    """`keras.Sequential` whose `fit` batches NumPy data like the TF1 track does: a chain
    spec's model."""


@keras.saving.register_keras_serializable(package="tfmodels")
class SpecFunctional(_SpecTraining, keras.Model):
    """A graph spec's model: a functional `keras.Model` (`keras.Model(inputs, outputs)`) with
    `SpecSequential`'s `fit`. `get_weights`/`set_weights` keep the spec's order (its layers as
    listed, `ModelSpec.weight_names`), whatever order Keras walks the graph in."""

    spec_weight_names = None  # set by `build_graph`: the spec's weight names in its order
    spec_input_names = None  # and its inputs' names in its order (several named inputs)

    def get_config(self):  # a saved `.keras` file keeps the spec's order too
        return {**super().get_config(), "spec_weight_names": self.spec_weight_names}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        names = config.pop("spec_weight_names", None)
        model = super().from_config(config, custom_objects=custom_objects)
        model.spec_weight_names = None if names is None else list(names)
        return model

    def _spec_variables(self) -> list:
        if self.spec_weight_names is None:  # loaded from a file: Keras's own order
            return list(self.weights)
        return spec_ordered(self, self.spec_weight_names)

    def get_weights(self):
        return [np.array(v) for v in self._spec_variables()]

    def set_weights(self, weights):
        variables, weights = self._spec_variables(), list(weights)
        if len(weights) != len(variables):
            raise UserError(f"expected {len(variables)} weight arrays, got {len(weights)}")
        for variable, value in zip(variables, weights):
            if tuple(variable.shape) != tuple(np.shape(value)):
                raise UserError(f"weight {variable.path} has shape {tuple(variable.shape)}, "
                                f"got {tuple(np.shape(value))}")
            variable.assign(value)


def spec_ordered(model, weight_names) -> list:
    """A Keras model's variables in the order of a spec's `weight_names` (`dense_0/kernel`,
    ...), found by their paths (`<layer>/<weight>`; a Sequential's `<model>/<layer>/<weight>`)."""
    prefix = f"{model.name}/"
    by_name = {v.path: v for v in model.weights}
    by_name.update({v.path[len(prefix):]: v for v in model.weights
                    if v.path.startswith(prefix) and v.path[len(prefix):] not in by_name})
    missing = [name for name in weight_names if name not in by_name]
    if missing:
        raise UserError(f"the Keras model {model.name!r} has no weight {missing[0]}; expected "
                        f"the spec's: {', '.join(weight_names)}")
    return [by_name[name] for name in weight_names]


# Activations Keras's layers take by name; the others follow the layer as a layer of their own.
_NAMED = ("linear", "sigmoid", "tanh", "relu", "softmax")


def _activation_layers(layer, name: str, seed: int, dtype) -> list:
    """What follows a Dense or Conv2D whose activation Keras does not take by name with the
    spec's parameters: leaky ReLU of slope `alpha`, swish of `beta` (trainable or not),
    randomized ReLU drawing from `seed` (the TF1 twins' ops and draws)."""
    if layer.activation == "leaky_relu":
        return [keras.layers.LeakyReLU(negative_slope=layer.alpha, name=f"{name}_leaky_relu",
                                       dtype=dtype)]
    if layer.activation == "swish":
        return [Swish(beta=layer.beta, trainable_beta=getattr(layer, "trainable_beta", False),
                      name=f"{name}_swish", dtype=dtype)]
    if layer.activation == "randomized_relu":
        return [RandomizedReLU(layer.lower, layer.upper, seed=seed,
                               name=f"{name}_randomized_relu", dtype=dtype)]
    return []


def _keras_layer(spec: ModelSpec, layer, index: int, dtype) -> list:
    name = spec.layer_name(index)
    kind = layer.kind
    if kind in ("Dense", "Conv2D"):
        activation = layer.activation if layer.activation in _NAMED else None
        if kind == "Dense":
            made = keras.layers.Dense(layer.units, activation=activation, name=name,
                                      dtype=dtype)
        else:
            made = keras.layers.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides,
                                       padding=layer.padding, activation=activation, name=name,
                                       dtype=dtype)
        seed = spec.seed + index if getattr(layer, "seed", None) is None else layer.seed
        return [made, *_activation_layers(layer, name, seed, dtype)]
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        pool = getattr(keras.layers, kind)
        return [pool(layer.pool_size, strides=layer.strides, padding=layer.padding, name=name,
                     dtype=dtype)]
    if kind == "Flatten":
        return [keras.layers.Flatten(name=name, dtype=dtype)]
    if kind == "Reshape":
        return [keras.layers.Reshape(layer.target_shape, name=name, dtype=dtype)]
    if kind == "Dropout":
        seed = spec.seed + index if layer.seed is None else layer.seed
        return [keras.layers.Dropout(layer.rate, seed=seed, name=name, dtype=dtype)]
    if kind == "BatchNormalization":
        return [keras.layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon,
                                                name=name, dtype=dtype)]
    if kind in ("LSTM", "SimpleRNN"):
        rnn = getattr(keras.layers, kind)
        return [rnn(layer.units, return_sequences=layer.return_sequences, name=name,
                    dtype=dtype)]
    if kind in _NEWER_KINDS:
        return _newer_keras_layer(layer, name, dtype)
    raise AssertionError(f"no Keras layer for {kind}")  # every kind of the spec is above


def _with_activation(made, layer, name: str, dtype) -> list:
    """A layer built linear (or with a Keras-named activation), then the activation layer of
    the spec's `leaky_relu` or `swish` (its fixed parameters: `PLAIN_ACTIVATIONS`)."""
    return [made, *_activation_layers(layer, name, 0, dtype)]


def _newer_keras_layer(layer, name: str, dtype) -> list:
    """The kinds of issue 27 (depthwise and separable convolutions, global average pooling, a
    lone activation, zero padding, layer normalization, embedding, GRU)."""
    kind = layer.kind
    activation = getattr(layer, "activation", None)
    named = activation if activation in _NAMED else None
    if kind == "DepthwiseConv2D":
        made = keras.layers.DepthwiseConv2D(
            layer.kernel_size, strides=layer.strides, padding=layer.padding,
            depth_multiplier=layer.depth_multiplier, activation=named, use_bias=layer.use_bias,
            name=name, dtype=dtype)
        return _with_activation(made, layer, name, dtype)
    if kind == "SeparableConv2D":
        made = keras.layers.SeparableConv2D(
            layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
            depth_multiplier=layer.depth_multiplier, activation=named, use_bias=layer.use_bias,
            name=name, dtype=dtype)
        return _with_activation(made, layer, name, dtype)
    if kind == "Activation":
        made = keras.layers.Activation(named or "linear", name=name, dtype=dtype)
        return [made] if named else _activation_layers(layer, name, 0, dtype)
    if kind == "GlobalAveragePooling2D":
        return [keras.layers.GlobalAveragePooling2D(name=name, dtype=dtype)]
    if kind == "ZeroPadding2D":
        return [keras.layers.ZeroPadding2D(layer.padding, name=name, dtype=dtype)]
    if kind == "LayerNormalization":
        return [keras.layers.LayerNormalization(epsilon=layer.epsilon, center=layer.center,
                                                scale=layer.scale, name=name, dtype=dtype)]
    if kind == "Embedding":  # Keras's, but a dense gradient for the optimizer: see its module
        return [DenseGradientEmbedding(layer.input_dim, layer.output_dim, name=name,
                                       dtype=dtype)]
    return [keras.layers.GRU(layer.units, return_sequences=layer.return_sequences,
                             reset_after=layer.reset_after, name=name, dtype=dtype)]


_NEWER_KINDS = ("DepthwiseConv2D", "SeparableConv2D", "Activation", "GlobalAveragePooling2D",
                "ZeroPadding2D", "LayerNormalization", "Embedding", "GRU")


def build_layers(spec: ModelSpec, dtype=None) -> list:
    """The spec's layers as Keras layers, its input first: the Keras track's one forward pass.

    Named like the TF1 track's variable scopes (`dense_0`, `conv2d_1`, ...), so a weight's name
    says the same thing in both tracks. Twin of `tf1_compat.model.build_layers`. A chain's
    only: a graph spec's model is `build_graph`'s.
    """
    if not spec.wiring.chain:
        raise UserError(f"model {spec.name!r} is a graph of layers, not a chain: build it with "
                        f"build_graph (or build_model)")
    return [keras.Input(spec.input_shape, name="x", dtype=dtype)] + [
        made for i, layer in enumerate(spec.layers) for made in _keras_layer(spec, layer, i, dtype)
    ]


_MERGES = {"Add": keras.layers.Add, "Concatenate": keras.layers.Concatenate,
           "Multiply": keras.layers.Multiply}


def build_graph(spec: ModelSpec, dtype=None) -> SpecFunctional:
    """A graph spec as a functional Keras model: each layer (`_keras_layer`, or a merge:
    `keras.layers.Add()([a, b])`) called on its inputs' outputs, in the spec's order
    (`ModelSpec.wiring`). Twin of `tf1_compat.model.build_layers` on a graph spec."""
    wiring = spec.wiring
    if spec.several_inputs:  # named `keras.Input`s: the model takes a dict by those names
        inputs = {name: keras.Input(shape, name=name, dtype=dtype)
                  for name, shape in spec.input_shapes_by_name.items()}
        tensors = {-k - 1: t for k, t in enumerate(inputs.values())}
    else:
        tensors = {-1: keras.Input(spec.input_shape, name="x", dtype=dtype)}
        inputs = tensors[-1]
    for i in wiring.order:
        layer, ins = spec.layers[i], [tensors[j] for j in wiring.sources[i]]
        if layer.merge:
            tensors[i] = _MERGES[layer.kind](name=spec.layer_name(i), dtype=dtype)(ins)
            continue
        out = ins[0]
        for made in _keras_layer(spec, layer, i, dtype):
            out = made(out)
        tensors[i] = out
    model = SpecFunctional(inputs, tensors[wiring.output], name=spec.name)
    model.spec_weight_names = spec.weight_names()
    model.spec_input_names = list(spec.input_names) if spec.several_inputs else None
    return model


def build_model(spec: ModelSpec, weights=None, *, jit_compile: bool = False,
                steps_per_execution: int | None = None,
                fused_optimizer: bool = True) -> SpecSequential | SpecFunctional:
    """The Keras twin of `tf1_compat.model.build_model(spec)`: built, compiled, weights loaded.

    The defaults keep the Keras track's optimizer update equal to the TF1 track's bit for bit
    (SGD, Adam, RMSprop). `steps_per_execution` runs that many training steps per call from
    Python: the same numbers, a lower fixed cost per step (docs/benchmarks.md), and per-batch
    callbacks run once per call (Keras's rule; pass 1 for every step). Its default is
    `STEPS_PER_EXECUTION` on one replica and 1 inside a strategy with several, where Keras 3
    cannot run more (keras-team/keras#19246: "You must feed a value for placeholder tensor").
    `jit_compile=True` (XLA) is faster again at small batches, but fuses and rounds
    differently: on `spiral` the weights then drift 1.7e-4 from the TF1 track's after 30 epochs,
    beyond the parity tolerance, so it is off by default. `fused_optimizer` (on by default)
    updates RMSprop's weights with TensorFlow's fused kernel, the one the TF1 track runs
    (`tfmodels.keras_track.optimizers.FusedRMSprop`); `False` keeps Keras's own update ops,
    ~1 ulp a step from it.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if steps_per_execution is None:
        steps_per_execution = STEPS_PER_EXECUTION if replicas == 1 else 1
    if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
        raise UserError(f"steps_per_execution must be a positive integer, got "
                        f"{steps_per_execution!r}")
    if steps_per_execution > 1 and replicas > 1:
        raise UserError(f"steps_per_execution={steps_per_execution} with {replicas} replicas: "
                        f"Keras 3 cannot run several steps per call under a multi-replica "
                        f"strategy (keras-team/keras#19246); use 1")
    model = (SpecSequential(build_layers(spec), name=spec.name) if spec.wiring.chain
             else build_graph(spec))
    model.shuffle_seed, model.loss_name = spec.seed, spec.loss
    if steps_per_execution > 1:  # else callbacks see every step's loss themselves
        for name, dtype in (("nonfinite_step", tf.int64), ("nonfinite_loss", tf.float32)):
            setattr(model, name, tf.Variable(tf.zeros((), dtype), trainable=False, name=name))
    model.compile(
        optimizer=make_optimizer(spec.optimizer, fused=fused_optimizer),
        loss=spec_loss(spec),
        metrics=list(spec.metrics),
        jit_compile=bool(jit_compile),
        steps_per_execution=steps_per_execution,
    )
    # Build the optimizer's slots now, not at the first step: saved files then always hold them,
    # and a checkpoint can be loaded into a model that has not trained yet.
    model.optimizer.build(model.trainable_variables)
    model.set_weights(initial_weights(spec) if weights is None else weights)
    return model
