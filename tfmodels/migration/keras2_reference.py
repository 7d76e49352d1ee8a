"""A Keras 2 (tf_keras) model as `verify`'s reference side: does the Keras 3 port compute, and
train, as the Keras 2 model did?

    from tfmodels.migration.keras2_reference import verify_keras2
    report = verify_keras2("old_model.h5", "my_port:make")   # a Report, as verify's
    report = verify_keras2("old_code.py:make_model", "my_port:make", steps=5)

Keras 2 and Keras 3 cannot live in one process (`tf.keras` is one or the other), so the Keras 2
model lives in a process of its own: `python -m tfmodels.migration.keras2_side` with
`TF_USE_LEGACY_KERAS=1`, where tf_keras loads the file (`model.save("m.h5")` or a SavedModel
folder: a file holding the architecture; tf_keras runs what the file describes, as
`tf.keras.models.load_model` did) or calls `module:factory` (a function returning a tf_keras
model: imported and called there only), saves the weights it starts from (`save_weights`, an
`.h5` file), predicts, and trains on the batches it is handed, saving the weights after each
step. The checks, in order:

1. **names and shapes**: every Keras 3 weight takes a weight of the Keras 2 model (as its
   `save_weights` names them: `dense_1/kernel`, `lstm/lstm_cell/kernel`), paired as `tfmodels
   convert --from keras2` pairs them (`conversion.keras2_matched`), and is filled with it;
2. **outputs, no randomness**: on the same random inputs (`model_io`: each input of the Keras 3
   model, integer ids within its Embedding's `input_dim` or `int_range`), both models in
   inference mode give the same outputs, compared output by output by name;
3. **training steps** (`steps`, at most `MAX_STEPS`): from the same weights, on the same
   batches (new random inputs, random targets; `loss` as `verify`'s: "mse" or
   "sparse_categorical_crossentropy" from logits, plus each model's own `losses`), each model
   takes `steps` optimizer steps; the loss before each step, each weight's gradient in it and
   every weight after it are compared, and **the Keras 3 optimizer is given Keras 2's
   gradients** once they are found equal: Adam (RMSprop, Adagrad) divides each update by the
   gradient's running size plus a small epsilon, so where a gradient is near zero it magnifies
   the float32 noise in it up to learning rate / epsilon fold (measured: a convnet kernel's
   entry, its gradient 6.8e-6 and 3e-7 apart between tf_keras's fused batch norm and Keras 3's,
   moved 6.8e-6 apart in one step, and a right port failed on one in three runs of the
   tutorial program). A sparse gradient (an Embedding's) stays the Keras 3 model's own: its
   rows are how Keras 3 updates (`equivalence.reference_gradients`, `verify`'s rule too).
   The optimizer is the Keras 2 model's compiled one where its file (or factory) has one,
   else `optimizer` / `learning_rate` (verify's vocabulary and defaults), read through the
   project's one mapping (`keras_configs.check_optimizer` into an `OptimizerSpec`, built as
   `make_optimizer` builds it: the same float32 hyper-parameters on both sides); the Keras 3
   port trains with its own compiled optimizer where it has one, else with the same. Both
   start afresh (a file's optimizer slots are not carried). **Dropout masks are aligned**:
   Keras 2 and Keras 3 draw different masks for one seed (keras#19993, tensorflow#71829), so
   every `Dropout` / `SpatialDropout` layer of both models applies masks drawn by NumPy from
   (seed, layer number, step, call) instead (`dropout_masks`); other randomness (a recurrent
   `dropout`, `GaussianNoise`, ...) is refused in one line.

A failure names what differs first (the output, or the step and the weight) and the causes it
can see: the layer settings that differ between the two models (`keras2_training.SETTINGS`:
batch norm's `epsilon` and `momentum`, a GRU's `reset_after`, activations, dropout `rate`, ...;
layers of one class paired in order), the optimizer settings that differ, dropout layers one
model has and the other has not, and two Keras 2 -> 3 differences of training: tf_keras's
fused batch norm (images) moving its variance towards `n / (n - 1)` times the batch's, and
tf_keras's optimizers summing an embedding's repeated rows before the update.

Tolerance: `verify`'s, `|keras3 - keras2| <= atol + rtol * |keras2|` with the migration guide's
rtol 1e-6, atol 1e-5 on outputs, losses and weights; a gradient within that plus
`equivalence.GRADIENT_SCALE` (1e-4) times its weight's largest gradient (batch norm's
backward pass cancels large terms: measured up to 1.1e-5 of that scale, ten files of the
convnet). Both sides run TensorFlow's float32 kernels on the same numbers; what is left is the
order of a few operations (Keras 3 writes batch norm and the optimizers' updates with its own
ops). Measured (tests/test_keras2.py's tutorial models, Adam): the MLP with dropout 0 after 20
steps (bit for bit), the Embedding + LSTMs port with `DenseGradientEmbedding` 4.5e-8 after 20
steps (gradients 2.4e-7), the convnet port with `FusedBatchNormalization` 6e-8 to 1.2e-7 after
3 steps (ten files of the tf_keras program; gradients 1.9e-6 to 1.5e-5) and 3.6e-7 after 20.
What the tolerance catches at the first step: another learning rate (9e-3), a missing or
other-rate dropout, masks not aligned (the loss 0.054 apart), a backward pass that differs (a
ReLU whose gradient is the identity: 0.12), Keras 3's own batch norm (1.2e-4 in a moving
variance) and sparse embedding update (9.5e-3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from tfmodels.core.errors import UserError, folded
from tfmodels.migration.equivalence import ATOL, RTOL, Check, Report, Unmatched, leaf_differences

__all__ = ["MAX_STEPS", "keras2_run", "keras2_source", "verify_keras2"]

TIMEOUT = 600  # seconds for the Keras 2 process
MAX_STEPS = 100  # each step's Keras 2 weights are written to a file and compared
_SIDE = "tfmodels.migration.keras2_side"

def keras2_source(keras2) -> tuple[bool, str]:
    """(whether it is a factory, the source as the Keras 2 process takes it): a file or folder
    that exists (its absolute path), or `module:factory` / `path/to/file.py:factory` (the file's
    path made absolute; nothing imported here)."""
    if not isinstance(keras2, str) or not keras2:
        raise UserError(f"Keras 2 model: expected an .h5 file, a SavedModel folder or "
                        f"module:factory, got {keras2!r}")
    if os.path.exists(keras2):
        return False, os.path.abspath(keras2)
    module, sep, attr = keras2.rpartition(":")
    if sep and module and attr.isidentifier():
        if module.endswith(".py") or "/" in module or os.sep in module:
            if not os.path.isfile(module):
                raise UserError(f"Keras 2 model {keras2!r}: no such file {module!r}")
            return True, f"{os.path.abspath(module)}:{attr}"
        if all(part.isidentifier() for part in module.split(".")):
            return True, keras2
    raise UserError(f"Keras 2 model {keras2!r}: no such file or folder (expected an .h5 file "
                    f"of model.save, a SavedModel folder, or path/to/file.py:factory returning "
                    f"a tf_keras model)")


def keras2_run(source: str, factory: bool, request: dict, arrays: dict, folder: str,
               timeout: int = TIMEOUT) -> None:
    """Run the Keras 2 process (`keras2_side`) on `source` in `folder`: `request` (its
    `request.json`, `source` and `factory` added) and `arrays` (`{file name: {key: array}}`,
    written as `.npz` files) in; what it writes (`start.h5`, `outputs.npz`, `layers.json`,
    `step<k>.h5`, `training.json`) out. Its failure is one line."""
    for name, content in arrays.items():
        np.savez(os.path.join(folder, name), **content)
    with open(os.path.join(folder, "request.json"), "w") as f:
        json.dump({**request, "source": source, "factory": factory}, f)
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run([sys.executable, "-m", _SIDE, folder], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise UserError(f"the Keras 2 model {source!r} did not finish within {timeout} s in "
                        f"its tf_keras process") from None
    if done.returncode != 0:
        lines = done.stderr.splitlines()
        said = [line for line in lines if line.startswith("keras2-user: ")]
        if said:
            raise UserError(said[-1][len("keras2-user: "):])
        said = [line for line in lines if line.startswith("keras2: ")]
        why = said[-1][len("keras2: "):] if said else folded(done.stderr[-300:])
        raise UserError(f"tf_keras cannot run the Keras 2 model {source!r}: {why}")


def _keras3(keras_model):
    """The Keras 3 model: a model, a `.keras` file or `module:factory`, or a factory."""
    import keras

    from tfmodels.migration.checkpoints import load_keras_model

    if isinstance(keras_model, str):
        return load_keras_model(keras_model)
    if callable(keras_model) and not isinstance(keras_model, keras.Model):
        keras.backend.clear_session()  # layers numbered dense, dense_1, ... as in a fresh process
        keras_model = keras_model()
    if not isinstance(keras_model, keras.Model) or not keras_model.weights:
        raise UserError(f"Keras model: expected a built Keras 3 model with weights, a function "
                        f"returning one, 'module:factory' or a .keras file, got {keras_model!r}")
    return keras_model


def _filled(start: str, model, mapping) -> tuple:
    """(the `Match` of the Keras 3 model with the Keras 2 weights in `start`, the check, the
    table); the Keras 3 weights then hold the Keras 2 values."""
    from tfmodels.migration.checkpoints import read_keras2
    from tfmodels.migration.conversion import keras2_matched
    from tfmodels.migration.keras2_training import keras2_values

    _, shapes, dtypes = read_keras2(start)
    result = keras2_matched(model, shapes, dtypes, mapping, lambda _: None)
    table = result.table(other="Keras 2 weight")
    problems = [f"Keras {s.key} has no Keras 2 weight ({why})" for s, why in result.missing]
    if problems:
        raise Unmatched(f"names and shapes: {'; '.join(problems)} (see the table; a map file, "
                        f"mapping=FILE, pairs names that differ)", table)
    for slot, _, arrays in keras2_values(result, start):
        for variable, value in zip(slot.variables, arrays):
            variable.assign(np.asarray(value, variable.dtype))
    n = sum(len(s.variables) for s, _, _ in result.pairs)
    unused = f"; {len(result.unused)} Keras 2 weights unused" if result.unused else ""
    return result, Check("names and shapes", True, f"{n} Keras weights <- {n} Keras 2 weights, "
                                                   f"all matched{unused}"), table


def verify_keras2(keras2: str, keras_model, *, steps: int = 3, batch_size: int = 8,
                  seed: int = 0, optimizer="sgd", learning_rate: float | None = 0.01,
                  loss="mse", int_range: int | None = None, rtol: float = RTOL,
                  atol: float = ATOL, mapping=None, out=None) -> Report:
    """The module's checks of the Keras 3 model (a model, `.keras` file or `module:factory`)
    against the Keras 2 model `keras2` (an `.h5` model, a SavedModel folder or
    `module:factory` returning a tf_keras model); the Keras 3 model's weights are replaced by
    the Keras 2 model's, then trained `steps` steps. `optimizer` and `learning_rate` are used
    where the Keras 2 model has no compiled optimizer. `out`, if given, is called with each
    check as it finishes."""
    from tfmodels.migration.equivalence import Options
    from tfmodels.migration.keras2_training import Training

    Options(steps=steps, batch_size=batch_size, seed=seed, int_range=int_range, rtol=rtol,
            atol=atol, optimizer=optimizer, learning_rate=learning_rate, loss=loss)
    if steps > MAX_STEPS:
        raise UserError(f"steps must be an integer in [0, {MAX_STEPS}] with a Keras 2 model as "
                        f"the reference (each step's weights are written and compared), got "
                        f"{steps!r}")
    factory, source = keras2_source(keras2)
    training = Training.prepare(_keras3(keras_model), steps, batch_size, seed, int_range,
                                optimizer, learning_rate, loss)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="tfmodels-keras2-") as folder:
        keras2_run(source, factory, training.request(), training.arrays(), folder)
        result, check, report.table = _filled(os.path.join(folder, "start.h5"),
                                              training.model, mapping)
        if not _record(report, out, check):
            return report
        with open(os.path.join(folder, "layers.json")) as f:
            training.keras2_layers = json.load(f)
        if not _record(report, out, _check_outputs(training, folder, rtol, atol)) or not steps:
            return report
        _record(report, out, training.check_steps(result, folder, rtol, atol))
    return report


def _record(report: Report, out, check: Check) -> bool:
    report.checks.append(check)
    if out is not None:
        out(check)
    return check.ok


def _check_outputs(training, folder: str, rtol: float, atol: float) -> Check:
    """2. inference, the same inputs, outputs compared by name."""
    from tfmodels.migration.keras2_training import setting_differences
    from tfmodels.migration.model_io import leaves

    model, x = training.model, training.x0
    with np.load(os.path.join(folder, "outputs.npz")) as outputs:
        reference = {k: outputs[k] for k in outputs.files}
    settings = setting_differences(training.keras2_layers, model)
    got = leaves(model(x, training=False), getattr(model, "output_names", None))
    if len(reference) == 1 and len(got) == 1:
        got = {next(iter(reference)): next(iter(got.values()))}
    if set(reference) != set(got):
        raise UserError(f"the Keras 2 model returns outputs {', '.join(sorted(reference))}; the "
                        f"Keras 3 model returns {', '.join(sorted(got))}: name them alike")
    why, worst = leaf_differences(reference, {k: np.asarray(v) for k, v in got.items()}, rtol,
                                  atol)
    why = why and why.replace("(TF1 ", "(Keras 2 ")
    named = f"; layer settings that differ: {'; '.join(settings)}" if settings else ""
    return Check("outputs, no randomness", why is None,
                 f"outputs differ: {why}{named}" if why else
                 f"equal on {training.batch_size} inputs, max |difference| {worst:.3g}{named}",
                 worst)
