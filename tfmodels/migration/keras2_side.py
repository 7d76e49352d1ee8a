"""The Keras 2 side of `verify_keras2` (`tfmodels.migration.keras2_reference`), run as
`python -m tfmodels.migration.keras2_side FOLDER` with `TF_USE_LEGACY_KERAS=1`, where
`tf.keras` is tf_keras. `FOLDER/request.json` says what to do:

- `source`: the Keras 2 model, a file tf_keras loads (`.h5` of `model.save`, a SavedModel
  folder; compiled where the file says how) or, with `factory`, `module:factory`, a function
  returning a tf_keras model, called here (nowhere else);
- `names`, `steps`, `loss`, `targets`, `optimizer` (the spec used where the model has no
  compiled optimizer), `seed` (of the dropout masks).

It writes in `FOLDER`: `start.h5` (the model's weights as it starts, `save_weights`: the names
`verify_keras2` pairs with), `outputs.npz` (`{output name: array}`, inference mode on
`inputs.npz`'s `x0`, `x1`, ...), `layers.json` (each layer's class and `get_config()`), and
with `steps` > 0: `step<k>.h5` (the weights after step k), `training.json` (each step's loss,
the optimizer's spec and where it came from, the dropout layers given masks) and `grads<k>.h5`
(the model's weights file with each trainable weight's step-k gradient in its place, dense:
read by the one Keras 2 reader that pairs the weights). Step k trains on
`batches.npz`'s `b<k>_x<i>` against `t<k>_<j>` (`targets[j]`'s), the dropout layers applying
`dropout_masks`' masks, the loss `equivalence.loss_function`'s plus the model's own `losses`.

A model tf_keras cannot load or run is one line on stderr, `keras2: ...` (a mistake in what the
user gave: `keras2-user: ...`), and exit status 2.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

__all__ = ["main"]

_USER = "keras2-user: "


class _Refused(Exception):
    """A mistake in what the user gave, said as it is (not as tf_keras's failure)."""


def _inputs(model, names: list, values: list):
    if len(values) == 1:
        return values[0]
    own = [t.name.split(":")[0] for t in model.inputs]
    if sorted(own) == sorted(names):
        return [values[names.index(n)] for n in own]
    return values


def _leaves(model, outputs) -> dict:
    if isinstance(outputs, dict):
        return dict(outputs)
    if isinstance(outputs, (list, tuple)):
        names = list(getattr(model, "output_names", None) or [])
        if len(names) != len(outputs):
            names = [f"output_{i}" for i in range(len(outputs))]
        return dict(zip(names, outputs))
    return {"output": outputs}


def _model(tf, request):
    """The tf_keras model, compiled where its file says how (else not)."""
    source = request["source"]
    if request.get("factory"):
        from tfmodels.migration.user_code import load_callable

        model = load_callable(source, "Keras 2 model")()
        if not isinstance(model, tf.keras.Model):
            raise _Refused(f"Keras 2 model {source!r} returned {type(model).__name__}, expected "
                           f"a tf_keras model (tf_keras.Model; the Keras 3 port is the other "
                           f"side)")
        if not model.built or not model.weights:
            raise _Refused(f"Keras 2 model {source!r} returned a model without weights: build "
                           f"it (an input shape on its first layer, or model.build)")
        return model
    try:
        return tf.keras.models.load_model(source)
    except Exception:  # noqa: BLE001 - a compile tf_keras cannot restore: the model without it
        return tf.keras.models.load_model(source, compile=False)


def _optimizer(tf, model, request) -> tuple:
    """(the tf_keras optimizer, its spec as {"name", "params"}, where it came from)."""
    from tfmodels.core.errors import UserError
    from tfmodels.core.keras_configs import OPTIMIZER_CLASSES, check_optimizer
    from tfmodels.core.spec import OPTIMIZER_DEFAULTS, OptimizerSpec

    compiled = getattr(model, "optimizer", None)
    if compiled is not None:
        try:
            spec = OptimizerSpec(*check_optimizer(compiled, OPTIMIZER_DEFAULTS,
                                                  tf.keras.optimizers))
        except UserError as e:
            raise _Refused(f"training steps: the Keras 2 model's compiled {e} (steps=0 "
                           f"compares the outputs only)") from None
        came = "the Keras 2 model's compiled optimizer"
    else:
        given = request["optimizer"]
        spec, came = OptimizerSpec(given["name"], given["params"]), "named"
    classes = {v: k for k, v in OPTIMIZER_CLASSES.items() if hasattr(tf.keras.optimizers, k)}
    optimizer = getattr(tf.keras.optimizers, classes[spec.name])(**spec.float32_params(),
                                                                 jit_compile=False)
    return optimizer, {"name": spec.name, "params": spec.params}, came


def _train(tf, model, request, folder) -> dict:
    """`steps` training steps, the weights saved after each; what `training.json` holds."""
    from tfmodels.migration.dropout_masks import Masks, dropout_layers, given_masks
    from tfmodels.migration.equivalence import loss_function

    optimizer, spec, came = _optimizer(tf, model, request)
    loss_fn, _ = loss_function(request["loss"])
    masks, names, losses = Masks(request["seed"]), request["targets"], []
    with np.load(os.path.join(folder, "batches.npz")) as f:
        batches = {k: f[k] for k in f.files}
    trainable = model.trainable_variables
    for step in range(1, request["steps"] + 1):
        x = [batches[f"b{step}_x{i}"] for i in range(len(request["names"]))]
        targets = {n: tf.constant(batches[f"t{step}_{j}"]) for j, n in enumerate(names)}
        with given_masks(model, masks.at(step)), tf.GradientTape() as tape:
            outputs = _leaves(model, model(_inputs(model, request["names"], x), training=True))
            if len(outputs) == 1 and len(names) == 1:
                outputs = {names[0]: next(iter(outputs.values()))}
            if not set(names) <= set(outputs):
                raise _Refused(f"the Keras 2 model returns outputs {', '.join(sorted(outputs))};"
                               f" the Keras 3 model returns {', '.join(names)}: name them alike")
            loss = loss_fn(targets, outputs)
            if model.losses:
                loss = loss + tf.add_n([tf.cast(v, tf.float32) for v in model.losses])
        gradients = tape.gradient(loss, trainable)
        _save_gradients(tf, model, trainable, gradients, os.path.join(folder, f"grads{step}.h5"))
        optimizer.apply_gradients([(g, v) for g, v in zip(gradients, trainable)
                                   if g is not None])
        losses.append(float(loss))
        model.save_weights(os.path.join(folder, f"step{step}.h5"))
    return {"losses": losses, "optimizer": spec, "came": came,
            "dropout": [{"name": layer.name, "rate": float(layer.rate)}
                        for layer in dropout_layers(model)]}


def _save_gradients(tf, model, trainable, gradients, path: str) -> None:
    """`path`: `save_weights` with each trainable weight's gradient in its place (an embedding's
    sparse gradient made dense: repeated rows summed; zeros where a weight has no gradient)."""
    kept = [v.numpy() for v in trainable]
    for variable, gradient in zip(trainable, gradients):
        variable.assign(tf.zeros_like(variable) if gradient is None else
                        tf.convert_to_tensor(gradient))
    model.save_weights(path)
    for variable, value in zip(trainable, kept):
        variable.assign(value)


def _run(tf, request, folder) -> None:
    from tfmodels.migration.dropout_masks import described

    model = _model(tf, request)
    model.save_weights(os.path.join(folder, "start.h5"))
    with np.load(os.path.join(folder, "inputs.npz")) as f:
        values = [f[f"x{i}"] for i in range(len(request["names"]))]
    outputs = model(_inputs(model, request["names"], values), training=False)
    np.savez(os.path.join(folder, "outputs.npz"),
             **{k: np.asarray(v) for k, v in _leaves(model, outputs).items()})
    with open(os.path.join(folder, "layers.json"), "w") as f:
        json.dump(described(model), f, default=str)
    if request["steps"]:
        training = _train(tf, model, request, folder)
        with open(os.path.join(folder, "training.json"), "w") as f:
            json.dump(training, f)


def main(folder: str) -> int:
    import tensorflow as tf

    from tfmodels.core.errors import UserError

    with open(os.path.join(folder, "request.json")) as f:
        request = json.load(f)
    if not tf.keras.__name__.startswith(("tf_keras", "tensorflow.keras")) or \
            not tf.keras.layers.Dense.__module__.startswith("tf_keras"):
        print("keras2: tf.keras is not tf_keras here (TF_USE_LEGACY_KERAS=1 and the tf_keras "
              "package are needed)", file=sys.stderr)
        return 2
    try:
        _run(tf, request, folder)
    except (_Refused, UserError) as e:
        print(f"{_USER}{' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - the user's file: one line for the parent
        first = (str(e).strip().splitlines() or [""])[0]
        print(f"keras2: {type(e).__name__}: {' '.join(first.split())[:200]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
