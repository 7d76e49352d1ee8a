"""A parity kit for your own migration tests: a TF1 model function against a Keras 3 model.

    from tfmodels.migration import assert_equivalent, verify

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
   order and shapes; `tfmodels.migration.matching`), the table of what matched printed;
3. **outputs, no randomness**: with the TF1 variables' initial values copied into the Keras
   weights (random initial values aligned by copying them across), both in inference mode
   give the same outputs on the same inputs;
4. **outputs, aligned randomness**: in training mode, with the same dropout masks on both sides
   (`tf1_compat.layers.keras_masks`: every TF1 dropout, `tf.nn.dropout` included, draws the
   mask Keras's `Dropout` draws; the Keras layers' seed states set to match), the same outputs,
   and the same variables after the call (batch norm's moving averages move in both);
5. **training steps**: `steps` steps on new random batches, TF1's optimizer against Keras's
   (`tf1_compat.optimizers` / `tfmodels.keras_track.optimizers`, the project's mapping of
   `tf.compat.v1.train.*` to `keras.optimizers.*`, docs/optimizers.md): the same loss, the
   same gradients (`reference_gradients`: each within the tolerance plus `GRADIENT_SCALE` times
   its variable's largest gradient) and the same variables after every step, the Keras
   optimizer given TF1's gradients (Adam divides an update by the gradient's running size plus
   a small epsilon: float32 noise in a near-zero gradient, such as batch norm's backward pass
   leaves, would move a weight by up to learning rate / epsilon times it);
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
Inputs are float32 random normal of `(batch_size, *input_shape)`; without `input_shape`, each
input of the Keras model as it declares it (several, by name or in order; integer ids within
the Embedding's `input_dim` or `int_range`; `tfmodels.migration.model_io`), the TF1 function
getting placeholders in the same structure. Outputs may be a tensor or a dict (TF1), a dict or
a list (Keras): compared, and trained on the loss summed over the floating ones, output by
output by name; a failure names the output. A mask input is drawn by one rule (`inputs`:
`NAME:SHAPE:ones`, no padding, for a Keras input the TF1 program has no counterpart of;
`NAME:SHAPE:lengths`, a length mask: the outputs of shape (batch, T, ...) compared and trained
only where it is 1; `model_io`), said in the report with the inputs the TF1 function does not
read. The loss is "mse" against
random targets of the outputs' shape (default), "sparse_categorical_crossentropy" from logits
against random labels, or a function `loss(targets, outputs)` of TensorFlow ops; the TF1 side's
`get_regularization_loss()` and the Keras model's `losses` are added to it. The Keras model is
trained in place: give a factory to keep yours as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

import numpy as np

from tfmodels.core.checks import check_count, check_float32
from tfmodels.core.errors import UserError, folded
from tfmodels.migration.user_code import takes_argument

RTOL, ATOL = 1e-6, 1e-5  # the migration guide's np.testing.assert_allclose(rtol, atol)
# A gradient is compared within atol + rtol * |g| + GRADIENT_SCALE * max |g| of its weight:
# batch norm's backward pass, written by Keras 3 with its own ops and by TensorFlow's fused
# kernel (TF1's layers, tf_keras's), cancels large terms, so float32 leaves a gradient apart by
# up to 1.1e-5 of its weight's largest gradient (measured: ten files of the convnet of
# tests/keras2_program.py, Keras 2 against its Keras 3 port).
GRADIENT_SCALE = 1e-4
DROPOUT_SEED = 1337
LOSSES = ("mse", "sparse_categorical_crossentropy")
MODES = {True: "train", False: "infer"}  # tf.estimator.ModeKeys.TRAIN and PREDICT

__all__ = ["GRADIENT_SCALE", "Check", "NotEquivalent", "Options", "Report", "Unmatched",
           "assert_equivalent", "draw_targets", "from_model_fn", "leaf_differences",
           "loss_function", "optimizer_spec", "reference_gradients", "verify"]


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
    """The outputs of a TF1 function: a tensor, or a dict of them (each compared by name), or
    the first item of a tuple."""
    import tensorflow as tf

    if isinstance(result, (tuple, list)) and result:
        result = result[0]
    if isinstance(result, dict) and result:
        if not all(isinstance(k, str) and tf.is_tensor(v) for k, v in result.items()):
            raise UserError(f"{what} returned a dict that is not of tensors by name: "
                            f"{sorted(map(str, result))}")
        if not any(v.dtype.is_floating for v in result.values()):
            raise UserError(f"{what} returned outputs {', '.join(sorted(result))}, none of "
                            f"them floating-point: the kit cannot train through them")
        return result
    if not tf.is_tensor(result):
        raise UserError(f"{what} returned {type(result).__name__}, expected the outputs (a "
                        f"tensor, a dict of them, or a tuple whose first item is one)")
    if not result.dtype.is_floating:  # class ids, say: no gradient reaches the variables
        raise UserError(f"{what} returned outputs of dtype {result.dtype.name}, which the kit "
                        f"cannot train through (no gradient reaches a variable): return the "
                        f"floating-point outputs (the logits; a model_fn's "
                        f"predictions['logits'])")
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
        kwargs = {"params": params} if takes_argument(model_fn, "params") else {}
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
    from tfmodels.migration.user_code import load_callable

    function = load_callable(tf1, "TF1 function") if isinstance(tf1, str) else tf1
    if not callable(function):
        raise UserError(f"TF1 function: expected a function build(inputs, training) or "
                        f"'module:function', got {tf1!r}")
    return from_model_fn(function, labels=labels) if model_fn else function


def _call_tf1(build, inputs, training: bool, what: str):
    from tfmodels.migration.tf1_style import VariablesNotMadeOnce

    try:
        if takes_argument(build, "training"):
            result = build(inputs, training=training)
        else:
            result = build(inputs)
    except (UserError, VariablesNotMadeOnce):
        raise
    except Exception as e:  # the user's code: their mistake, said in one line
        raise UserError(f"{what} (training={training}) raised {type(e).__name__}: "
                        f"{folded(e, 200)}") from None
    return _outputs(result, what)


def _keras_model(keras_model, build, input_shape):
    import keras

    from tfmodels.migration.checkpoints import load_keras_model
    from tfmodels.migration.tf1_style import TF1StyleLayer, VariablesNotMadeOnce

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
                            f"raised {type(e).__name__}: {folded(e, 200)}") \
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


def optimizer_spec(optimizer, learning_rate):
    """The `OptimizerSpec` of `optimizer` (a Keras name or a spec) at `learning_rate` (None:
    the spec's own), the vocabulary of `verify`'s options."""
    from tfmodels.core.spec import OptimizerSpec

    if isinstance(optimizer, OptimizerSpec):
        if learning_rate is None:
            return optimizer
        return OptimizerSpec(optimizer.name, {**optimizer.params, "learning_rate": learning_rate})
    params = {} if learning_rate is None else {"learning_rate": learning_rate}
    return OptimizerSpec(optimizer, params)


def loss_function(loss):
    """(loss(targets, outputs) of `{leaf: tensor}` dicts, the targets' kind). Several
    outputs: the named loss summed over them in name order; a function of the user's gets
    the dicts (one output: the tensors)."""
    import tensorflow as tf

    if callable(loss):
        one, kind = loss, "float"
    elif loss == "mse":
        one, kind = (lambda t, y: tf.reduce_mean(tf.square(tf.cast(y, tf.float32) - t))), "float"
    elif loss == "sparse_categorical_crossentropy":
        one, kind = (lambda t, y: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=t, logits=tf.cast(y, tf.float32)))), "labels"
    else:
        raise UserError(f"loss {loss!r}: expected one of {', '.join(LOSSES)} or a function "
                        f"loss(targets, outputs)")

    def total(targets: dict, outputs: dict):
        if len(targets) == 1:
            (k, t), = targets.items()
            return one(t, outputs[k])
        if callable(loss):
            return loss(targets, {k: outputs[k] for k in targets})
        return tf.add_n([one(targets[k], outputs[k]) for k in sorted(targets)])

    return total, kind


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


def _leaf_difference(tf1: dict, keras: dict, rtol, atol, named_one=False):
    """None or one line naming the first output leaf that differs (by name where several, or,
    with `named_one`, where the one output was named: a TF1 function's dict of one)."""
    for name in tf1:
        why = _difference(tf1[name], keras[name], rtol, atol)
        if why:
            named = len(tf1) > 1 or (named_one and name != "output")
            return f"output {name!r}: {why}" if named else why
    return None


def leaf_differences(reference: dict, keras: dict, rtol=RTOL, atol=ATOL) -> tuple:
    """(None or one line naming the first output that differs, the largest |difference|) of two
    `{output name: values}` with the same names; the reference side is called TF1's."""
    return (_leaf_difference(reference, keras, rtol, atol),
            _max_difference([(reference[k], keras[k]) for k in reference]))


def reference_gradients(own: list, reference: dict, rtol=RTOL, atol=ATOL) -> tuple:
    """([(gradient, variable)] for the Keras optimizer, None, the largest difference) where each
    of the Keras model's `own` [(gradient, variable)] equals the reference side's
    (`reference`: {id(variable): its gradient in the variable's layout}) within atol + rtol *
    |g| + `GRADIENT_SCALE` * max |g|; else (None, (the variable, one line), None). The optimizer
    is given the reference's gradient, so that Adam's division by a gradient's running size
    does not magnify float32 noise; a sparse gradient (an Embedding's) stays the Keras
    model's own: its rows are how Keras 3 updates, which the weights after the step show."""
    import tensorflow as tf

    applied, worst = [], 0.0
    for gradient, variable in own:
        if id(variable) not in reference:
            applied.append((gradient, variable))
            continue
        array = np.asarray(reference[id(variable)])
        scale = float(np.abs(array).max()) if array.size else 0.0
        why, difference = leaf_differences({"g": array},
                                           {"g": np.asarray(tf.convert_to_tensor(gradient))},
                                           rtol, atol + GRADIENT_SCALE * scale)
        if why:
            return None, (variable, why), None
        worst = max(worst, difference)
        sparse = isinstance(gradient, tf.IndexedSlices)
        applied.append((gradient if sparse else tf.constant(array, variable.dtype), variable))
    return applied, None, worst


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

    def __init__(self, build, inputs, spec, loss_fn, target_kind, seed):
        import tensorflow as tf

        from tf1_compat.layers import keras_masks
        from tf1_compat.optimizers import after_init, make_optimizer
        from tfmodels.migration.model_io import leaves

        v1 = tf.compat.v1
        self.inputs = inputs
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.x = inputs.placeholders(v1)
            self.step = v1.placeholder_with_default(tf.constant(0, tf.int64), (),
                                                    name="dropout_step")
            with keras_masks(DROPOUT_SEED, self.step):
                outputs = leaves(_call_tf1(build, self.x, True, "TF1 function"))
            self.unread = [i.name for i, p in zip(inputs.items, inputs.flat(self.x))
                           if not p.consumers()]  # inputs the TF1 function has no use for
            self.outputs = inputs.at_lengths(outputs, self.x)
            self.model_variables = {v.op.name: v for v in v1.global_variables()}
            self.updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            target_dtype = tf.int32 if target_kind == "labels" else tf.float32
            self.targets = {  # the floating outputs are trained, each against its targets
                k: v1.placeholder(target_dtype, y.shape[:-1] if target_kind == "labels"
                                  else y.shape, name=f"targets_{i}")
                for i, (k, y) in enumerate(sorted(self.outputs.items())) if y.dtype.is_floating}
            try:
                self.loss = loss_fn(self.targets, self.outputs) + tf.cast(
                    v1.losses.get_regularization_loss(), tf.float32)
            except Exception as e:
                raise UserError(f"the loss on the TF1 outputs raised {type(e).__name__}: "
                                f"{folded(e, 200)}") from None
            trainable = v1.trainable_variables()
            if not trainable:
                raise UserError("the TF1 function made no trainable variables: nothing to train")
            self.optimizer = make_optimizer(spec)
            with tf.control_dependencies(self.updates):
                try:
                    pairs = self.optimizer.compute_gradients(self.loss, var_list=trainable)
                    self.train_op = self.optimizer.apply_gradients(pairs)
                except ValueError as e:  # "No gradients provided for any variable"
                    raise UserError(f"the loss on the TF1 outputs has no gradient with respect "
                                    f"to the TF1 variables ({folded(e, 120)}): do the outputs "
                                    f"depend on them through differentiable ops?") from None
            self.gradients = {v.op.name: tf.convert_to_tensor(g) for g, v in pairs
                              if g is not None}  # a sparse gradient made dense
            start = [v1.global_variables_initializer(), after_init(self.optimizer, trainable)]
        self.session = v1.Session(graph=self.graph)
        for op in start:
            self.session.run(op)

        self.infer_graph = tf.Graph()
        with self.infer_graph.as_default():
            v1.set_random_seed(seed)
            self.infer_x = inputs.placeholders(v1)
            self.infer_outputs = inputs.at_lengths(
                leaves(_call_tf1(build, self.infer_x, False, "TF1 function")), self.infer_x)
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

    def feed(self, x, step: int | None = None, targets: dict | None = None) -> dict:
        """The training graph's feed: inputs `x` (the models' structure), the dropout step, the
        targets by output name."""
        feed = self.inputs.feed(self.x, x)
        if step is not None:
            feed[self.step] = step
        for k, t in (targets or {}).items():
            feed[self.targets[k]] = t
        return feed

    def infer(self, x) -> dict:
        """Inference outputs by name, the inference graph holding the training graph's
        variables."""
        values = self.values(self.infer_variables)
        self.infer_session.run(self.assigns, {self.loads[n]: values[n] for n in values})
        return self.infer_session.run(self.infer_outputs, self.inputs.feed(self.infer_x, x))

    def close(self):
        self.session.close()
        self.infer_session.close()


def _align_dropout(model, step: int) -> None:
    """Every Keras layer drawing dropout masks from a seed generator draws from [seed, step]."""
    for layer in model._flatten_layers(include_self=False):
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([DROPOUT_SEED, step], np.int64))


def _keras_call(model, x, training: bool, step: int) -> dict:
    """The Keras model's outputs by name (`model_io.leaves`)."""
    from tf1_compat.layers import keras_masks
    from tfmodels.migration.model_io import leaves

    _align_dropout(model, step)
    with keras_masks(DROPOUT_SEED, step):  # TF1 code inside a TF1StyleLayer draws alike
        outputs = model(x, training=training)
    return leaves(outputs, getattr(model, "output_names", None))


# -- the checks ----------------------------------------------------------------------------------


def _not_once(error) -> UserError:
    return UserError(f"variables made once (the migration guide's step 1) fails: "
                     f"{' '.join(str(error).split())}")


def _made_once(model, x, shape: str) -> Check:
    """The guide's step 1; its failure is not a difference of numbers but a program the kit
    cannot compare: a UserError."""
    from tfmodels.migration.tf1_style import VariablesNotMadeOnce

    before = {id(v): v.path for v in model.variables}
    saved = [np.array(v.numpy()) for v in model.variables]
    try:
        for training in (False, False, True):
            model(x, training=training)
    except VariablesNotMadeOnce as e:
        raise _not_once(e) from None
    except Exception as e:  # the user's model on inputs of the shape the user gave
        raise UserError(f"the Keras model {model.name!r} called on inputs {shape} "
                        f"raised {type(e).__name__}: {folded(e, 200, first_line=True)} (is the "
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
    from tfmodels.migration.matching import (
        Ambiguous,
        keras_slots,
        match,
        normalized,
        tf1_sources,
    )

    name = "names and shapes"
    infer_only = sorted(set(tf1.infer_variables) - set(tf1.model_variables))
    if infer_only:
        raise UserError(f"{name}: the TF1 function makes variables with training=False that it "
                        f"does not make with training=True: {', '.join(infer_only[:6])}")
    shapes = {n: tuple(v.shape) for n, v in tf1.model_variables.items()}
    dtypes = {n: v.dtype.base_dtype.name for n, v in tf1.model_variables.items()}
    slots = keras_slots(model)
    sources, skipped = tf1_sources(shapes, dtypes, {normalized(s.key) for s in slots})
    try:
        result = match(slots, sources, skipped, mapping, shapes, dtypes)
    except Ambiguous as e:
        raise Unmatched(f"{name}: {e}", e.result.table()) from None
    problems = [f"Keras {s.label} has no TF1 variable ({why})" for s, why in result.missing]
    problems += [f"TF1 {' + '.join(s.names)} has no Keras weight ({why})"
                 for s, why in result.unused]
    if problems:
        raise Unmatched(f"{name}: {'; '.join(problems)} (see the table; a map file, mapping=FILE, "
                        f"pairs names that differ)", result.table())
    n_keras = sum(len(s.variables) for s, _, _ in result.pairs)
    n_tf1 = sum(len(s.names) for _, s, _ in result.pairs)
    hows = {}
    for _, _, how in result.pairs:
        hows[how] = hows.get(how, 0) + 1
    return Check(name, True, f"{n_keras} Keras weights <- {n_tf1} TF1 variables, all matched ("
                             + ", ".join(f"{how}: {n}" for how, n in hows.items()) + ")"), result


def _keras_values(result, tf1: _TF1Side, forget_bias):
    """[(slot, source, [TF1's values in the Keras weights' layout])] for every pair."""
    names = [n for _, source, _ in result.pairs for n in source.names]
    return _in_keras_layout(result, tf1.values(names), forget_bias)


def _in_keras_layout(result, values: dict, forget_bias, gradients: bool = False) -> list:
    """[(slot, source, [the arrays in the Keras weights' layout])] of the pairs whose TF1 names
    all have an array in `values` (`{TF1 name: array}`; of gradients, with `gradients`)."""
    from tfmodels.migration.matching import keras_values

    return [(slot, source, keras_values(slot, source, [values[n] for n in source.names],
                                        forget_bias, gradients=gradients))
            for slot, source, _ in result.pairs if all(n in values for n in source.names)]


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
                            "tfmodels.migration.FusedBatchNormalization")
                return (f"variable {variable.path} (TF1 {' + '.join(source.names)}): "
                        f"{why}{hint}"), None
    return None, _max_difference(pairs)


def _number(label: str, value, low=None, integer=False):
    """One option's value checked: an integer >= low (a count: at most 2**63 - 1, the library's
    one rule, `check_count`), or a finite number (>= low)."""
    if integer:
        return check_count(label, value, low)
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and bool(np.isfinite(value)) and (low is None or value >= low))
    if not ok:
        raise UserError(f"{label} must be a finite number{f' >= {low}' * (low is not None)}, "
                        f"got {value!r}")
    return value


def _flag(flag=None, **argparse):
    """A field's command-line form: its flag (default: --field-name) and argparse's keywords."""
    return {"flag": flag, **argparse}


@dataclass(frozen=True)
class Options:
    """`verify`'s options, declared once: their defaults, their checks (`__post_init__`), and the
    flags of `tfmodels verify`, which `tfmodels.cli` makes from each field's metadata."""

    steps: int = field(default=3, metadata=_flag(type=int, help="training steps (default: 3)"))
    batch_size: int = field(default=8, metadata=_flag(type=int, help="default: 8"))
    optimizer: object = field(default="sgd", metadata=_flag(
        choices=("sgd", "rmsprop", "adam", "adagrad"),
        help="the Keras name; TF1's counterpart is built from it (docs/optimizers.md; "
             "default: sgd)"))
    learning_rate: float | None = field(default=0.01, metadata=_flag(type=float,
                                                                      help="default: 0.01"))
    loss: object = field(default="mse", metadata=_flag(
        choices=LOSSES, help="on the outputs, against random targets (default: mse)"))
    mapping: object = field(default=None, metadata=_flag(
        "--map", metavar="FILE", help='a JSON file {"keras weight path": "tf1 variable name", '
                                      '...}'))
    checkpoint: str | None = field(default=None, metadata=_flag(
        metavar="PREFIX", help="a TF1 Saver checkpoint of the program: start both sides from "
                               "its values (default: the TF1 initializers')"))
    forget_bias: float = field(default=1.0, metadata=_flag(
        type=float, help="the TF1 LSTM cells' forget_bias (default: 1.0)"))
    rtol: float = field(default=RTOL, metadata=_flag(type=float,
                                                     help="default: 1e-6 (the guide's)"))
    atol: float = field(default=ATOL, metadata=_flag(type=float,
                                                     help="default: 1e-5 (the guide's)"))
    seed: int = field(default=0, metadata=_flag(type=int,
                                                help="of the random inputs (default: 0)"))
    labels: str = field(default="int64", metadata=_flag(
        metavar="DTYPE[:D,...]", help="--model-fn: the labels placeholder it gets in training "
                                      "(never fed; default: int64, class ids of shape (batch,); "
                                      "e.g. float32:1)"))
    log_dir: str | None = field(default=None, metadata=_flag(
        "--logdir", help="TensorBoard logs of both sides' losses go to a new run folder under "
                         "LOGDIR/verify/ (default: logs)"))
    int_range: int | None = field(default=None, metadata=_flag(
        type=int, metavar="N", help="integer inputs that no Embedding takes: ids drawn from "
                                    "[0, N) (default: an Embedding's input_dim)"))
    inputs: tuple | None = field(default=None, metadata=_flag(
        "--input", action="append", metavar="NAME:SHAPE[:DTYPE][:FILL]",
        help="an input of the Keras model described: its shape without the batch (a size the "
             "model leaves open, e.g. token_ids:12), dtype, and for a mask how it is drawn: "
             "ones (no padding) or lengths (a length mask; outputs compared where it is 1); "
             "repeat for several"))
    model_fn: bool = field(default=False, metadata={"flag": None, "cli": False})

    def __post_init__(self):
        _number("steps", self.steps, 0, integer=True)
        _number("batch_size", self.batch_size, 1, integer=True)
        _number("seed", self.seed, 0, integer=True)
        if self.int_range is not None:
            _number("int_range", self.int_range, 1, integer=True)
        for label in ("rtol", "atol"):
            _number(label, getattr(self, label), 0)
        _number("forget_bias", self.forget_bias)
        if self.inputs is not None:
            from tfmodels.migration.model_io import described

            if isinstance(self.inputs, str):
                raise UserError(f"inputs must be a list of NAME:SHAPE[:DTYPE][:FILL] texts, got "
                                f"{self.inputs!r}")
            described(self.inputs)
        if self.learning_rate is not None:  # 1e-50 is 0 in float32: nothing would train
            check_float32("learning_rate", _number("learning_rate", self.learning_rate, 0))


def _options(options: dict) -> Options:
    names = [f.name for f in fields(Options)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise UserError(f"verify() got an unknown option {unknown[0]!r}; expected one of "
                        f"{', '.join(names)}")
    return Options(**options)


@dataclass
class _Run:
    """What the checks share: the options, the two sides, the inputs, the pairing, the report."""

    options: Options
    model: object
    tf1: _TF1Side
    loss_fn: object
    target_kind: str
    optimizer: object
    inputs: object  # model_io.Inputs
    x0: object
    rng: object
    report: Report
    out: object
    result: object = None
    outputs: dict = None
    leaf_names: list = None  # [(TF1 output name, Keras output name)]

    def done(self, check: Check) -> bool:
        return _record(self.report, self.out, check)

    def batch(self):
        return self.inputs.draw(self.rng, self.options.batch_size)

    def keras(self, x, training: bool, step: int) -> dict:
        """The Keras model's outputs under the TF1 side's names (0 where a length mask is)."""
        outputs = self.inputs.at_lengths(_keras_call(self.model, x, training, step), x)
        if self.leaf_names is None:
            from tfmodels.migration.model_io import paired_leaves

            self.leaf_names = [(t, k) for _, t, k in
                               paired_leaves(self.tf1.outputs, outputs, self.model.name)]
        return {t: outputs[k] for t, k in self.leaf_names}

    def difference(self, a: dict, b: dict) -> tuple:
        return (_leaf_difference(a, b, self.options.rtol, self.options.atol, named_one=True),
                _max_difference([(a[k], b[k]) for k in a]))

    def variables(self) -> tuple:
        o = self.options
        return _compare_variables(self.result, self.tf1, o.forget_bias, o.rtol, o.atol)


def _check_input_shape(model, input_shape) -> None:
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) > 1:
        raise UserError(f"input shape {input_shape}: the Keras model {model.name!r} takes "
                        f"{len(inputs)} inputs ({', '.join(t.name for t in inputs)}); leave "
                        f"the input shape out, each input's is taken from the model")
    try:
        expected = tuple(model.input_shape)
    except (AttributeError, ValueError, TypeError):  # a subclassed model: its call will say
        return
    if all(d is None or isinstance(d, int) for d in expected) and (
            len(expected) != len(input_shape) + 1
            or any(e not in (None, g) for e, g in zip(expected[1:], input_shape))):
        raise UserError(f"input shape {input_shape}: the Keras model {model.name!r} takes "
                        f"inputs of shape {expected[1:]} (one sample's, without the batch)")


def _check_names(run: _Run, start, mapping) -> bool:
    """2. every weight paired; the Keras weights then hold the TF1 side's starting values."""
    check, run.result = _names(run.model, run.tf1, mapping)
    run.report.table = run.result.table()
    run.done(check)
    if start is not None:
        run.tf1.restore(run.options.checkpoint, *start,
                        [n for _, src, _ in run.result.pairs for n in src.names])
    for slot, _, arrays in _keras_values(run.result, run.tf1, run.options.forget_bias):
        for variable, array in zip(slot.variables, arrays):
            variable.assign(np.asarray(array, variable.dtype))
    return True


def _check_inference(run: _Run) -> bool:
    """3. inference, nothing random."""
    why, worst = run.difference(run.tf1.infer(run.x0), run.keras(run.x0, False, 0))
    compared = run.inputs.compared(run.x0, run.tf1.unread)
    compared = f" ({compared})" if compared else ""
    return run.done(Check(
        "outputs, no randomness", why is None,
        f"outputs differ: {why}{compared} (the weights were paired as the table shows: a port "
        f"whose layers were made in another order may need a map file)" if why else
        f"equal on {run.options.batch_size} inputs{compared}, max |difference| {worst:.3g}",
        worst))


def _check_training_mode(run: _Run) -> bool:
    """4. training mode, the same dropout masks; the updates (moving averages) run in both."""
    tf1 = run.tf1
    a, _ = tf1.session.run([tf1.outputs, tf1.updates], tf1.feed(run.x0, 0))
    run.outputs = b = run.keras(run.x0, True, 0)
    why, worst = run.difference(a, b)
    name = "outputs, aligned randomness"
    if why:
        return run.done(Check(name, False, f"training-mode outputs differ: {why}", worst))
    why, worst_variables = run.variables()
    return run.done(Check(name, why is None, f"after one training-mode call: {why}" if why else
                          f"equal in training mode (dropout masks aligned), max |difference| "
                          f"{worst:.3g}; variables after the call equal",
                          None if why else max(worst, worst_variables)))


def _targets(run: _Run) -> dict:
    """Random targets of each trained output, in name order: labels or normal values."""
    return draw_targets({k: run.outputs[k] for k in run.tf1.targets}, run.target_kind, run.rng,
                        run.options.batch_size)


def draw_targets(outputs: dict, kind: str, rng, batch_size: int) -> dict:
    """Random targets of each output in `outputs` (`{name: array}`, the shapes read), in name
    order: class ids below the last axis's size (`kind` "labels") or standard normal values."""
    targets = {}
    for k in sorted(outputs):
        b = outputs[k]
        if kind == "labels":
            targets[k] = rng.integers(0, int(b.shape[-1]),
                                      (batch_size, *b.shape[1:-1])).astype(np.int32)
        else:
            targets[k] = rng.standard_normal((batch_size, *b.shape[1:])).astype(np.float32)
    return targets


def _step(run: _Run, keras_optimizer, step: int) -> tuple:
    """One training step on both sides: (TF1's loss, Keras's loss, None or one line naming the
    first gradient that differs, the largest difference in the gradients); the Keras optimizer
    is given TF1's gradients (`reference_gradients`)."""
    import tensorflow as tf

    tf1, x = run.tf1, run.batch()
    t = _targets(run)
    _, loss_tf1, gradients = tf1.session.run([tf1.train_op, tf1.loss, tf1.gradients],
                                             tf1.feed(x, step, t))
    trainable = run.model.trainable_variables
    with tf.GradientTape() as tape:
        outputs = run.keras(x, True, step)
        loss_keras = run.loss_fn({k: tf.constant(v) for k, v in t.items()}, outputs)
        if run.model.losses:
            loss_keras = loss_keras + tf.add_n([tf.cast(v, tf.float32)
                                                for v in run.model.losses])
    own = [(g, v) for g, v in zip(tape.gradient(loss_keras, trainable), trainable)
           if g is not None]
    reference, names = _tf1_gradients(run, gradients)
    applied, differs, worst = reference_gradients(own, reference, run.options.rtol,
                                                  run.options.atol)
    if differs is not None:
        variable, why = differs
        return float(loss_tf1), float(loss_keras), (
            f"the gradient of variable {variable.path} (TF1 {names[id(variable)]}): {why}"), None
    keras_optimizer.apply([g for g, _ in applied], [v for _, v in applied])
    return float(loss_tf1), float(loss_keras), None, worst


def _tf1_gradients(run: _Run, gradients: dict) -> tuple:
    """({id(Keras variable): TF1's gradient in its layout}, {id: the TF1 names}) of the pairs
    whose TF1 variables all have a gradient."""
    reference, names = {}, {}
    for slot, source, arrays in _in_keras_layout(run.result, gradients,
                                                 run.options.forget_bias, gradients=True):
        for variable, array in zip(slot.variables, arrays):
            reference[id(variable)] = array
            names[id(variable)] = " + ".join(source.names)
    return reference, names


def _check_steps(run: _Run) -> bool:
    """5. training steps: the same loss and the same variables after every step."""
    o, spec = run.options, run.optimizer
    keras_optimizer = _keras_optimizer(spec, run.model)
    losses = run.report.losses = {"tf1": [], "keras": []}
    name = f"{o.steps} training steps ({spec.name}, learning rate {spec.learning_rate:g})"
    worst_weights = worst_gradients = 0.0
    for step in range(1, o.steps + 1):
        loss_tf1, loss_keras, gradient_why, gradient_worst = _step(run, keras_optimizer, step)
        losses["tf1"].append(loss_tf1)
        losses["keras"].append(loss_keras)
        why = _difference(loss_tf1, loss_keras, o.rtol, o.atol)
        if why:
            return run.done(Check(name, False, (
                f"step {step}: the loss differs: {why} (the loss includes the TF1 side's "
                f"get_regularization_loss() and the Keras model's losses: are the regularizers "
                f"alike?)")))
        if gradient_why:
            return run.done(Check(name, False, f"step {step}: {gradient_why}"))
        worst_gradients = max(worst_gradients, gradient_worst)
        why, worst = run.variables()
        if why:
            return run.done(Check(name, False, f"step {step}: {why}"))
        worst_weights = max(worst_weights, worst)
    if o.steps:
        run.done(Check(name, True, f"losses and variables equal after every step (max "
                                   f"|difference| in the variables {worst_weights:.3g}, in "
                                   f"the gradients {worst_gradients:.3g}; losses "
                                   f"{losses['tf1'][0]:.6g} -> {losses['tf1'][-1]:.6g})",
                       worst_weights))
    return True


def _check_after_training(run: _Run) -> bool:
    """6. outputs after training, randomness removed."""
    why, worst = run.difference(run.tf1.infer(run.x0), run.keras(run.x0, False, 0))
    return run.done(Check("outputs after training", why is None,
                          f"inference outputs differ: {why}" if why else
                          f"equal, max |difference| {worst:.3g}", worst))


def verify(tf1, keras_model=None, input_shape=None, *, out=None, **options) -> Report:
    """Run the checks of the module's docstring; return the `Report` (a difference of numbers
    is a failed check, `report.ok` False). `options` are the fields of `Options` (`steps`,
    `batch_size`, `optimizer`, `learning_rate`, `loss`, `mapping`, `checkpoint`, `forget_bias`,
    `rtol`, `atol`, `seed`, `labels`, `log_dir`, `int_range`, `inputs`, `model_fn`);
    `input_shape` None takes the inputs from the Keras model (`inputs`: some described,
    `NAME:SHAPE[:DTYPE]`). A program that cannot be compared
    raises `UserError`: variables made on every call (check 1), variables that cannot be paired
    (check 2, `Unmatched`, with the table). `checkpoint`, a TF1 `Saver` checkpoint of the TF1
    program, gives the starting values instead of the initializers' (the optimizer starts
    afresh). With `model_fn`, `tf1` is an Estimator model_fn and `labels` the dtype (and
    shape) of the labels placeholder it gets in training (`from_model_fn`). `out`, if given, is
    called with each check as it finishes."""
    o = _options(options)
    inputs = _given_inputs(input_shape, o.batch_size)  # said before either model is built
    optimizer = optimizer_spec(o.optimizer, o.learning_rate)
    loss_fn, target_kind = loss_function(o.loss)
    build = _tf1_function(tf1, o.model_fn, o.labels)
    model, inputs = _model_and_inputs(build, keras_model, inputs, o)
    if o.log_dir is not None:
        from tfmodels.core.logs import check_logdir

        check_logdir(o.log_dir)
    start = None
    if o.checkpoint is not None:  # said before anything runs
        from tfmodels.migration.checkpoints import read_checkpoint

        start = read_checkpoint(o.checkpoint)[:2]  # (reader, shapes), read once, up front
    if isinstance(o.mapping, str):
        from tfmodels.migration.matching import read_map

        mapping = read_map(o.mapping)
    else:
        mapping = o.mapping

    report, rng = Report(), np.random.default_rng(o.seed)
    x0 = inputs.draw(rng, o.batch_size)
    shape = inputs.text(o.batch_size)
    if not _record(report, out, _made_once(model, x0, "of shape " + shape
                                           if shape.startswith("(") else shape)):
        return report
    tf1_side = _TF1Side(build, inputs, optimizer, loss_fn, target_kind, o.seed)
    run = _Run(o, model, tf1_side, loss_fn, target_kind, optimizer, inputs, x0, rng, report,
               out)
    try:
        checks = (lambda: _check_names(run, start, mapping), lambda: _check_inference(run),
                  lambda: _check_training_mode(run), lambda: _check_steps(run),
                  lambda: _check_after_training(run))
        for check in checks:  # in order, each stopping the run when it fails
            if not check():
                break
        if o.log_dir is not None and report.losses.get("tf1"):
            report.log_dir = _write_logs(o.log_dir, report.losses)
    finally:
        tf1_side.close()
    return report


def _given_inputs(input_shape, batch_size: int):
    """One float32 input of the shape given, its batch checked; None where none is given."""
    from tfmodels.migration.model_io import given_inputs

    if input_shape is None:
        return None
    inputs = given_inputs(_shape(input_shape))
    inputs.check_batch(batch_size)
    return inputs


def _model_and_inputs(build, keras_model, inputs, o: Options):
    """(the Keras model, `model_io.Inputs`): the inputs given, or, without them, the Keras
    model's own inputs."""
    from tfmodels.migration.model_io import model_inputs

    if inputs is not None:
        if o.inputs:
            raise UserError("input shape and inputs: give one (input_shape describes the one "
                            "float32 input of a TF1 model function, inputs the Keras model's)")
        shape = inputs.items[0].shape
        model = _keras_model(keras_model, build, shape)
        _check_input_shape(model, shape)
        return model, inputs
    if keras_model is None:
        raise UserError("input shape: needed where the TF1 function itself is the Keras model "
                        "(a TF1StyleLayer); give it, or a Keras model whose inputs say it")
    model = _keras_model(keras_model, build, None)
    inputs = model_inputs(model, o.int_range, o.inputs)
    inputs.check_batch(o.batch_size)
    return model, inputs


def _record(report: Report, out, check: Check) -> bool:
    report.checks.append(check)
    if out is not None:
        out(check)
    return check.ok


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
