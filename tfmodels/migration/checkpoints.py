"""The kit's one reader and one writer of each file kind: TF1 `Saver` checkpoints and Keras files.

Keras 2 (tf_keras, `tf.keras` of TF <= 2.15) files are read here too (`read_keras2`): an HDF5
file of `model.save("m.h5")` or `model.save_weights("w.h5")` (`model_weights/<layer>/<weight
name>`, the layers listed in the `layer_names` attribute), and the TF checkpoint of
`save_weights("prefix")` or a SavedModel folder's `variables/` (object-graph keys,
`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`). Both give the same `(reader, shapes,
dtypes)` as a TF1 checkpoint, so the kit's one pairing (`tfmodels.migration.matching`) takes
them.

Nothing is executed or unpickled from the files read: TF1 checkpoints are read with
`tf.train.load_checkpoint` (tensors only), `.keras` files with `safe_mode=True`. Every file is
written whole under a temporary name in its folder, then renamed into place (a TF1 checkpoint's
`.index` last), so an interrupted write never leaves a file that looks whole.
"""

from __future__ import annotations

import os
import zipfile

from tfmodels.core.checks import check_regular_file
from tfmodels.core.errors import UserError, folded
from tfmodels.migration.keras_archive import write_keras

__all__ = ["KERAS2_SUFFIXES", "KERAS_FORMATS", "keras_target", "load_keras_file",
           "load_keras_model", "read_checkpoint", "read_keras2", "read_tensors",
           "save_keras", "save_tf1", "target_folder"]

KERAS_FORMATS = (".keras", ".weights.h5")
KERAS2_SUFFIXES = (".h5", ".hdf5")  # tf_keras's HDF5 files; others: a TF checkpoint


def _unreadable(source: str, e: Exception) -> UserError:
    # TensorFlow's message of a damaged file may carry its C++ stack: its first line only.
    return UserError(f"cannot read TF1 checkpoint {source!r} ({type(e).__name__}: "
                     f"{folded(e, first_line=True)}): not a TF1 checkpoint, or not whole; "
                     f"expected a Saver prefix (PREFIX.index, PREFIX.data-*) or a folder with a "
                     f"`checkpoint` file")


def read_checkpoint(source: str):
    """(reader, {name: shape}, {name: dtype name}) of a TF1 checkpoint prefix, or of the latest
    checkpoint of a folder with a `checkpoint` file; the tensors are read by `read_tensors`."""
    import tensorflow as tf

    if not os.path.exists(source) and not os.path.exists(source + ".index"):
        raise FileNotFoundError(f"{source!r}: no such checkpoint or file")
    if not os.path.isdir(source):  # a named pipe or a device is refused unread
        check_regular_file(source, "TF1 checkpoint")
        check_regular_file(source + ".index", "TF1 checkpoint index")
    try:
        reader = tf.train.load_checkpoint(source)
        shapes = reader.get_variable_to_shape_map()
        dtypes = {n: d.name for n, d in reader.get_variable_to_dtype_map().items()}
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise _unreadable(source, e) from None
    return reader, shapes, dtypes


def read_tensors(reader, names, source: str) -> list:
    """The tensors `names` of a checkpoint's `reader`; a truncated `.data` file is found out
    only here ("Read less bytes than requested")."""
    import tensorflow as tf

    try:
        return [reader.get_tensor(name) for name in names]
    except (tf.errors.OpError, ValueError, IndexError) as e:
        raise _unreadable(source, e) from None


# -- Keras 2 (tf_keras) files ---------------------------------------------------------------------

_VALUE = "/.ATTRIBUTES/VARIABLE_VALUE"
# Object-graph keys that are not the model's weights: the optimizer's (its slots hang under
# `.OPTIMIZER_SLOT`), the save counter, compile's metrics (`keras_api/metrics/...`).
_NOT_WEIGHTS = ("optimizer/", "save_counter/", "keras_api/", "_CHECKPOINTABLE_OBJECT_GRAPH")


class _H5Reader:
    """`get_tensor(name)` of a Keras 2 HDF5 file: `{name: dataset path}` read on demand."""

    def __init__(self, source: str, paths: dict):
        self.source, self.paths = source, paths

    def get_tensor(self, name: str):
        import h5py
        import numpy as np

        try:
            with h5py.File(self.source, "r") as f:
                return np.asarray(f[self.paths[name]])
        except (OSError, KeyError) as e:
            raise UserError(f"cannot read Keras 2 file {self.source!r} ({type(e).__name__}: "
                            f"{folded(e, first_line=True)}); is it whole?") from None


class _RenamedReader:
    """A TF checkpoint's reader under the kit's names (`layer_with_weights-0/kernel`)."""

    def __init__(self, reader, keys: dict):
        self.reader, self.keys = reader, keys

    def get_tensor(self, name: str):
        return self.reader.get_tensor(self.keys[name])


def _h5_weights(source: str, f) -> dict:
    """`{name: dataset path}` of a Keras 2 HDF5 file: each layer's `weight_names` (`dense/kernel:0`,
    `lstm/lstm_cell/kernel:0`), under the layer's name where the weight's does not begin with it
    (a nested model's)."""
    group = f["model_weights"] if "model_weights" in f else f
    if "layer_names" not in group.attrs:
        raise UserError(f"{source!r} is an HDF5 file but not a Keras 2 model or weights file "
                        f"(no layer_names; model.save('m.h5') and model.save_weights('w.h5') "
                        f"of tf_keras write one); a Keras 3 file ends in .keras or .weights.h5")
    paths = {}
    for layer in (n.decode() if isinstance(n, bytes) else str(n)
                  for n in group.attrs["layer_names"]):
        for weight in group[layer].attrs.get("weight_names", ()):
            weight = weight.decode() if isinstance(weight, bytes) else str(weight)
            name = weight if weight.startswith(layer + "/") else f"{layer}/{weight}"
            paths[name.removesuffix(":0")] = f"{group.name.rstrip('/')}/{layer}/{weight}"
    return paths


def _read_keras2_h5(source: str):
    import h5py

    try:
        with h5py.File(source, "r") as f:
            paths = _h5_weights(source, f)
            shapes = {n: tuple(f[p].shape) for n, p in paths.items()}
            dtypes = {n: f[p].dtype.name for n, p in paths.items()}
    except (OSError, KeyError) as e:  # not HDF5, cut short, a weight listed but absent
        raise UserError(f"cannot read Keras 2 file {source!r} ({type(e).__name__}: "
                        f"{folded(e, first_line=True)}): expected an HDF5 file of tf_keras's "
                        f"model.save or save_weights") from None
    return _H5Reader(source, paths), shapes, dtypes


def _read_keras2_checkpoint(source: str):
    """A TF checkpoint of tf_keras's `save_weights("prefix")`, or a SavedModel folder's."""
    saved_model = os.path.join(source, "variables", "variables")
    if os.path.isdir(source) and os.path.exists(saved_model + ".index"):
        source = saved_model
    reader, shapes, dtypes = read_checkpoint(source)
    keys = {k[:-len(_VALUE)]: k for k in shapes
            if k.endswith(_VALUE) and not k.startswith(_NOT_WEIGHTS) and ".OPTIMIZER_SLOT" not in k}
    if not keys:
        raise UserError(f"{source!r} is a TF checkpoint without Keras 2 weights (no "
                        f"layer_with_weights-N/.../.ATTRIBUTES/VARIABLE_VALUE keys); a TF1 "
                        f"Saver checkpoint goes with from_track=tf1")
    return (_RenamedReader(reader, keys), {n: shapes[k] for n, k in keys.items()},
            {n: dtypes[k] for n, k in keys.items()})


def read_keras2(source: str):
    """(reader, {name: shape}, {name: dtype name}) of a Keras 2 file: an HDF5 file (`.h5`,
    `.hdf5`) of tf_keras's `model.save` or `save_weights`, named `layer/weight` (`dense/kernel`,
    `lstm/lstm_cell/kernel`); or the TF checkpoint of `save_weights("prefix")` (a prefix, a
    folder with a `checkpoint` file, or a SavedModel folder), named by the object graph
    (`layer_with_weights-0/kernel`). Optimizer state is left out."""
    if not os.path.exists(source) and not os.path.exists(source + ".index"):
        raise FileNotFoundError(f"{source!r}: no such file or checkpoint")
    if source.endswith(".keras"):
        raise UserError(f"{source!r} is a Keras 3 file (.keras), not a Keras 2 one; Keras 3 "
                        f"loads it as it is (keras.models.load_model)")
    if source.endswith(KERAS2_SUFFIXES):
        check_regular_file(source, "Keras 2 file")
        return _read_keras2_h5(source)
    return _read_keras2_checkpoint(source)


def load_keras_file(source: str, instead: str):
    """The model in a `.keras` file, loaded in safe mode (nothing in the file is run); a file
    that is missing, damaged or not Keras's is one line. `instead` says what to do when the file
    carries Python code (a Lambda layer), which safe mode refuses."""
    import keras

    import tfmodels.keras_track.model  # noqa: F401 - the project's layers a file may hold,
    import tfmodels.migration.keras_layers  # noqa: F401 - registered with Keras before it is read
    import tfmodels.migration.tf1_style  # noqa: F401

    if not os.path.exists(source):
        raise FileNotFoundError(f"{source!r}: no such file")
    check_regular_file(source, "Keras file")
    if not zipfile.is_zipfile(source):
        raise UserError(f"{source!r} is not a .keras file (a .keras model is a zip archive "
                        f"saved by model.save); is it whole?")
    try:
        return keras.saving.load_model(source, safe_mode=True, compile=False)
    except (OSError, KeyError, ValueError, TypeError) as e:  # what Keras and h5py say of a bad file
        from tfmodels.migration.user_code import missing_hub

        if missing_hub(e, f"Keras file {source!r}"):
            raise missing_hub(e, f"Keras file {source!r}") from None
        if "safe_mode" in str(e):
            raise UserError(f"Keras file {source!r} carries Python code (e.g. a Lambda layer), "
                            f"which Keras's safe_mode refuses to run; {instead}") from None
        raise UserError(f"cannot read Keras file {source!r} ({type(e).__name__}: "
                        f"{folded(e)})") from None


def load_keras_model(ref: str):
    """A `.keras` file (safe mode) or `module:factory`, as a built Keras model."""
    import keras

    from tfmodels.migration.user_code import load_callable, missing_hub

    if ref.endswith(".keras"):
        return load_keras_file(ref, "give the model as module:factory instead")
    factory = load_callable(ref, "Keras model")
    keras.backend.clear_session()  # layers numbered dense, dense_1, ... as in a fresh process
    try:
        model = factory()
    except Exception as e:
        if missing_hub(e, f"Keras model {ref!r}"):
            raise missing_hub(e, f"Keras model {ref!r}") from None
        raise UserError(f"Keras model {ref!r} raised {type(e).__name__}: {folded(e)}") from None
    if not isinstance(model, keras.Model):
        raise UserError(f"Keras model {ref!r} returned {type(model).__name__}, not a Keras model")
    if not model.built or not model.weights:
        raise UserError(f"Keras model {ref!r} returned a model without weights; build it "
                        f"(keras.Input first) before returning it")
    return model


def target_folder(target: str) -> str:
    """The folder `target` goes in: one that exists or can be made (not under a file)."""
    folder = os.path.dirname(os.path.abspath(target))
    probe = folder
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UserError(f"target {target!r}: {probe!r} is a file, not a folder")
    return folder


def keras_target(target: str) -> str:
    """The folder of `target`, a `.keras` or `.weights.h5` file to be; checked before any work."""
    if not target.endswith(KERAS_FORMATS):
        raise UserError(f"{target!r}: a Keras target must end in {' or '.join(KERAS_FORMATS)}")
    return target_folder(target)


def save_keras(model, target: str) -> None:
    """`model` to `target`, a `.keras` model or a `.weights.h5` file, written whole."""
    folder, name = keras_target(target), os.path.basename(target)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{name}")  # written whole, then renamed into place
    try:
        if target.endswith(".keras"):  # its weights streamed from disk (keras_archive)
            write_keras(model, tmp)
        else:
            model.save_weights(tmp)
        os.replace(tmp, target)
    finally:  # a failed write (a full disk) leaves nothing behind
        if os.path.exists(tmp):
            os.remove(tmp)


def save_tf1(saver, session, target: str) -> None:
    """A `Saver` checkpoint of `session` at prefix `target` (`target.index`, `.data-*`)."""
    folder, name = target_folder(target), os.path.basename(target)
    os.makedirs(folder, exist_ok=True)
    tmp = f".tmp-{name}"
    try:
        saver.save(session, os.path.join(folder, tmp), write_meta_graph=False,
                   write_state=False)
        for file in sorted(os.listdir(folder), key=lambda f: f.endswith(".index")):  # .index last
            if file.startswith(tmp + "."):
                os.replace(os.path.join(folder, file),
                           os.path.join(folder, name + file[len(tmp):]))
    finally:  # a failed write (a full disk) leaves nothing behind
        for file in os.listdir(folder):
            if file.startswith(tmp + "."):
                os.remove(os.path.join(folder, file))
