"""A parity kit for your own migration tests: a TF1 model function against a Keras 3 model.

    from tfmodels.testing import assert_equivalent, verify

    def test_my_port():                       # in your own tests, with pytest
        assert_equivalent(my_tf1.build, my_keras.make_model, input_shape=(28, 28, 1),
                          optimizer="adam", learning_rate=1e-3, steps=5)

    report = verify("mypkg.model:build", "mypkg.model:make_model", (28, 28, 1))
    print(report)                             # what matched, each check, the first difference

`tfmodels verify` is the same from the command line. This is TensorFlow's migration guide
("Validating correctness & numerical equivalence") for Keras 3, whose own tools for it
(`track_tf1_style_variables`, `DeterministicRandomTestTool`) are gone. Its checks, in order,
each stopping the run when it fails:

1. **variables made once**: the Keras model, called again (inference, then training), makes no
   new variable (a `TF1StyleLayer` around TF1 code that makes variables on every call fails
   here, naming them);
2. **names and shapes**: every Keras weight has exactly one TF1 variable and every TF1 variable a
   Keras weight, matched as `tfmodels convert` matches them (a map file first, then names, then
   order and shapes; `tfmodels.migrate`), the table of what matched printed;
3. **outputs, no randomness**: with the TF1 variables' initial values copied into the Keras
   weights (random initial values aligned by copying them across), both in inference mode
   give the same outputs on the same inputs;
4. **outputs, aligned randomness**: in training mode, with the same dropout masks on both sides
   (`tf1_compat.layers.keras_masks`: every TF1 dropout, `tf.nn.dropout` included, draws the
   mask Keras's `Dropout` draws; the Keras layers' seed states set to match), the same outputs,
   and the same variables after the call (batch norm's moving averages move in both);
5. **training steps**: `steps` steps on new random batches, TF1's optimizer against Keras's
   (`tf1_compat.optimizers` / `tfmodels.keras_track.optimizers`, the project's mapping of
   `tf.compat.v1.train.*` to `keras.optimizers.*`, docs/optimizers.md): the same loss and the
   same variables after every step;
6. **outputs after training**, randomness removed.

Numbers are equal when `|keras - tf1| <= atol + rtol * |tf1|` element by element, the guide's
`assert_allclose` with its tolerances, rtol 1e-6 and atol 1e-5, by default. A failure says what
differs first (the output, or the variable by its Keras path and TF1 name), by how much, where,
and at which step.

The TF1 side is `build(inputs, training)` (or `build(inputs)`): graph code (placeholders,
`get_variable`, `tf.Variable`, `tf1_compat.layers`, `tf1_compat.rnn`, `tf.nn.*`) that returns
the outputs, or a tuple whose first item is the outputs. It is built twice, as Estimators did:
once with `training=True` in the training graph (with the loss, the optimizer and
`UPDATE_OPS`), once with `training=False` in a graph of its own, the variables copied across by
name. A TF1 Estimator `model_fn(features, labels, mode)` goes through `from_model_fn`. The Keras
side is a model, a factory (a function returning a built model), `module:factory`, a `.keras`
file (safe mode), or None: the TF1 function inside a `TF1StyleLayer` (the guide's first step).
Inputs are float32 random normal of `(batch_size, *input_shape)`. The loss is "mse" against
random targets of the outputs' shape (default), "sparse_categorical_crossentropy" from logits
against random labels, or a function `loss(targets, outputs)` of TensorFlow ops; the TF1 side's
`get_regularization_loss()` and the Keras model's `losses` are added to it. The Keras model is
trained in place: give a factory to keep yours as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from tfmodels.core.errors import UserError
from tfmodels.tf1_style import _takes_argument as _takes

RTOL, ATOL = 1e-6, 1e-5  # the migration guide's np.testing.assert_allclose(rtol, atol)
DROPOUT_SEED = 1337
LOSSES = ("mse", "sparse_categorical_crossentropy")
MODES = {True: "train", False: "infer"}  # tf.estimator.ModeKeys.TRAIN and PREDICT


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    difference: float | None = None  # the largest |keras - tf1| compared, where numbers were

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"




@dataclass
class Report:
    """What `verify` found: the checks run, in order (the last one run may have failed), the
    table of which TF1 variable fills which Keras weight, and where the logs went."""

    checks: list = field(default_factory=list)
    table: str = ""
    log_dir: str | None = None
    losses: dict = field(default_factory=dict)  # {"tf1": [...], "keras": [...]}, a loss a step

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def __str__(self) -> str:
        lines = [self.table, ""] if self.table else []
        lines += [c.line() for c in self.checks]
        lines.append("equivalent" if self.ok else
                     f"NOT equivalent: {self.failure.name}: {self.failure.detail}")
        if self.log_dir:
            lines.append(f"Logs: {self.log_dir}")
        return "\n".join(lines)


class Unmatched(UserError):
    """The two sides' variables cannot be paired (names and shapes, check 2): the models cannot be
    compared until a map file (or a fixed port) pairs them. `.table` shows what matched."""

    def __init__(self, message: str, table: str):
        super().__init__(message)
        self.table = table


class NotEquivalent(AssertionError):
    """`assert_equivalent` found a difference; `.report` has the whole report."""

    def __init__(self, report: Report):
        super().__init__(str(report))
        self.report = report


def assert_equivalent(tf1, keras_model=None, input_shape=None, **options) -> Report:
    """`verify`, raising `NotEquivalent` (an AssertionError: a pytest failure showing the report)
    unless every check passed; returns the report."""
    report = verify(tf1, keras_model, input_shape, **options)
    if not report.ok:
        raise NotEquivalent(report)
    return report


# -- what the user hands over --------------------------------------------------------------------


def _outputs(result, what: str):
    import tensorflow as tf

    if isinstance(result, (tuple, list)) and result:
        result = result[0]
    if not tf.is_tensor(result):
        raise UserError(f"{what} returned {type(result).__name__}, expected the outputs (a "
                        f"tensor, or a tuple whose first item is one)")
    return result


def from_model_fn(model_fn, params=None, labels="int64"):
    """A TF1 Estimator `model_fn(features, labels, mode[, params])` as `build(inputs, training)`:
    training is mode "train" (ModeKeys.TRAIN), inference "infer" (PREDICT); the outputs are the
    returned spec's `predictions` (its "logits" if it is a dict holding them, else its only
    item), or what it returned if that is a tensor. tf.estimator is gone from TensorFlow 2.16:
    a `model_fn` returning a namedtuple or dict with `predictions` works the same.

    In training a model_fn builds its loss (and train op) from `labels`: it gets a placeholder,
    never fed (the kit fetches the predictions only, and trains with its own loss), of dtype
    `labels` and shape (batch,) ("int64": class ids, the default), or `labels` as
    "DTYPE:D,D" for (batch, D, D) (e.g. "float32:1" for a regression's targets); PREDICT gets
    None, as from an Estimator."""
    import tensorflow as tf

    dtype, _, dims = labels.partition(":")
    try:
        dtype = tf.as_dtype(dtype)
        shape = (None, *(int(d) for d in dims.split(",") if d))
    except (TypeError, ValueError):
        raise UserError(f"labels {labels!r}: expected a dtype and an optional shape without the "
                        f"batch, e.g. int64 or float32:1") from None

    def build(inputs, training=False):
        kwargs = {"params": params} if _takes(model_fn, "params") else {}
        given = tf.compat.v1.placeholder(dtype, shape, name="labels") if training else None
        spec = model_fn(features=inputs, labels=given, mode=MODES[bool(training)], **kwargs)
        predictions = getattr(spec, "predictions", None)
        if predictions is None and isinstance(spec, dict):
            predictions = spec.get("predictions")
        if predictions is None:
            predictions = spec
        if isinstance(predictions, dict):
            if "logits" in predictions:
                predictions = predictions["logits"]
            elif len(predictions) == 1:
                predictions = next(iter(predictions.values()))
            else:
                raise UserError(f"model_fn's predictions have keys {sorted(predictions)}; "
                                f"the kit compares one tensor: name it 'logits'")
        return predictions

    build.__name__ = getattr(model_fn, "__name__", "model_fn")
    return build


def _tf1_function(tf1, model_fn: bool, labels: str):
    from tfmodels.migrate import load_callable

    function = load_callable(tf1, "TF1 function") if isinstance(tf1, str) else tf1
    if not callable(function):
        raise UserError(f"TF1 function: expected a function build(inputs, training) or "
                        f"'module:function', got {tf1!r}")
    return from_model_fn(function, labels=labels) if model_fn else function


def _call_tf1(build, inputs, training: bool, what: str):
    from tfmodels.tf1_style import VariablesNotMadeOnce

    try:
        if _takes(build, "training"):
            result = build(inputs, training=training)
        else:
            result = build(inputs)
    except (UserError, VariablesNotMadeOnce):
        raise
    except Exception as e:  # the user's code: their mistake, said in one line
        raise UserError(f"{what} (training={training}) raised {type(e).__name__}: "
                        f"{' '.join(str(e).split())[:200]}") from None
    return _outputs(result, what)


def _keras_model(keras_model, build, input_shape):
    import keras

    from tfmodels.migrate import load_keras_model
    from tfmodels.tf1_style import TF1StyleLayer, VariablesNotMadeOnce

    if keras_model is None:
        def function(inputs, training=False):  # a Python bool, as TF1StyleLayer hands it
            return _call_tf1(build, inputs, training, "TF1 function")

        keras.backend.clear_session()
        try:
            return keras.Sequential([keras.Input(input_shape), TF1StyleLayer(function)],
                                    name="tf1_style")
        except VariablesNotMadeOnce as e:
            raise _not_once(e) from None
    if isinstance(keras_model, str):
        return load_keras_model(keras_model)
    if isinstance(keras_model, keras.Model):
        model = keras_model
    elif callable(keras_model):
        keras.backend.clear_session()  # layers numbered dense, dense_1, ... as TF1 numbers them
        try:
            model = keras_model()
        except Exception as e:
            raise UserError(f"Keras model factory {getattr(keras_model, '__name__', '')!r} "
                            f"raised {type(e).__name__}: {' '.join(str(e).split())[:200]}") \
                from None
    else:
        raise UserError(f"Keras model: expected a keras.Model, a function returning one, "
                        f"'module:factory' or a .keras file, got {keras_model!r}")
    if not isinstance(model, keras.Model) or not model.built or not model.weights:
        raise UserError(f"Keras model {getattr(model, 'name', model)!r}: expected a built Keras "
                        f"model with weights (keras.Input first)")
    return model


def _shape(input_shape) -> tuple:
    if isinstance(input_shape, str):
        parts = input_shape.split(",")
        if not all(p.strip().isdigit() and int(p) > 0 for p in parts):
            raise UserError(f"input shape {input_shape!r}: expected positive integers such as "
                            f"28,28,1 (one sample's shape, without the batch)")
        input_shape = tuple(int(p) for p in parts)
    if (not isinstance(input_shape, (tuple, list)) or not input_shape
            or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                       for d in input_shape)):
        raise UserError(f"input shape {input_shape!r}: expected positive integers, one sample's "
                        f"shape without the batch, e.g. (28, 28, 1)")
    return tuple(int(d) for d in input_shape)


def _optimizer_spec(optimizer, learning_rate):
    from tfmodels.core.spec import OptimizerSpec

    if isinstance(optimizer, OptimizerSpec):
        if learning_rate is None:
            return optimizer
        return OptimizerSpec(optimizer.name, {**optimizer.params, "learning_rate": learning_rate})
    params = {} if learning_rate is None else {"learning_rate": learning_rate}
    return OptimizerSpec(optimizer, params)


def _loss_function(loss):
    import tensorflow as tf

    if callable(loss):
        return loss, "float"
    if loss == "mse":
        return (lambda t, y: tf.reduce_mean(tf.square(tf.cast(y, tf.float32) - t))), "float"
    if loss == "sparse_categorical_crossentropy":
        return (lambda t, y: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=t, logits=tf.cast(y, tf.float32)))), "labels"
    raise UserError(f"loss {loss!r}: expected one of {', '.join(LOSSES)} or a function "
                    f"loss(targets, outputs)")


# -- comparing -----------------------------------------------------------------------------------


def _difference(tf1, keras, rtol, atol):
    """None if equal within the tolerance, else one line: how much, where, the two values."""
    a, b = np.asarray(tf1, np.float64), np.asarray(keras, np.float64)
    if a.shape != b.shape:
        return f"shape TF1 {a.shape}, Keras {b.shape}"
    if not a.size:
        return None
    bad = ~(np.abs(b - a) <= atol + rtol * np.abs(a))
    bad |= np.isnan(a) != np.isnan(b)
    if not bad.any():
        return None
    delta = np.where(bad, np.abs(b - a), -1.0)
    delta = np.where(np.isnan(delta), np.inf, delta)
    at = np.unravel_index(int(np.argmax(delta)), a.shape)
    where = f" at {list(map(int, at))}" if a.ndim else ""
    return (f"max |difference| {np.max(delta):.3g}{where} (TF1 {a[at]:.9g}, Keras "
            f"{b[at]:.9g}); {int(bad.sum())} of {a.size} values outside rtol {rtol:g}, "
            f"atol {atol:g}")


def _max_difference(pairs) -> float:
    worst = 0.0
    for a, b in pairs:
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if a.size:
            worst = max(worst, float(np.max(np.abs(a - b))))
    return worst


# -- the two sides -------------------------------------------------------------------------------


class _TF1Side:
    """The training graph (outputs with training=True, loss, optimizer, UPDATE_OPS) and the
    inference graph (training=False), each in a Session of its own."""

    def __init__(self, build, input_shape, spec, loss_fn, target_kind, seed):
        import tensorflow as tf

        from tf1_compat.layers import keras_masks
        from tf1_compat.optimizers import after_init, make_optimizer

        v1 = tf.compat.v1
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.x = v1.placeholder(tf.float32, (None, *input_shape), name="inputs")
            self.step = v1.placeholder_with_default(tf.constant(0, tf.int64), (),
                                                    name="dropout_step")
            with keras_masks(DROPOUT_SEED, self.step):
                self.outputs = _call_tf1(build, self.x, True, "TF1 function")
            self.model_variables = {v.op.name: v for v in v1.global_variables()}
            self.updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            target_dtype = tf.int32 if target_kind == "labels" else tf.float32
            target_shape = self.outputs.shape[:-1] if target_kind == "labels" else \
                self.outputs.shape
            self.targets = v1.placeholder(target_dtype, target_shape, name="targets")
            try:
                self.loss = loss_fn(self.targets, self.outputs) + tf.cast(
                    v1.losses.get_regularization_loss(), tf.float32)
            except Exception as e:
                raise UserError(f"the loss on the TF1 outputs raised {type(e).__name__}: "
                                f"{' '.join(str(e).split())[:200]}") from None
            trainable = v1.trainable_variables()
            if not trainable:
                raise UserError("the TF1 function made no trainable variables: nothing to train")
            self.optimizer = make_optimizer(spec)
            with tf.control_dependencies(self.updates):
                self.train_op = self.optimizer.minimize(self.loss, var_list=trainable)
            start = [v1.global_variables_initializer(), after_init(self.optimizer, trainable)]
        self.session = v1.Session(graph=self.graph)
        for op in start:
            self.session.run(op)

        self.infer_graph = tf.Graph()
        with self.infer_graph.as_default():
            v1.set_random_seed(seed)
            self.infer_x = v1.placeholder(tf.float32, (None, *input_shape), name="inputs")
            self.infer_outputs = _call_tf1(build, self.infer_x, False, "TF1 function")
            self.infer_variables = {v.op.name: v for v in v1.global_variables()}
            self.loads = {n: v1.placeholder(v.dtype.base_dtype, v.shape)
                          for n, v in self.infer_variables.items()}
            self.assigns = [v.assign(self.loads[n]) for n, v in self.infer_variables.items()]
            init = v1.global_variables_initializer()
        self.infer_session = v1.Session(graph=self.infer_graph)
        self.infer_session.run(init)

    def restore(self, checkpoint: str, reader, shapes: dict, names) -> None:
        """The model variables `names` from a TF1 checkpoint's `reader` (`read_checkpoint`)."""
        missing = [n for n in names if n not in shapes]
        if missing:
            raise UserError(f"checkpoint {checkpoint!r} has no {', '.join(missing[:4])} (it "
                            f"has {', '.join(sorted(shapes)[:4])}, ...): is it this program's?")
        for n in names:
            variable = self.model_variables[n]
            if tuple(shapes[n]) != tuple(variable.shape):
                raise UserError(f"checkpoint {checkpoint!r}: {n} has shape {tuple(shapes[n])}, "
                                f"the program's variable {tuple(variable.shape)}")
        import tensorflow as tf

        with self.graph.as_default():
            loads = {n: tf.compat.v1.placeholder(self.model_variables[n].dtype.base_dtype)
                     for n in names}
            assigns = [self.model_variables[n].assign(p) for n, p in loads.items()]
        self.session.run(assigns, {loads[n]: reader.get_tensor(n) for n in names})

    def values(self, names) -> dict:
        return self.session.run({n: self.model_variables[n] for n in names})

    def infer(self, x):
        """Inference outputs, the inference graph holding the training graph's variables."""
        values = self.values(self.infer_variables)
        self.infer_session.run(self.assigns, {self.loads[n]: values[n] for n in values})
        return self.infer_session.run(self.infer_outputs, {self.infer_x: x})

    def close(self):
        self.session.close()
        self.infer_session.close()


def _align_dropout(model, step: int) -> None:
    """Every Keras layer drawing dropout masks from a seed generator draws from [seed, step]."""
    for layer in model._flatten_layers(include_self=False):
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([DROPOUT_SEED, step], np.int64))


def _keras_call(model, x, training: bool, step: int):
    from tf1_compat.layers import keras_masks

    _align_dropout(model, step)
    with keras_masks(DROPOUT_SEED, step):  # TF1 code inside a TF1StyleLayer draws alike
        outputs = model(x, training=training)
    if isinstance(outputs, dict) and len(outputs) == 1:
        outputs = next(iter(outputs.values()))
    elif isinstance(outputs, (list, tuple)) and len(outputs) == 1:
        outputs = outputs[0]
    if isinstance(outputs, (dict, list, tuple)):
        raise UserError(f"the Keras model {model.name!r} returns {len(outputs)} outputs; the kit "
                        f"compares one tensor with the TF1 function's outputs")
    return outputs


# -- the checks ----------------------------------------------------------------------------------


def _not_once(error) -> UserError:
    return UserError(f"variables made once (the migration guide's step 1) fails: "
                     f"{' '.join(str(error).split())}")


def _made_once(model, x) -> Check:
    """The guide's step 1; its failure is not a difference of numbers but a program the kit
    cannot compare: a UserError."""
    from tfmodels.tf1_style import VariablesNotMadeOnce

    before = {id(v): v.path for v in model.variables}
    saved = [np.array(v.numpy()) for v in model.variables]
    try:
        for training in (False, False, True):
            model(x, training=training)
    except VariablesNotMadeOnce as e:
        raise _not_once(e) from None
    except Exception as e:  # the user's model on inputs of the shape the user gave
        first = (str(e).strip().splitlines() or [""])[0]
        raise UserError(f"the Keras model {model.name!r} called on inputs of shape {x.shape} "
                        f"raised {type(e).__name__}: {' '.join(first.split())[:200]} (is the "
                        f"input shape right?)") from None
    new = [v.path for v in model.variables if id(v) not in before]
    for v, value in zip(list(model.variables)[:len(saved)], saved):
        v.assign(value)  # the calls above moved batch norm's averages and the seeds
    if new:
        raise _not_once(f"calling the Keras model again made new variables "
                        f"{', '.join(new[:6])}: a model must make its variables once, on its "
                        f"first call")
    return Check("variables made once", True, f"{len(before)} Keras variables, none new on "
                                              f"later calls (inference and training)")


def _names(model, tf1: _TF1Side, mapping):
    """(check, Match): every Keras weight paired with one TF1 variable and the reverse."""
    from tfmodels.migrate import Ambiguous, _norm, keras_slots, match, tf1_sources

    name = "names and shapes"
    infer_only = sorted(set(tf1.infer_variables) - set(tf1.model_variables))
    if infer_only:
        raise UserError(f"{name}: the TF1 function makes variables with training=False that it "
                        f"does not make with training=True: {', '.join(infer_only[:6])}")
    shapes = {n: tuple(v.shape) for n, v in tf1.model_variables.items()}
    dtypes = {n: v.dtype.base_dtype.name for n, v in tf1.model_variables.items()}
    slots = keras_slots(model)
    sources, skipped = tf1_sources(shapes, dtypes, {_norm(s.key) for s in slots})
    try:
        result = match(slots, sources, skipped, mapping, shapes, dtypes)
    except Ambiguous as e:
        raise Unmatched(f"{name}: {e}", e.result.table()) from None
    problems = [f"Keras {s.label} has no TF1 variable ({why})" for s, why in result.missing]
    problems += [f"TF1 {' + '.join(s.names)} has no Keras weight ({why})"
                 for s, why in result.unused]
    if problems:
        raise Unmatched(f"{name}: {'; '.join(problems)} (see the table; a map file, --map, "
                        f"pairs names that differ)", result.table())
    n_keras = sum(len(s.variables) for s, _, _ in result.pairs)
    n_tf1 = sum(len(s.names) for _, s, _ in result.pairs)
    hows = {}
    for _, _, how in result.pairs:
        hows[how] = hows.get(how, 0) + 1
    return Check(name, True, f"{n_keras} Keras weights <- {n_tf1} TF1 variables, all matched ("
                             + ", ".join(f"{how}: {n}" for how, n in hows.items()) + ")"), result


def _keras_values(result, tf1: _TF1Side, forget_bias):
    """[(slot, [TF1's values in the Keras weights' layout])] for every pair."""
    from tfmodels.migrate import cell_to_keras

    names = [n for _, source, _ in result.pairs for n in source.names]
    values = tf1.values(names)
    out = []
    for slot, source, _ in result.pairs:
        arrays = [values[n] for n in source.names]
        if slot.cell is not None:
            arrays = cell_to_keras(slot.cell, arrays, forget_bias)
        out.append((slot, source, arrays))
    return out


def _compare_variables(result, tf1, forget_bias, rtol, atol):
    """(None or one line naming the first variable that differs, the largest difference)."""
    pairs = []
    for slot, source, arrays in _keras_values(result, tf1, forget_bias):
        for variable, array in zip(slot.variables, arrays):
            keras_value = variable.numpy()
            pairs.append((array, keras_value))
            why = _difference(array, keras_value, rtol, atol)
            if why:
                hint = ""
                if variable.path.endswith("moving_variance"):
                    hint = ("; TF1's fused batch norm (4-D inputs) moves the moving variance "
                            "towards the batch variance times n/(n-1), Keras 3's "
                            "BatchNormalization without that factor: port it as "
                            "tfmodels.tf1_keras.FusedBatchNormalization")
                return (f"variable {variable.path} (TF1 {' + '.join(source.names)}): "
                        f"{why}{hint}"), None
    return None, _max_difference(pairs)


def verify(tf1, keras_model=None, input_shape=None, *, steps: int = 3, batch_size: int = 8,
           optimizer="sgd", learning_rate: float | None = 0.01, loss="mse", mapping=None,
           forget_bias: float = 1.0, rtol: float = RTOL, atol: float = ATOL, seed: int = 0,
           model_fn: bool = False, labels: str = "int64", checkpoint: str | None = None,
           log_dir: str | None = None, out=None) -> Report:
    """Run the checks of the module's docstring; return the `Report` (a difference of numbers
    is a failed check, `report.ok` False). A program that cannot be compared raises
    `UserError`: variables made on every call (check 1), variables that cannot be paired
    (check 2, `Unmatched`, with the table). `checkpoint`, a TF1 `Saver` checkpoint of the TF1
    program, gives the starting values instead of the initializers' (the optimizer starts
    afresh). With `model_fn`, `tf1` is an Estimator model_fn and `labels` the dtype (and
    shape) of the labels placeholder it gets in training (`from_model_fn`). `out`, if given, is
    called with each check as it finishes."""
    import keras
    import tensorflow as tf

    input_shape = _shape(input_shape)
    for label, value, low in (("steps", steps, 0), ("batch_size", batch_size, 1),
                              ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise UserError(f"{label} must be an integer >= {low}, got {value!r}")
    for label, value in (("rtol", rtol), ("atol", atol), ("forget_bias", forget_bias)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not np.isfinite(value) or (label != "forget_bias" and value < 0):
            raise UserError(f"{label} must be a finite number{' >= 0' * (label != 'forget_bias')}"
                            f", got {value!r}")
    spec = _optimizer_spec(optimizer, learning_rate)
    loss_fn, target_kind = _loss_function(loss)
    build = _tf1_function(tf1, model_fn, labels)
    model = _keras_model(keras_model, build, input_shape)
    try:
        expected = tuple(model.input_shape)
    except (AttributeError, ValueError, TypeError):  # a subclassed model: its call will say
        expected = None
    if expected is not None and all(d is None or isinstance(d, int) for d in expected) and (
            len(expected) != len(input_shape) + 1
            or any(e not in (None, g) for e, g in zip(expected[1:], input_shape))):
        raise UserError(f"input shape {input_shape}: the Keras model {model.name!r} takes "
                        f"inputs of shape {expected[1:]} (one sample's, without the batch)")
    if log_dir is not None:
        from tfmodels.core.logs import check_logdir

        check_logdir(log_dir)
    if checkpoint is not None:  # said before anything runs
        from tfmodels.migrate import read_checkpoint

        start = read_checkpoint(checkpoint)[:2]  # (reader, shapes), read once, up front
    if isinstance(mapping, str):
        from tfmodels.migrate import _read_map

        mapping = _read_map(mapping)

    report = Report()

    def done(check: Check) -> bool:
        report.checks.append(check)
        if out is not None:
            out(check)
        return check.ok

    rng = np.random.default_rng(seed)

    def batch():
        return rng.standard_normal((batch_size, *input_shape)).astype(np.float32)

    x0 = batch()
    if not done(_made_once(model, x0)):
        return report

    tf1_side = _TF1Side(build, input_shape, spec, loss_fn, target_kind, seed)
    try:
        check, result = _names(model, tf1_side, mapping)
        report.table = result.table()
        done(check)
        if checkpoint is not None:
            tf1_side.restore(checkpoint, *start,
                             [n for _, src, _ in result.pairs for n in src.names])
        for slot, _, arrays in _keras_values(result, tf1_side, forget_bias):
            for variable, array in zip(slot.variables, arrays):
                variable.assign(np.asarray(array, variable.dtype))

        # 3. inference, nothing random
        a, b = tf1_side.infer(x0), _keras_call(model, x0, False, 0)
        why, worst = _difference(a, b, rtol, atol), _max_difference([(a, b)])
        if not done(Check("outputs, no randomness", why is None,
                          f"outputs differ: {why} (the weights were paired as the table shows: "
                          f"a port whose layers were made in another order may need a map file)"
                          if why else
                          f"equal on {batch_size} inputs, max |difference| {worst:.3g}",
                          worst)):
            return report

        # 4. training mode, the same dropout masks; the updates (moving averages) run in both
        a, _ = tf1_side.session.run([tf1_side.outputs, tf1_side.updates],
                                    {tf1_side.x: x0, tf1_side.step: 0})
        b = _keras_call(model, x0, True, 0)
        why, worst = _difference(a, b, rtol, atol), _max_difference([(a, b)])
        if why:
            done(Check("outputs, aligned randomness", False,
                       f"training-mode outputs differ: {why}", worst))
            return report
        why, worst_variables = _compare_variables(result, tf1_side, forget_bias, rtol, atol)
        if not done(Check("outputs, aligned randomness", why is None,
                          f"after one training-mode call: {why}" if why else
                          f"equal in training mode (dropout masks aligned), max |difference| "
                          f"{worst:.3g}; variables after the call equal",
                          None if why else max(worst, worst_variables))):
            return report

        # 5. training steps
        keras_optimizer = _keras_optimizer(spec, model)
        trainable = model.trainable_variables
        losses = {"tf1": [], "keras": []}
        worst_weights = 0.0
        for step in range(1, steps + 1):
            x = batch()
            if target_kind == "labels":
                classes = int(b.shape[-1])
                t = rng.integers(0, classes, (batch_size, *b.shape[1:-1])).astype(np.int32)
            else:
                t = rng.standard_normal((batch_size, *b.shape[1:])).astype(np.float32)
            _, loss_tf1 = tf1_side.session.run(
                [tf1_side.train_op, tf1_side.loss],
                {tf1_side.x: x, tf1_side.targets: t, tf1_side.step: step})
            with tf.GradientTape() as tape:
                outputs = _keras_call(model, x, True, step)
                loss_keras = loss_fn(tf.constant(t), outputs)
                if model.losses:
                    loss_keras = loss_keras + tf.add_n([tf.cast(v, tf.float32)
                                                        for v in model.losses])
            grads = tape.gradient(loss_keras, trainable)
            keras_optimizer.apply(grads, trainable)
            losses["tf1"].append(float(loss_tf1))
            losses["keras"].append(float(loss_keras))
            name = f"{steps} training steps ({spec.name}, learning rate {spec.learning_rate:g})"
            why = _difference(loss_tf1, float(loss_keras), rtol, atol)
            if why:
                done(Check(name, False, f"step {step}: the loss differs: {why} (the loss "
                                        f"includes the TF1 side's get_regularization_loss() and "
                                        f"the Keras model's losses: are the regularizers alike?)"))
                break
            why, worst = _compare_variables(result, tf1_side, forget_bias, rtol, atol)
            if why:
                done(Check(name, False, f"step {step}: {why}"))
                break
            worst_weights = max(worst_weights, worst)
        else:
            if steps:
                done(Check(name, True, f"losses and variables equal after every step (max "
                                       f"|difference| in the variables {worst_weights:.3g}; "
                                       f"losses {losses['tf1'][0]:.6g} -> "
                                       f"{losses['tf1'][-1]:.6g})", worst_weights))
            a, b = tf1_side.infer(x0), _keras_call(model, x0, False, 0)
            why, worst = _difference(a, b, rtol, atol), _max_difference([(a, b)])
            done(Check("outputs after training", why is None,
                       f"inference outputs differ: {why}" if why else
                       f"equal, max |difference| {worst:.3g}", worst))
        report.losses = losses
        if log_dir is not None and losses["tf1"]:
            report.log_dir = _write_logs(log_dir, losses)
    finally:
        tf1_side.close()
    del keras
    return report


def _keras_optimizer(spec, model):
    from tfmodels.keras_track.optimizers import make_optimizer

    optimizer = make_optimizer(spec)
    optimizer.build(model.trainable_variables)
    return optimizer


def _write_logs(log_dir: str, losses: dict) -> str:
    """TensorBoard logs of both sides' losses, `verify/loss` by step, in a new run folder."""
    import tensorflow as tf

    from tfmodels.core.logs import new_run_dir

    run_dir = new_run_dir(log_dir, "verify")
    for side, values in losses.items():
        writer = tf.summary.create_file_writer(os.path.join(run_dir, side))
        with writer.as_default():
            for step, value in enumerate(values, start=1):
                tf.summary.scalar("verify/loss", value, step=step)
        writer.close()
    return run_dir
