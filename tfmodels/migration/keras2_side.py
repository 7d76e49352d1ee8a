"""The Keras 2 side of `verify_keras2` (`tfmodels.migration.keras2_reference`), run as
`python -m tfmodels.migration.keras2_side FOLDER` with `TF_USE_LEGACY_KERAS=1`, where
`tf.keras` is tf_keras: loads the model named in `FOLDER/request.json`, predicts in inference
mode on `FOLDER/inputs.npz` (its inputs by name where the names agree, else in order) and writes
`FOLDER/outputs.npz` (`{output name: array}`) and `FOLDER/layers.json` (each layer's class and
`get_config()`). A model tf_keras cannot load or run is one line on
stderr, `keras2: ...`, and exit status 2.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

__all__ = ["main"]


def _inputs(model, names: list, values: list):
    if len(values) == 1:
        return values[0]
    own = [t.name.split(":")[0] for t in model.inputs]
    if sorted(own) == sorted(names):
        return [values[names.index(n)] for n in own]
    return values


def _leaves(model, outputs) -> dict:
    if isinstance(outputs, dict):
        return {k: np.asarray(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        names = list(getattr(model, "output_names", None) or [])
        if len(names) != len(outputs):
            names = [f"output_{i}" for i in range(len(outputs))]
        return {k: np.asarray(v) for k, v in zip(names, outputs)}
    return {"output": np.asarray(outputs)}


def _layers(model) -> list:
    """[{"name", "class", "config"}] of the model's layers, nested models opened."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            found += _layers(layer)
            continue
        try:
            config = layer.get_config()
        except (NotImplementedError, TypeError, ValueError):
            config = {}
        found.append({"name": layer.name, "class": type(layer).__name__, "config": config})
    return found


def main(folder: str) -> int:
    import tensorflow as tf

    with open(os.path.join(folder, "request.json")) as f:
        request = json.load(f)
    if not tf.keras.__name__.startswith(("tf_keras", "tensorflow.keras")) or \
            not tf.keras.layers.Dense.__module__.startswith("tf_keras"):
        print("keras2: tf.keras is not tf_keras here (TF_USE_LEGACY_KERAS=1 and the tf_keras "
              "package are needed)", file=sys.stderr)
        return 2
    try:
        model = tf.keras.models.load_model(request["source"], compile=False)
        with np.load(os.path.join(folder, "inputs.npz")) as f:
            values = [f[f"x{i}"] for i in range(len(request["names"]))]
        outputs = model(_inputs(model, request["names"], values), training=False)
    except Exception as e:  # noqa: BLE001 - the user's file: one line for the parent
        first = (str(e).strip().splitlines() or [""])[0]
        print(f"keras2: {type(e).__name__}: {' '.join(first.split())[:200]}", file=sys.stderr)
        return 2
    np.savez(os.path.join(folder, "outputs.npz"), **_leaves(model, outputs))
    with open(os.path.join(folder, "layers.json"), "w") as f:
        json.dump(_layers(model), f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
