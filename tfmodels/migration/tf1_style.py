"""TF1-style code inside a Keras 3 model: what `tf.compat.v1.keras.utils.track_tf1_style_variables`
did before Keras 3 (it raises under TF >= 2.16).

    import keras
    import tensorflow as tf

    from tf1_compat import layers
    from tfmodels.migration import TF1StyleLayer

    def body(x, training=False):
        with tf.compat.v1.variable_scope("mlp"):
            h = layers.dense(x, 16, activation=tf.nn.relu)
            return layers.dense(h, 3)

    model = keras.Sequential([keras.Input((4,)), TF1StyleLayer(body)])

`TF1StyleLayer(function)` is a Keras layer whose `call` runs `function(inputs)` (with
`training=` a Python bool when the function takes a `training` argument) on eager tensors, inside
`tf.function` and inside `model.fit`. This is step 1 of TensorFlow's migration guide, "Validating
correctness": the TF1 code runs unchanged while Keras owns its variables. A layer that used
`@track_tf1_style_variables` on its `call` becomes a subclass defining `forward` instead:

    class TwoDense(TF1StyleLayer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def forward(self, inputs, training=False):
            with tf.compat.v1.variable_scope("two"):
                return layers.dense(layers.dense(inputs, self.units), 2)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

- Every `tf.compat.v1.get_variable` of the function (directly, through `tf1_compat.layers` or
  `tf1_compat.rnn`) goes to a store of the layer keyed by the variable's full TF1 name
  (`mlp/dense/kernel`): created on the first call, handed back on every later one, whatever
  `reuse` says (as TF2's shim did: eager `get_variable` never reuses by itself). `reuse=True`
  on a variable that does not exist yet is still an error, as in TF1. Every call names its
  variables alike: the function runs in a variable scope named after the layer (left out of
  the names), whose count of unnamed scopes starts afresh on each call, so an unnamed
  `layers.dense` is `dense` on every call, not `dense_1` on the second.
- The variables are the layer's Keras weights (`keras.Variable`s the layer tracks), made when
  the layer is built (Keras builds it on its first input, symbolic or eager; building traces
  the function once per value of `training`, without running it, so that variables used only
  in training exist too). `trainable=False` ones (batch norm's moving averages) are
  `non_trainable_weights`. The weights' `path` keeps the TF1 name under the layer's:
  `tf1_style_layer/mlp/dense/kernel`; `layer.tf1_variables` is `{TF1 name: weight}`. The
  function gets the weights' own `tf.Variable`s, so TF1 code may `assign` to them.
- Updates: `tf1_compat.layers.batch_normalization(training=True)` puts its moving-average
  assignments in `UPDATE_OPS`; eagerly they have already run when it returns, and inside
  `tf.function` (and `fit`) they are stateful ops, which run with the call. Nothing needs to
  read `UPDATE_OPS`: the entries a call adds (and its `REGULARIZATION_LOSSES`) are taken out
  again, so that the global eager collections do not grow with every call.
- Regularization: a `regularizer` of `get_variable` (`kernel_regularizer=` of the layers, or
  the variable scope's) becomes the weight's Keras regularizer, so its loss is in
  `layer.losses` and `model.losses` and `fit` minimises it (Keras holds it: it is not in
  `REGULARIZATION_LOSSES` while the function runs, so `get_regularization_loss()` inside the
  function does not see it); activity regularization losses, and anything else that the
  function adds to `REGULARIZATION_LOSSES` during a call, are added with `add_loss`.
- Constraints become the weights' Keras constraints (applied by the optimizer after each step,
  as TF1's optimizers did). Initializers are TF1 initializer objects (or classes, or Keras
  initializers), called with the variable's shape and dtype; an initial value instead of an
  initializer works when no shape is given, as in TF1. Without one, `get_variable`'s own
  default: the scope's initializer, else Glorot uniform (zeros for integers and booleans).
- Saved and restored by `model.save("m.keras")` / `keras.models.load_model` and
  `save_weights("m.weights.h5")` / `load_weights` as any Keras weights (in the order the
  function asks for them). `.keras` files store the function by reference (module and name), so
  it must be importable (a module-level function) or given to `load_model` in `custom_objects`
  (a lambda is stored as bytecode, which `load_model` reads only with `safe_mode=False`); a
  subclass's `forward` is not stored, the subclass is.

Under a `tf.distribute.MirroredStrategy` (the model built in its scope) the weights are mirrored
and each replica's call gets them; checked on two logical CPUs: training equals one device's
(3e-8 in the weights), batch norm's moving averages are updated.

A mistake ends in one `ValueError` (or `TypeError`) naming the variable or value and what was
expected: a function that is not callable, a variable asked for with another shape or dtype
than on its first call, a variable first asked for after the layer was built (the function
must ask for the same variables on every call: an optimizer already built would not know a
late one), `reuse=True` on a variable that does not exist, a partitioner (TF2 has no
partitioned variables), a shape that is not fully known when the variable is created.

Not supported: `partitioner`, `caching_device`; Keras layers created inside the function (make
them attributes of a subclass instead: Keras tracks those).

The one hook into TensorFlow's internals is the graph's variable store (the collection that
`variable_scope.with_variable_store` sets, as TF's own shim did): it is what
`tf.compat.v1.get_variable` asks for its variables.
"""

from __future__ import annotations

import contextlib
import inspect
import threading

import keras
import tensorflow as tf
from tensorflow.python.ops import variable_scope as _variable_scope

from tfmodels.migration.user_code import takes_argument

v1 = tf.compat.v1

__all__ = ["TF1StyleLayer", "VariablesNotMadeOnce"]

_AGGREGATION = {
    tf.VariableAggregation.NONE: "none",
    tf.VariableAggregation.MEAN: "mean",
    tf.VariableAggregation.SUM: "sum",
    tf.VariableAggregation.ONLY_FIRST_REPLICA: "only_first_replica",
}


class VariablesNotMadeOnce(ValueError):
    """The function does not ask for the same variables on every call (the migration guide's
    step 1, "variables are created only once")."""


class _Regularizer:
    """A TF1 regularizer as a Keras weight's: called on the `tf.Variable`, None counted as 0."""

    def __init__(self, regularizer, variable):
        self.regularizer, self.variable = regularizer, variable

    def __call__(self, _weight=None):
        loss = self.regularizer(self.variable)
        return tf.zeros((), self.variable.dtype) if loss is None else loss


# `get_variable` asks the graph's one variable store (a collection of the graph). While any
# TF1StyleLayer runs, that is `_ROUTER`, which hands the request to the store of the layer running
# in the asking thread: a MirroredStrategy runs its replicas in threads that take turns (at each
# cross-replica step, a moving average's update for one), so two calls of a layer may be under
# way at once in one graph.
_LOCK = threading.Lock()
_LOCAL = threading.local()  # .stores: this thread's running layers' stores, innermost last
_INSTALLED = {}  # id(the graph's store collection) -> [layers running, the collection before, it]


class _Router:
    def get_variable(self, name, *args, **kwargs):
        stores = getattr(_LOCAL, "stores", None)
        if stores:
            return stores[-1].get_variable(name, *args, **kwargs)
        raise RuntimeError(f"tf.compat.v1.get_variable({name!r}) in a thread that runs no "
                           "TF1StyleLayer, while one runs in another")


_ROUTER = _Router()


@contextlib.contextmanager
def _store_in_use(store):
    collection = v1.get_collection_ref(_variable_scope._VARSTORE_KEY)
    with _LOCK:
        entry = _INSTALLED.get(id(collection))
        if entry is None:
            entry = _INSTALLED[id(collection)] = [0, list(collection), collection]
            collection[:] = [_ROUTER]
        entry[0] += 1
    stores = _LOCAL.__dict__.setdefault("stores", [])
    stores.append(store)
    try:
        yield
    finally:
        stores.pop()
        with _LOCK:
            entry[0] -= 1
            if entry[0] == 0:
                collection[:] = entry[1]
                del _INSTALLED[id(collection)]


class _VariableStore:
    """What `tf.compat.v1.get_variable` asks for variables while the layer's function runs (the
    duck type of TF's `_VariableStore.get_variable`): one variable per full TF1 name."""

    def __init__(self, layer: TF1StyleLayer):
        self.layer = layer
        self.variables = {}  # TF1 name -> (Keras variable, its tf.Variable)
        self._local = threading.local()  # .prefix: the scope of this thread's call
        self.creating = False  # True while a weight is made for `get_variable`

    @property
    def prefix(self) -> str:
        return getattr(self._local, "prefix", "")

    @contextlib.contextmanager
    def scope(self):
        """The variable scope around one call: named after the layer, whose unnamed sub-scopes
        are counted from 0 on every entry, so an unnamed `layers.dense` is `dense` on every call
        (at the root it would be `dense_1` the next time)."""
        with _store_in_use(self), v1.variable_scope(self.layer.name,
                                                    auxiliary_name_scope=False) as scope:
            self._local.prefix = scope.name  # the full name, within whatever scope is around
            try:
                yield
            finally:
                self._local.prefix = ""

    def get_variable(self, name, shape=None, dtype=tf.float32, initializer=None, regularizer=None,
                     reuse=None, trainable=None, collections=None, caching_device=None,
                     partitioner=None, validate_shape=True, use_resource=None,
                     custom_getter=None, constraint=None,
                     synchronization=tf.VariableSynchronization.AUTO,
                     aggregation=tf.VariableAggregation.NONE):
        kwargs = dict(shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                      reuse=reuse, trainable=trainable, collections=collections,
                      caching_device=caching_device, partitioner=partitioner,
                      validate_shape=validate_shape, use_resource=use_resource,
                      constraint=constraint, synchronization=synchronization,
                      aggregation=aggregation)
        if custom_getter is None:
            return self._get(name, **kwargs)
        # A custom getter of the user's variable scopes, as TF1 called it.
        if not (takes_argument(custom_getter, "constraint")):
            kwargs.pop("constraint")
        return custom_getter(getter=self._get, name=name, **kwargs)

    def _name(self, name: str) -> str:
        head = self.prefix + "/"
        return name[len(head):] if name.startswith(head) else name

    def _get(self, name, shape=None, dtype=tf.float32, initializer=None, regularizer=None,
             reuse=None, trainable=None, collections=None, caching_device=None, partitioner=None,
             validate_shape=True, use_resource=None, constraint=None,
             synchronization=tf.VariableSynchronization.AUTO,
             aggregation=tf.VariableAggregation.NONE):
        del collections, validate_shape, use_resource  # Keras keeps the variables
        name = self._name(name)
        where = f"{self.layer.name}: variable {name!r}"
        if partitioner is not None:
            raise ValueError(f"{where}: partitioner={partitioner!r} is not supported (TF2 has no "
                             "partitioned variables): drop the partitioner")
        if caching_device is not None:
            raise ValueError(f"{where}: caching_device={caching_device!r} is not supported")
        dtype = tf.as_dtype(dtype).base_dtype
        from_value = initializer is not None and not callable(initializer)
        if from_value:
            if shape is not None:
                raise ValueError(f"{where}: an initial value ({initializer!r}) comes with its own "
                                 f"shape; got shape={shape!r} too")
            try:
                with tf.init_scope():  # where the variable will be made
                    initializer = tf.convert_to_tensor(initializer)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{where}: an initial value must be a constant (a NumPy array, "
                                 f"a number, an eager tensor), got {initializer!r}") from error
            dtype, shape = initializer.dtype, initializer.shape  # the value's, as in TF1
        shape = tf.TensorShape(shape)

        if name in self.variables:
            _, found = self.variables[name]
            if not shape.is_compatible_with(found.shape):
                raise VariablesNotMadeOnce(
                    f"{where} has shape {tuple(found.shape)} from the first call, now the "
                    f"function asks for shape {tuple(shape)}: a TF1-style function must ask for "
                    "the same variables on every call")
            if not dtype.is_compatible_with(found.dtype):
                raise VariablesNotMadeOnce(
                    f"{where} has dtype {found.dtype.name} from the first call, now the function "
                    f"asks for dtype {dtype.name}: a TF1-style function must ask for the same "
                    "variables on every call")
            return found
        if self.layer.built:
            raise VariablesNotMadeOnce(
                f"{where} is asked for after the layer was built, when its weights were made "
                f"(it has {sorted(self.variables)}): a TF1-style function must ask for the same "
                "variables on every call, whatever its inputs")
        if reuse is True:
            raise ValueError(f"{where} does not exist, but it is asked for with reuse=True: "
                             "create it first (or use reuse=tf.compat.v1.AUTO_REUSE)")
        if not shape.is_fully_defined():
            raise ValueError(f"{where} needs a fully known shape to be created, got "
                             f"{shape}")
        if trainable is None:
            trainable = synchronization != tf.VariableSynchronization.ON_READ
        if aggregation not in _AGGREGATION:
            raise ValueError(f"{where}: aggregation must be a tf.VariableAggregation, got "
                             f"{aggregation!r}")
        return self._create(name, shape, dtype, initializer, from_value, regularizer,
                            bool(trainable), constraint, _AGGREGATION[aggregation])

    def _create(self, name, shape, dtype, initializer, from_value, regularizer, trainable,
                constraint, aggregation):
        where = f"{self.layer.name}: variable {name!r}"
        if initializer is None:
            if dtype.is_floating:
                initializer = v1.glorot_uniform_initializer()
            elif dtype.is_integer or dtype.is_unsigned or dtype.is_bool:
                initializer = v1.zeros_initializer()
            else:
                raise ValueError(f"{where} of dtype {dtype.name} needs an initializer")
        elif inspect.isclass(initializer):
            initializer = initializer()

        variable_dtype = dtype

        def initial(shape, dtype=None):  # Keras's signature; TF1's initializers take tf dtypes
            if from_value:
                return initializer
            return initializer(list(shape), dtype=variable_dtype)

        *scopes, base = name.split("/")
        with tf.init_scope(), contextlib.ExitStack() as stack:
            # Keras names have no "/": the TF1 scopes become Keras name scopes under the
            # layer's, so the weight's path is `<layer's path>/mlp/dense/kernel`.
            stack.enter_context(keras.name_scope(self.layer.name, caller=self.layer))
            for scope in scopes:
                stack.enter_context(keras.name_scope(scope))
            self.creating = True
            try:
                weight = keras.Variable(initial, shape=tuple(shape), dtype=dtype.name,
                                        trainable=trainable, aggregation=aggregation, name=base)
            finally:
                self.creating = False
        weight.regularizer = None
        weight.constraint = keras.constraints.get(constraint)
        self.layer._tf1_weights.append(weight)  # a tracked list: the layer's weights
        variable = weight.value
        if not isinstance(variable, tf.Variable):
            raise TypeError(f"{where}: Keras made a {type(variable).__name__}, not a tf.Variable "
                            "(is the layer being built inside a stateless scope?)")
        if regularizer is not None:
            weight.regularizer = _Regularizer(regularizer, variable)
        self.variables[name] = (weight, variable)
        return variable


@keras.saving.register_keras_serializable(package="tfmodels")
class TF1StyleLayer(keras.layers.Layer):
    """A Keras layer running `function(inputs[, training=...])`, TF1 code on `get_variable`;
    see the module's docstring."""

    def __init__(self, function=None, **kwargs):
        if function is None and type(self).forward is not TF1StyleLayer.forward:
            function = self.forward  # a subclass with its own `forward`
        if not callable(function):
            raise TypeError(f"{type(self).__name__} needs a callable, function(inputs) or "
                            f"function(inputs, training=False) (or a subclass defining "
                            f"`forward`), got {function!r}")
        super().__init__(**kwargs)
        self.function = function
        self._takes_training = takes_argument(function, "training")
        self._tf1_store = _VariableStore(self)
        self._tf1_weights = []  # Keras tracks what is appended: weights, in creation order
        self._tf1_input_specs = None

    def forward(self, inputs, training=False):
        """What a subclass defines instead of passing a function: TF1 code on `get_variable`,
        as the `call` that TF2's `track_tf1_style_variables` decorated (the layer's other
        attributes at hand)."""
        raise NotImplementedError

    @property
    def tf1_variables(self) -> dict:
        """`{TF1 name: Keras weight}`, in the order of creation."""
        return {name: weight for name, (weight, _) in self._tf1_store.variables.items()}

    def __call__(self, *args, **kwargs):
        if not self.built and args:
            # `build` gets shapes only: keep the dtypes too (floats become the compute dtype,
            # as Keras casts them), to trace the function on what it will be given.
            def spec(x):
                x_dtype = tf.as_dtype(keras.backend.standardize_dtype(x.dtype))
                if x_dtype.is_floating:
                    x_dtype = tf.as_dtype(self.compute_dtype)
                return tf.TensorSpec(tuple(x.shape), x_dtype)

            try:
                self._tf1_input_specs = tf.nest.map_structure(spec, args[0])
            except (AttributeError, TypeError):
                self._tf1_input_specs = None  # lists of numbers and such: `build`'s shapes
        return super().__call__(*args, **kwargs)

    def build(self, input_shape):
        specs = self._tf1_input_specs
        if specs is None:  # shapes only (`build` called directly, inputs given by keyword)
            def to_spec(shape):
                if isinstance(shape, dict):
                    return {key: to_spec(value) for key, value in shape.items()}
                if all(d is None or isinstance(d, int) for d in shape):
                    return tf.TensorSpec(shape, self.compute_dtype)
                return type(shape)(to_spec(value) for value in shape)

            specs = to_spec(input_shape)
        # Create every variable now, outside any Keras stateless scope: trace the function (not
        # run it: its assignments and random draws stay in the trace) in training and not.
        for training in ((True, False) if self._takes_training else (None,)):
            v1.wrap_function(lambda x, training=training: self._run(x, training,
                                                                    add_losses=False),
                             [specs])
        self.built = True

    def call(self, inputs, training=None):
        if self._takes_training and not tf.is_tensor(training):
            training = bool(training)  # Keras's None (not training) becomes False
        return self._run(inputs, training if self._takes_training else None)

    def _run(self, inputs, training, add_losses=True):
        store = self._tf1_store
        regularization = v1.get_collection_ref(v1.GraphKeys.REGULARIZATION_LOSSES)
        updates = v1.get_collection_ref(v1.GraphKeys.UPDATE_OPS)
        n_regularization, n_updates = len(regularization), len(updates)
        try:
            with store.scope(), tf.variable_creator_scope(self._refuse_other_variables):
                if training is None:
                    outputs = self.function(inputs)
                else:
                    outputs = self.function(inputs, training=training)
            activity_losses = list(regularization[n_regularization:])
        finally:
            del regularization[n_regularization:]
            del updates[n_updates:]
        if add_losses:
            for loss in activity_losses:
                self.add_loss(loss)
            for weight, _ in store.variables.values():
                # Keras counts the regularizers of trainable weights only; TF1 counted all.
                if not weight.trainable and weight.regularizer is not None:
                    self.add_loss(weight.regularizer(weight))
        return outputs

    def _refuse_other_variables(self, next_creator, **kwargs):
        """A variable made in the function other than through `get_variable` (`tf.Variable`,
        a Keras layer's weight) would be made anew on every call, which is the migration guide's
        step-1 failure ("variables are created only once"): say so, naming it."""
        if self._tf1_store.creating:
            return next_creator(**kwargs)
        name = kwargs.get("name") or "Variable"
        raise VariablesNotMadeOnce(
            f"{self.name}: the function made a variable {name!r} with tf.Variable (or a Keras "
            f"layer) on a call: it would be made anew on every call, and Keras would not track "
            f"it. Make it with tf.compat.v1.get_variable({name!r}, shape, initializer=...), "
            f"which a TF1StyleLayer makes once and hands back on later calls")

    def get_config(self):
        config = super().get_config()
        if getattr(self.function, "__self__", None) is not self:  # not a subclass's `forward`
            config["function"] = keras.saving.serialize_keras_object(self.function)
            module = getattr(self.function, "__module__", None)
            name = getattr(self.function, "__qualname__", "")
            if module and name.isidentifier():  # a module-level function: by reference too
                config["function_ref"] = f"{module}:{name}"
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        ref = config.pop("function_ref", None)
        if "function" in config:
            config["function"] = _function_from_config(config["function"], ref)
        return cls(**config)


def _function_from_config(serialized, ref: str | None):
    """The layer's function: from `custom_objects` (or Keras's registry) if given there, else
    by its reference `module:name` in a module already imported. A module is never imported
    because a file names it (that would run code a file chose, which safe_mode refuses)."""
    import sys

    if ref:
        module, _, name = ref.partition(":")
        function = getattr(sys.modules.get(module), name, None)
        if callable(function):
            try:  # custom_objects, where given, still decide
                return keras.saving.deserialize_keras_object(serialized)
            except (TypeError, ValueError):
                return function
    try:
        return keras.saving.deserialize_keras_object(serialized)
    except (TypeError, ValueError):
        where = f" {ref}" if ref else ""
        raise TypeError(f"TF1StyleLayer's function{where} is not available: import its module "
                        f"before loading the model, or pass it in custom_objects") from None
