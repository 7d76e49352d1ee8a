"""Move trained weights between the tracks: a TF1 `Saver` checkpoint <-> a Keras model file.

This is what migrating a TF1 model to Keras needs: variables are matched by the spec, layer by layer
(`dense_<i>/kernel`, `dense_<i>/bias` in TF1; the i-th `Dense` layer's kernel and bias in Keras; a
recurrent layer's TF1 kernel over `[x, h]` split and its gates reordered), and every name and shape
is checked before anything is written. Only the weights move; optimizer state stays behind, so a
converted model predicts the same but starts training anew.

Nothing is executed or unpickled from the files read: TF1 checkpoints are read with
`tf.train.load_checkpoint` (tensors only), Keras files with `safe_mode=True`.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from tfmodels.core.errors import UserError
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import ModelSpec
from tfmodels.core.training_state import STATE_FILE, load_state, snapshot

FORMATS = (".keras", ".weights.h5")


def tf1_variables(spec: ModelSpec) -> list[tuple[str, tuple]]:
    """The TF1 track's variables of `spec` (name, shape), layer by layer in Keras's order;
    a recurrent layer's in TF1's layout (`tf1_compat.model.to_keras` converts)."""
    from tf1_compat.model import from_keras, tf1_variable_names

    found, shapes = [], iter(spec.weight_shapes())
    for layer, ws, names in zip(spec.layers, spec.layer_weights(), tf1_variable_names(spec)):
        tf1 = from_keras(layer, [np.zeros(next(shapes), np.float32) for _ in ws])
        found += [(name, np.shape(v)) for name, v in zip(names, tf1)]
    return found


def _to_keras(spec: ModelSpec, values: list) -> list[np.ndarray]:
    from tf1_compat.model import tf1_variable_names, to_keras

    given, weights = iter(values), []
    for layer, names in zip(spec.layers, tf1_variable_names(spec)):
        weights += to_keras(layer, [next(given) for _ in names])
    return weights


def _spec_from_folder(folder: str, track: str, model: str | None) -> tuple[ModelSpec, str]:
    """A checkpoint folder of ours names its model and settings; returns (spec, weights path)."""
    state = load_state(os.path.join(folder, STATE_FILE))
    try:
        fp = state.spec
        spec = get_spec(state.model, dataset=fp["dataset"], batch_size=fp["batch_size"],
                        seed=fp["seed"])
    except (KeyError, TypeError) as e:
        raise UserError(f"corrupted checkpoint: {folder}/{STATE_FILE} names no usable model "
                        f"settings ({type(e).__name__})") from None
    if model and model != spec.name:
        raise UserError(f"{folder} holds a checkpoint of {spec.name!r}, not {model!r}")
    if state.track != track:
        raise UserError(f"{folder} holds a {state.track} checkpoint; use --from {state.track}")
    return spec, os.path.join(folder, state.weights)


def _check_shapes(expected_shapes: list, shapes: dict, source: str, spec: ModelSpec) -> None:
    for name, expected in expected_shapes:
        if name not in shapes:
            raise UserError(f"{source} has no variable {name} (model {spec.name!r} expects "
                            f"{len(expected_shapes)} weight arrays)")
        if tuple(shapes[name]) != tuple(expected):
            raise UserError(f"variable {name} has shape {tuple(shapes[name])} in {source}; "
                            f"model {spec.name!r} expects {tuple(expected)}")


def read_tf1(source: str, spec: ModelSpec) -> list[np.ndarray]:
    """The spec's weights from a TF1 checkpoint prefix (or a folder with a `checkpoint` file)."""
    import tensorflow as tf

    def unreadable(e: Exception) -> UserError:
        # TensorFlow's message of a damaged file may carry its C++ stack: the first line only.
        first = (str(e).strip().splitlines() or [""])[0]
        return UserError(f"cannot read TF1 checkpoint {source!r} ({type(e).__name__}: "
                         f"{' '.join(first.split())[:160]}); is it whole?")

    try:
        reader = tf.train.load_checkpoint(source)
        shapes = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise unreadable(e) from None
    expected = tf1_variables(spec)
    _check_shapes(expected, shapes, f"TF1 checkpoint {source!r}", spec)
    try:  # a truncated .data file is found out only here ("Read less bytes than requested")
        values = [reader.get_tensor(name) for name, _ in expected]
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise unreadable(e) from None
    return _to_keras(spec, values)


def load_keras_file(source: str, instead: str):
    """The model in a `.keras` file, loaded in safe mode (nothing in the file is run); a file
    that is missing, damaged or not Keras's is one line. `instead` says what to do when the file
    carries Python code (a Lambda layer), which safe mode refuses."""
    import keras

    import tfmodels.keras_track.model  # noqa: F401 - the project's layers a file may hold,
    import tfmodels.tf1_keras  # noqa: F401 - registered with Keras before it is read
    import tfmodels.tf1_style  # noqa: F401

    if not os.path.exists(source):
        raise FileNotFoundError(f"{source!r}: no such file")
    if not zipfile.is_zipfile(source):
        raise UserError(f"{source!r} is not a .keras file (a .keras model is a zip archive "
                        f"saved by model.save); is it whole?")
    try:
        return keras.saving.load_model(source, safe_mode=True, compile=False)
    except (OSError, KeyError, ValueError, TypeError) as e:  # what Keras and h5py say of a bad file
        if "safe_mode" in str(e):
            raise UserError(f"Keras file {source!r} carries Python code (e.g. a Lambda layer), "
                            f"which Keras's safe_mode refuses to run; {instead}") from None
        raise UserError(f"cannot read Keras file {source!r} ({type(e).__name__}: "
                        f"{' '.join(str(e).split())[:160]})") from None


def read_keras(source: str, spec: ModelSpec | None) -> tuple[ModelSpec, list[np.ndarray]]:
    """Weights from a `.keras` model (safe mode) or a `.weights.h5` file of the spec's model."""
    from tfmodels.keras_track.model import build_model

    try:
        if source.endswith(".keras"):
            loaded = load_keras_file(source, "convert only files of models you trust, saved "
                                             "without such layers")
            spec = spec or get_spec(loaded.name)
            weights = loaded.get_weights()
        elif source.endswith(".weights.h5"):
            if spec is None:
                raise UserError(f"{source} does not name its model; pass --model")
            model = build_model(spec)
            model.load_weights(source)
            weights = model.get_weights()
        else:
            raise UserError(f"{source!r} is not a Keras file; expected a name ending in "
                            f"{' or '.join(FORMATS)}")
    except (UserError, FileNotFoundError):
        raise
    except (OSError, KeyError, ValueError, TypeError) as e:  # what h5py says of a bad file
        raise UserError(f"cannot read Keras file {source!r} ({type(e).__name__}: "
                        f"{' '.join(str(e).split())[:160]})") from None
    names = spec.weight_names()
    shapes = {name: np.shape(w) for name, w in zip(names, weights)}
    _check_shapes(list(zip(names, spec.weight_shapes())), shapes, f"Keras file {source!r}",
                  spec)
    if len(weights) != len(names):
        raise UserError(f"Keras file {source!r} has {len(weights)} weight arrays; model "
                        f"{spec.name!r} has {len(names)}")
    return spec, weights


def _target_folder(target: str) -> str:
    """The folder `target` goes in: one that exists or can be made (not under a file)."""
    folder = os.path.dirname(os.path.abspath(target))
    probe = folder
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UserError(f"target {target!r}: {probe!r} is a file, not a folder")
    return folder


def write_keras(target: str, spec: ModelSpec, weights) -> None:
    from tfmodels.keras_track.model import build_model

    if not target.endswith(FORMATS):
        raise UserError(f"{target!r}: a Keras target must end in {' or '.join(FORMATS)}")
    folder, name = _target_folder(target), os.path.basename(target)
    model = build_model(spec, weights)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{name}")  # written whole, then renamed into place
    (model.save if target.endswith(".keras") else model.save_weights)(tmp)
    os.replace(tmp, target)


def write_tf1(target: str, spec: ModelSpec, weights) -> None:
    """A `Saver` checkpoint at prefix `target` (`target.index`, `target.data-*`)."""
    from tf1_compat.model import Model

    folder, name = _target_folder(target), os.path.basename(target)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{name}")
    with Model(spec, weights) as model, model.graph.as_default():
        model.saver.save(model.session, tmp, write_meta_graph=False, write_state=False)
    prefix = f".tmp-{name}"
    for file in os.listdir(folder):
        if file.startswith(prefix + "."):
            os.replace(os.path.join(folder, file), os.path.join(folder, name + file[len(prefix):]))


def _read(source: str, spec: ModelSpec | None, track: str):
    """(spec, weights) of a TF1 checkpoint prefix or a Keras file."""
    if not os.path.exists(source) and not os.path.exists(source + ".index"):
        raise FileNotFoundError(f"{source!r}: no such checkpoint or file")
    if track == "tf1":
        if spec is None:
            raise UserError(f"{source} does not name its model; pass --model")
        return spec, read_tf1(source, spec)
    return read_keras(source, spec)


def convert(source: str, target: str, from_track: str, to_track: str,
            model: str | None = None, dataset: str | None = None) -> ModelSpec:
    """Read the weights of `source` (track `from_track`) and write them as `to_track`."""
    for label, track in (("--from", from_track), ("--to", to_track)):
        if track not in ("keras", "tf1"):
            raise UserError(f"{label} {track!r}: expected keras or tf1")
    if from_track == to_track:
        raise UserError(f"--from and --to are both {from_track}; nothing to convert")
    if dataset is not None and model is None:
        raise UserError(f"--dataset {dataset}: goes with --model (it sets that model's input "
                        f"size); a checkpoint folder or a .keras file names both itself")
    spec = get_spec(model, dataset=dataset) if model else None
    if os.path.isdir(source) and os.path.exists(os.path.join(source, STATE_FILE)):
        # A run may be training into the folder: read a copy of its current checkpoint.
        with snapshot(source) as copy:
            spec, path = _spec_from_folder(copy, from_track, model)
            if dataset is not None and dataset != spec.dataset:
                raise UserError(f"--dataset {dataset}: the checkpoint in {copy!r} was trained "
                                f"on {spec.dataset!r}; leave --dataset out")
            spec, weights = _read(path, spec, from_track)
    else:
        spec, weights = _read(source, spec, from_track)
    (write_keras if to_track == "keras" else write_tf1)(target, spec, weights)
    return spec
