"""Use what `tfmodels train --checkpoint-dir DIR` left behind: evaluate it, or predict with it.

    tfmodels evaluate DIR                       # the model's own validation data
    tfmodels evaluate DIR --data test.npz       # arrays x and y of your own
    tfmodels predict DIR --data inputs.npy --output predictions.csv

The folder's `checkpoint.json` names the track, the model and its settings, so nothing else needs
saying: the model is rebuilt in the track that trained it and the checkpoint restored into it.
"""

from __future__ import annotations

import os

import numpy as np

from tfmodels.core.checks import (
    check_npy_header,
    check_real_numbers,
    check_regular_file,
    check_x,
    check_y,
)
from tfmodels.core.data import for_spec, load_dataset, one_hot
from tfmodels.core.errors import UserError, folded
from tfmodels.core.registry import MODELS, get_spec
from tfmodels.core.spec import ModelSpec
from tfmodels.core.training_state import STATE_FILE, load_state, snapshot
from tfmodels.training import build, resume

__all__ = [
    "INPUT_FORMATS", "OUTPUT_FORMATS", "load_checkpoint", "spec_of", "read_arrays", "evaluate",
    "predict", "check_output", "write_predictions",
]

INPUT_FORMATS = (".npy", ".npz", ".csv")
OUTPUT_FORMATS = (".npy", ".csv")


def load_checkpoint(checkpoint_dir: str):
    """(track, spec, model): the model of a `train` checkpoint folder, its weights restored."""
    path = os.path.join(checkpoint_dir, STATE_FILE)
    check_regular_file(path, f"corrupted checkpoint {checkpoint_dir}: file",
                       then="give the checkpoint_dir of a training run")
    if not os.path.isfile(path):
        raise UserError(f"{checkpoint_dir!r} is not a checkpoint folder of `tfmodels train` (it "
                        f"has no {STATE_FILE}); give the checkpoint_dir of a training run")
    with snapshot(checkpoint_dir) as copy:  # a run may be saving into the folder meanwhile
        state = load_state(os.path.join(copy, STATE_FILE))
        spec = spec_of(state)
        model = build(state.track, spec)
        try:
            resume(state.track, model, copy, spec, log=None)
        except BaseException:
            if state.track == "tf1":
                model.close()
            raise
    return state.track, spec, model


def spec_of(state) -> ModelSpec:
    """The spec a checkpoint was trained with: a registered model's, or rebuilt from the settings
    the checkpoint stores (a model of your own, from `--spec FILE`)."""
    fp = state.spec
    try:
        if state.model in MODELS:
            return get_spec(state.model, dataset=fp["dataset"], batch_size=fp["batch_size"],
                            seed=fp["seed"])
        return ModelSpec.from_dict({"name": state.model, **fp}, where=STATE_FILE)
    except (KeyError, TypeError) as e:
        raise UserError(f"corrupted checkpoint: {STATE_FILE} names no usable model settings "
                        f"({type(e).__name__}: {folded(e)})") from None


def read_arrays(path: str, need_labels: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Inputs (and labels) from a file: `.npz` with arrays `x` (and `y`), `.npy` or `.csv` of
    inputs, one sample per row (`.csv`: flat rows, reshaped to the model's input)."""
    if not path.endswith(INPUT_FORMATS):
        raise UserError(f"data={path!r}: expected a file ending in "
                        f"{', '.join(INPUT_FORMATS)}")
    check_regular_file(path, "data")  # a FIFO or a device is refused unread
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data={path!r}: no such file")
    try:
        if path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as f:
                if "x" not in f or (need_labels and "y" not in f):
                    wanted = "arrays x and y" if need_labels else "an array x"
                    raise UserError(f"data={path!r} holds {sorted(f.files)}; expected "
                                    f"{wanted}")
                return f["x"], (f["y"] if "y" in f else None)
        if need_labels:
            raise UserError(f"data={path!r}: evaluating needs labels too; give an .npz "
                            f"with arrays x and y")
        if path.endswith(".npy"):
            check_npy_header(path, "data")  # its claimed size, before a byte is allocated
            return np.load(path, allow_pickle=False), None
        return np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2), None
    except (OSError, ValueError, EOFError) as e:  # a damaged or foreign file
        if isinstance(e, UserError):
            raise
        raise UserError(f"data={path!r} cannot be read ({type(e).__name__}: "
                        f"{folded(e)})") from None


def _inputs(x, spec: ModelSpec, path: str) -> np.ndarray:
    if spec.several_inputs:
        raise UserError(f"data={path!r} holds one array x; model {spec.name!r} takes several "
                        f"named inputs ({', '.join(spec.input_names)}), which a data file does "
                        f"not carry: leave data out (its data set's validation split), or call "
                        f"the model from Python with a dict of arrays")
    x = np.asarray(x)
    check_real_numbers(x.dtype, f"data={path!r}: x")
    if x.ndim == 2 and len(spec.input_shape) > 1 and x.shape[1] == np.prod(spec.input_shape):
        x = x.reshape((len(x), *spec.input_shape))  # flat rows of a .csv
    return check_x(x, spec.input_shape, what=f"data={path!r}: x")


def _labels(y, x, spec: ModelSpec, path: str) -> np.ndarray:
    y = np.asarray(y)
    if spec.loss == "categorical_crossentropy" and y.ndim == 1 and y.dtype.kind in "iu":
        if y.size and (y.min() < 0 or y.max() >= spec.output_dim):
            raise UserError(f"data={path!r}: y: class numbers must be "
                            f"0..{spec.output_dim - 1}, got {y.min()}..{y.max()}")
        y = one_hot(y, spec.output_dim)  # class numbers, as the data sets store them
    return check_y(y, x, spec.output_dim, spec.loss, what=f"data={path!r}: y")


def evaluate(checkpoint_dir: str, data: str | None = None, mnist_path: str | None = None):
    """(spec, {"loss": ..., metric: ...}) on `data` (an .npz of x and y), or else on the
    validation split of the data set the model was trained on."""
    track, spec, model = load_checkpoint(checkpoint_dir)
    try:
        if mnist_path is not None and spec.dataset != "mnist":
            raise UserError(f"mnist_path is for a model trained on dataset=mnist, not "
                            f"{spec.dataset!r}; give its own data with data=FILE")
        if data:
            x, y = read_arrays(data, need_labels=True)
            x = _inputs(x, spec, data)
            y = _labels(y, x, spec, data)
        else:
            split = for_spec(load_dataset(spec.dataset, spec.seed, mnist_path, "mnist_path"), spec)
            x, y = split.x_val, split.y_val
        results = model.evaluate(x, y, batch_size=spec.batch_size, verbose=0, return_dict=True)
        ordered = ["loss", *sorted(set(results) - {"loss"})]  # both tracks' in one order
        return spec, {k: float(results[k]) for k in ordered}
    finally:
        if track == "tf1":
            model.close()


def predict(checkpoint_dir: str, data: str) -> tuple[ModelSpec, np.ndarray]:
    """(spec, the model's outputs for the inputs in `data`)."""
    x, _ = read_arrays(data, need_labels=False)
    track, spec, model = load_checkpoint(checkpoint_dir)
    try:
        return spec, np.asarray(model.predict(_inputs(x, spec, data), batch_size=spec.batch_size,
                                              verbose=0))
    finally:
        if track == "tf1":
            model.close()


def check_output(path: str) -> str:
    """`path` can take predictions: a .npy or .csv name in a folder that exists; its folder."""
    if not path.endswith(OUTPUT_FORMATS):
        raise UserError(f"output={path!r}: expected a file ending in "
                        f"{' or '.join(OUTPUT_FORMATS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"output={path!r}: no such folder {folder!r}")
    if os.path.isdir(path):  # said before the model is loaded, not when the file is replaced
        raise UserError(f"output={path!r} is a folder; give a file name in it (e.g. "
                        f"{os.path.join(path, 'predictions.npy')!r})")
    return folder


def write_predictions(predictions: np.ndarray, path: str) -> None:
    """`.npy` keeps the array as it is; `.csv` one row of outputs per sample."""
    folder = check_output(path)
    tmp = os.path.join(folder, f".tmp-{os.path.basename(path)}")
    try:  # written whole or not at all
        if path.endswith(".npy"):
            with open(tmp, "wb") as f:
                np.save(f, predictions)
        else:
            np.savetxt(tmp, predictions.reshape(len(predictions), -1), delimiter=",",
                       fmt="%.9g")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
