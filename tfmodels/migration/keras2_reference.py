"""A Keras 2 (tf_keras) model as `verify`'s reference side: does the Keras 3 port compute what
the Keras 2 model computed?

    from tfmodels.migration.keras2_reference import verify_keras2
    report = verify_keras2("old_model.h5", "my_port:make")   # a Report, as verify's

Keras 2 and Keras 3 cannot live in one process (`tf.keras` is one or the other), so the Keras 2
model runs in a process of its own: `python -m tfmodels.migration.keras2_side` with
`TF_USE_LEGACY_KERAS=1`, where tf_keras loads the file (`model.save("m.h5")` or a SavedModel
folder: a file holding the architecture; tf_keras runs what the file describes, as
`tf.keras.models.load_model` did) and predicts on the inputs it is handed. The checks, in order:

1. **names and shapes**: every Keras 3 weight takes a weight of the Keras 2 file, paired as
   `tfmodels convert --from keras2` pairs them (`conversion.keras2_to_keras`), and is filled
   with it;
2. **outputs, no randomness**: on the same random inputs (`model_io`: each input of the Keras 3
   model, integer ids within its Embedding's `input_dim` or `int_range`), both models in
   inference mode give the same outputs, compared output by output by name. The report names
   the layer settings that differ between the two (`SETTINGS`: batch norm's `epsilon` and
   `momentum`, a GRU's `reset_after`, activations, ...; layers of one class paired in order),
   the usual causes when a port's outputs drift.

Training steps, dropout masks and optimizers are not compared here (Keras 2 and Keras 3 draw
dropout masks differently).
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

__all__ = ["SETTINGS", "keras2_predictions", "setting_differences", "verify_keras2"]

TIMEOUT = 600  # seconds for the Keras 2 process


# Layer settings whose defaults or meaning moved between Keras 2 and Keras 3, or that a port
# gets wrong: compared layer by layer (same class, in model order) and named in the report.
SETTINGS = ("activation", "recurrent_activation", "epsilon", "momentum", "center", "scale",
            "reset_after", "unit_forget_bias", "use_bias", "padding", "strides",
            "dilation_rate", "data_format", "return_sequences", "go_backwards", "rate",
            "input_dim", "output_dim", "units", "filters", "kernel_size", "pool_size")


def _flat_layers(model) -> list:
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            found += _flat_layers(layer)
        else:
            found.append(layer)
    return found


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-12, atol=0))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def setting_differences(keras2_layers: list, model) -> list:
    """["batch_normalization: epsilon 0.001 in Keras 2, 1e-05 in Keras 3", ...]: the settings
    (`SETTINGS`) that differ between the Keras 2 model's layers (`keras2_side`'s
    `layers.json`) and the Keras 3 model's, layers of one class paired in model order."""
    by_class = {}
    for layer in keras2_layers:
        by_class.setdefault(layer["class"], []).append(layer)
    seen, found = {}, []
    for layer in _flat_layers(model):
        kind = type(layer).__name__
        index = seen[kind] = seen.get(kind, -1) + 1
        if index >= len(by_class.get(kind, ())):
            continue
        old = by_class[kind][index]["config"]
        try:
            new = layer.get_config()
        except (NotImplementedError, TypeError, ValueError):
            continue
        for key in SETTINGS:
            if key in old and key in new and not _same(old[key], new[key]):
                found.append(f"{layer.name}: {key} {old[key]!r} in Keras 2, {new[key]!r} in "
                             f"Keras 3")
    return found


def keras2_predictions(source: str, inputs, values, timeout: int = TIMEOUT) -> dict:
    """`{output name: array}` of the Keras 2 model in `source` on `values` (the structure
    `inputs`, a `model_io.Inputs`, made), computed by tf_keras in a process of its own, and
    `{"layers": [...]}` under the key None: its layers' classes and settings."""
    with tempfile.TemporaryDirectory(prefix="tfmodels-keras2-") as folder:
        flat = inputs.flat(values)
        np.savez(os.path.join(folder, "inputs.npz"), **{f"x{i}": v for i, v in enumerate(flat)})
        with open(os.path.join(folder, "request.json"), "w") as f:
            json.dump({"source": os.path.abspath(source),
                       "names": [i.name for i in inputs.items]}, f)
        env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            done = subprocess.run([sys.executable, "-m", "tfmodels.migration.keras2_side",
                                   folder], env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise UserError(f"the Keras 2 model {source!r} did not predict within {timeout} s "
                            f"in its tf_keras process") from None
        if done.returncode != 0:
            said = [line for line in done.stderr.splitlines() if line.startswith("keras2: ")]
            why = said[-1][len("keras2: "):] if said else folded(done.stderr[-300:])
            raise UserError(f"tf_keras cannot run the Keras 2 model {source!r}: {why}")
        with np.load(os.path.join(folder, "outputs.npz")) as outputs:
            found = {k: outputs[k] for k in outputs.files}
        with open(os.path.join(folder, "layers.json")) as f:
            found[None] = json.load(f)
        return found


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


def _filled(keras2: str, keras_model, mapping, out) -> tuple:
    """(the Keras 3 model filled from the Keras 2 file, the check, the table)."""
    from tfmodels.migration.checkpoints import read_keras2, read_tensors
    from tfmodels.migration.conversion import keras2_matched
    from tfmodels.migration.matching import keras_values

    model = _keras3(keras_model)
    reader, shapes, dtypes = read_keras2(keras2)
    result = keras2_matched(model, shapes, dtypes, mapping, out or (lambda _: None))
    table = result.table(other="Keras 2 weight")
    problems = [f"Keras {s.key} has no Keras 2 weight ({why})" for s, why in result.missing]
    if problems:
        raise Unmatched(f"names and shapes: {'; '.join(problems)} (see the table; a map file, "
                        f"mapping=FILE, pairs names that differ)", table)
    for slot, src, _ in result.pairs:
        for variable, value in zip(slot.variables, keras_values(
                slot, src, read_tensors(reader, src.names, keras2))):
            variable.assign(np.asarray(value, variable.dtype))
    n = sum(len(s.variables) for s, _, _ in result.pairs)
    unused = f"; {len(result.unused)} Keras 2 weights unused" if result.unused else ""
    return model, Check("names and shapes", True, f"{n} Keras weights <- {n} Keras 2 weights, "
                                                  f"all matched{unused}"), table


def verify_keras2(keras2: str, keras_model, *, batch_size: int = 8, seed: int = 0,
                  int_range: int | None = None, rtol: float = RTOL, atol: float = ATOL,
                  mapping=None, out=None) -> Report:
    """The module's checks of the Keras 3 model (a model, `.keras` file or `module:factory`)
    against the Keras 2 model saved in `keras2` (an `.h5` model or a SavedModel folder); the
    Keras 3 model's weights are replaced by the Keras 2 file's. `out`, if given, is called with
    each check as it finishes."""
    from tfmodels.migration.equivalence import Options
    from tfmodels.migration.model_io import leaves, model_inputs

    Options(batch_size=batch_size, seed=seed, int_range=int_range, rtol=rtol, atol=atol)
    report = Report()
    model, check, report.table = _filled(keras2, keras_model, mapping, None)
    report.checks.append(check)
    if out is not None:
        out(check)
    inputs = model_inputs(model, int_range)
    inputs.check_batch(batch_size)
    x = inputs.draw(np.random.default_rng(seed), batch_size)
    reference = keras2_predictions(keras2, inputs, x)
    settings = setting_differences(reference.pop(None), model)
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
    check = Check("outputs, no randomness", why is None,
                  f"outputs differ: {why}{named}" if why else
                  f"equal on {batch_size} inputs, max |difference| {worst:.3g}{named}", worst)
    report.checks.append(check)
    if out is not None:
        out(check)
    return report
