"""Data sets of the notes, and the one batching helper both tracks train from.

Every data set here is made on this machine or shipped with a package (scikit-learn's 8x8
digits), so tests and the default run work offline. Real MNIST goes through
`keras.datasets.mnist.load_data`, as in Chollet's book; where it cannot be had, the error says
which file to put where.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from typing import NamedTuple

import numpy as np

from tfmodels.core.checks import check_regular_file
from tfmodels.core.errors import UserError, folded

__all__ = [
    "LAYOUTS", "Data", "one_hot", "spiral_data", "sine_data", "load_digits", "mnist_cache_path",
    "load_mnist", "MNIST_KEYS", "read_mnist_npz", "load_spiral", "load_sine", "load_binary4",
    "TOKENS", "token_data", "load_tokens", "DATASETS", "load_dataset", "for_spec",
    "steps_per_epoch", "batch_indices", "untuned", "split_validation", "load_digits_plus",
]

# The layouts of the notes, as example shapes: the batch (samples) axis always first (C03).
LAYOUTS = {
    "scalar": (),
    "vectors": (128, 20),  # (samples, features)
    "sequences": (128, 50, 20),  # (samples, steps, features)
    "images": (128, 28, 28, 3),  # (samples, height, width, channels): channels last
    "images_channels_first": (128, 3, 28, 28),  # (samples, channels, height, width)
    "video": (4, 16, 64, 64, 3),  # (samples, frames, height, width, channels)
}


class Data(NamedTuple):
    """Training and validation arrays, float32, labels shaped like the model's output. For a
    model of several named inputs, `x_train` and `x_val` are dicts: input name -> array."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def one_hot(labels, classes: int) -> np.ndarray:
    """Integer class labels -> one-hot rows (C29), float32."""
    return np.eye(classes, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


# --- the NNFS data sets, by their NNFS definitions --------------------------------------------

def spiral_data(samples: int, classes: int, rng=None):
    """NNFS `spiral_data`: `classes` arms of `samples` points each, radius 0..1, noisy angle."""
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples)
        t = t + rng.standard_normal(samples) * 0.2
        x[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = class_number
    return x, y


def sine_data(samples: int = 1000):
    """NNFS `sine_data`: x evenly spaced on [0, 1), y = sin(2*pi*x); both shaped (samples, 1)."""
    x = np.arange(samples).reshape(-1, 1) / samples
    y = np.sin(2 * np.pi * x).reshape(-1, 1)
    return x, y


# --- loaders, one per data set name ------------------------------------------------------------

def load_digits() -> Data:
    """scikit-learn's bundled 8x8 digits (1,797 images): an offline MNIST in miniature.

    Pixels 0..16 are scaled to 0..1 (C04); a fixed 80/20 split, the same for every seed.
    """
    from sklearn.datasets import load_digits as _sk_digits

    digits = _sk_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = one_hot(digits.target, 10)
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(0.8 * len(x))
    return Data(x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]])


def mnist_cache_path() -> str:
    """Where `keras.datasets.mnist.load_data()` looks for (and would download) `mnist.npz`."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "datasets", "mnist.npz")


def load_mnist(path: str | None = None, option: str = "path") -> Data:
    """Real MNIST, 28x28 flattened to 784 and scaled to 0..1; the 10,000 test images validate.

    `path` is an `mnist.npz` (keys x_train, y_train, x_test, y_test); without it, Keras's own
    loader is used, which reads its cache or downloads. `option` is the name the caller gave
    the path under (`path`, or e.g. `mnist_path`), for the messages: `path=...`.
    """
    if path is not None:
        (x_tr, y_tr), (x_te, y_te) = read_mnist_npz(path, option)
    else:
        import keras

        try:  # its "Downloading data from ..." and progress bar are progress: not on stdout,
            # where a refusal has nothing printed before it
            with contextlib.redirect_stdout(sys.stderr):
                (x_tr, y_tr), (x_te, y_te) = keras.datasets.mnist.load_data()
        except Exception as e:  # no network, no cache: say what to do instead
            raise FileNotFoundError(
                f"MNIST is not available offline ({type(e).__name__}); put mnist.npz at "
                f"{mnist_cache_path()} or pass {option}=PATH/TO/mnist.npz"
            ) from e

    def prep(x, y):
        return (x.reshape(len(x), -1) / 255.0).astype(np.float32), one_hot(y, 10)

    return Data(*prep(x_tr, y_tr), *prep(x_te, y_te))


MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_mnist_npz(path: str, option: str = "path"):
    """`((x_train, y_train), (x_test, y_test))` of an mnist.npz, checked: 28x28 images of
    finite numbers, as many digit labels 0..9; else one line naming the file and what is wrong."""
    check_regular_file(path, option)  # a FIFO or a device is refused unread
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{option}={path!r}: no such file; expected an mnist.npz")
    try:
        with np.load(path, allow_pickle=False) as f:
            if not set(MNIST_KEYS) <= set(f.files):
                raise UserError(f"{option}={path!r} holds {sorted(f.files)}; expected "
                                f"{', '.join(MNIST_KEYS)} (keras.datasets.mnist's mnist.npz)")
            arrays = {k: f[k] for k in MNIST_KEYS}
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - zipfile, pickle, EOF, ...: a damaged or foreign file
        raise UserError(f"{option}={path!r} is not a readable .npz ({type(e).__name__}: "
                        f"{folded(e)}); expected an mnist.npz") from None
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        where = f"{option}={path!r}: x_{part}"
        if x.ndim < 1 or len(x) == 0:
            raise UserError(f"{where} is empty (shape {x.shape}); expected 28x28 images")
        if x.shape[1:] not in ((28, 28), (784,)):
            raise UserError(f"{where} has images of shape {x.shape[1:]}; expected 28x28 "
                            f"(784 pixels)")
        if x.dtype.kind not in "uif":
            raise UserError(f"{where} must hold numbers, got an array of {x.dtype}")
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            raise UserError(f"{where} holds {int((~np.isfinite(x)).sum())} NaN or infinite "
                            f"value(s), the first in image {int(np.flatnonzero(bad)[0])}")
        label = f"{option}={path!r}: y_{part}"
        if y.ndim != 1 or len(y) != len(x):
            raise UserError(f"{where} has {len(x)} images but y_{part} has "
                            f"{len(y) if y.ndim else 0} labels (shape {y.shape}); expected one "
                            f"digit per image")
        if y.dtype.kind not in "uif":
            raise UserError(f"{label} must hold digits 0..9, got an array of {y.dtype}")
        wrong = np.flatnonzero((y != np.round(y)) | (y < 0) | (y > 9))
        if wrong.size:
            raise UserError(f"{label} must hold digits 0..9; sample {wrong[0]} is "
                            f"{y[wrong[0]].item()!r}")
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))


def load_spiral(seed: int = 0) -> Data:
    """NNFS spiral, 3 classes x 100 points; validation is a fresh draw of the same spiral."""
    rng = np.random.default_rng(seed)
    x, y = spiral_data(100, 3, rng)
    xv, yv = spiral_data(100, 3, rng)
    return Data(x.astype(np.float32), one_hot(y, 3), xv.astype(np.float32), one_hot(yv, 3))


def load_sine(seed: int = 0) -> Data:
    """NNFS sine, 1,000 points; validation on a 200-point grid offset between training points."""
    x, y = sine_data(1000)
    xv = (np.arange(200).reshape(-1, 1) + 0.5) / 200
    f32 = np.float32
    return Data(x.astype(f32), y.astype(f32), xv.astype(f32), np.sin(2 * np.pi * xv).astype(f32))


def load_binary4(seed: int = 0) -> Data:
    """4 standard-normal features; label 1 when a fixed linear score plus noise is positive."""
    rng = np.random.default_rng(seed)
    w = np.array([1.5, -2.0, 0.5, 1.0])
    x = rng.standard_normal((600, 4))
    y = (x @ w + 0.5 * rng.standard_normal(600) > 0).astype(np.float32).reshape(-1, 1)
    x = x.astype(np.float32)
    return Data(x[:500], y[:500], x[500:], y[500:])


# The token data set: sequences of `steps` token ids from a vocabulary of `vocabulary`; ids 1
# and 2 are the two markers, 3 and up the filler (0 is never drawn: the id a padding would take).
TOKENS = {"steps": 10, "vocabulary": 10}


def token_data(samples: int, rng, steps: int = TOKENS["steps"],
               vocabulary: int = TOKENS["vocabulary"]):
    """`(ids, labels)`: each sequence holds markers 1 and 2 once each, at random places among
    filler tokens; the label is 1 where 1 comes before 2. The same tokens in another order
    change the label: a bag of words cannot tell, a recurrent layer can. Ids as float32 (exact
    integers: the models' inputs are float32, an Embedding casts them back)."""
    ids = rng.integers(3, vocabulary, (samples, steps))
    places = np.argsort(rng.random((samples, steps)), axis=1)[:, :2]  # two distinct places
    rows = np.arange(samples)
    ids[rows, places[:, 0]] = 1
    ids[rows, places[:, 1]] = 2
    return ids.astype(np.float32), (places[:, 0] < places[:, 1]).astype(np.int64)


def load_tokens(seed: int = 0) -> Data:
    """Token sequences (`token_data`), 1,000 to train and 300 to validate, labels one-hot (two
    classes: 2 before 1, 1 before 2)."""
    rng = np.random.default_rng(seed)
    x, y = token_data(1000, rng)
    xv, yv = token_data(300, rng)
    return Data(x, one_hot(y, 2), xv, one_hot(yv, 2))


def load_digits_plus(seed: int = 0) -> Data:
    """The digits (`load_digits`) as two inputs: `image`, the 8x8 picture, and `extra`, one
    number that says whether the digit is 5 or more (0.25 or 0.75), blurred by noise of
    standard deviation 0.15 drawn from a fixed seed (17), the same for every `seed`: a second
    input that carries part of the label, as a model of an image and a scalar feature has."""
    digits = load_digits()
    rng = np.random.default_rng(17)

    def extra(y):
        big = (np.argmax(y, axis=1) >= 5).astype(np.float64)
        return (0.25 + 0.5 * big + 0.15 * rng.standard_normal(len(y))).astype(
            np.float32).reshape(-1, 1)

    return Data({"image": digits.x_train.reshape(-1, 8, 8, 1), "extra": extra(digits.y_train)},
                digits.y_train,
                {"image": digits.x_val.reshape(-1, 8, 8, 1), "extra": extra(digits.y_val)},
                digits.y_val)


# name -> (input features, loader(seed, path))
DATASETS = {
    "digits": (64, lambda seed, path: load_digits()),
    "mnist": (784, lambda seed, path, option="path": load_mnist(path, option)),
    "spiral": (2, lambda seed, path: load_spiral(seed)),
    "sine": (1, lambda seed, path: load_sine(seed)),
    "binary4": (4, lambda seed, path: load_binary4(seed)),
    "tokens": (TOKENS["steps"], lambda seed, path: load_tokens(seed)),
    "digits_plus": (65, lambda seed, path: load_digits_plus(seed)),
}


def load_dataset(name: str, seed: int = 0, path: str | None = None,
                 option: str = "path") -> Data:
    """Data set `name`; `path` (named `option` in the messages) is an mnist.npz."""
    if name not in DATASETS:
        raise UserError(
            f"unknown dataset {name!r}; expected one of: {', '.join(sorted(DATASETS))}"
        )
    if path is not None and name != "mnist":
        raise UserError(f"{option}={path!r} is for dataset=mnist, not {name!r}")
    if path is not None:
        return DATASETS[name][1](seed, path, option)
    return DATASETS[name][1](seed, path)


def for_spec(data: Data, spec) -> Data:
    """`data` as `spec` takes it: each sample reshaped to `spec.input_shape` (the 8x8 digits as
    images `(8, 8, 1)` or as 8 rows of 8 `(8, 8)`), and one-hot labels as class numbers for a
    sparse loss. One line where the sizes do not fit. A model of several named inputs takes
    a dict of arrays, each input's reshaped to its shape (`_named_for_spec`)."""
    x_train, y_train, x_val, y_val = data
    if isinstance(x_train, dict) or getattr(spec, "inputs", None):
        x_train, x_val = _named_for_spec(x_train, x_val, spec)
        return _labels_for_spec(Data(x_train, y_train, x_val, y_val), spec)
    shape = tuple(spec.input_shape)
    if tuple(np.shape(x_train)[1:]) != shape:
        size = int(np.prod(np.shape(x_train)[1:]))
        if size != int(np.prod(shape)):
            raise UserError(f"data set {spec.dataset!r} has samples of shape "
                            f"{tuple(np.shape(x_train)[1:])} ({size} numbers); model "
                            f"{spec.name!r} takes input_shape {shape}")
        x_train = np.reshape(x_train, (-1, *shape))
        x_val = np.reshape(x_val, (-1, *shape))
    return _labels_for_spec(Data(x_train, y_train, x_val, y_val), spec)


def _named_for_spec(x_train, x_val, spec) -> tuple:
    """A data set of named inputs (dicts) for a spec of named inputs: the same names, each
    input reshaped to its shape; one line where the two do not fit."""
    shapes = spec.input_shapes_by_name if getattr(spec, "inputs", None) else None
    if shapes is None or not isinstance(x_train, dict):
        have = (f"inputs {list(x_train)}" if isinstance(x_train, dict)
                else "one input")
        want = f"inputs {list(shapes)}" if shapes else f"one input of shape {spec.input_shape}"
        raise UserError(f"data set {spec.dataset!r} has {have}; model {spec.name!r} takes "
                        f"{want}: choose a data set of its kind")
    if set(x_train) != set(shapes):
        raise UserError(f"data set {spec.dataset!r} has inputs {list(x_train)}; model "
                        f"{spec.name!r} takes inputs {list(shapes)}")
    out = []
    for x in (x_train, x_val):
        reshaped = {}
        for name, shape in shapes.items():
            sample = tuple(np.shape(x[name])[1:])
            if int(np.prod(sample)) != int(np.prod(shape)):
                raise UserError(f"data set {spec.dataset!r} has {name!r} samples of shape "
                                f"{sample}; model {spec.name!r} takes {name!r} of shape {shape}")
            reshaped[name] = np.reshape(x[name], (-1, *shape))
        out.append(reshaped)
    return tuple(out)


def _labels_for_spec(data: Data, spec) -> Data:
    """`data`'s one-hot labels as class numbers for a sparse loss; one line where the labels
    do not fit the model's output."""
    x_train, y_train, x_val, y_val = data
    if spec.sparse_labels and np.ndim(y_train) == 2 and np.shape(y_train)[1] > 1:
        y_train = np.argmax(y_train, axis=1).astype(np.float32)
        y_val = np.argmax(y_val, axis=1).astype(np.float32)
    labels = tuple(np.shape(y_train)[1:])
    if labels not in (tuple(spec.label_shape), (1,) if spec.sparse_labels else None):
        raise UserError(f"data set {spec.dataset!r} has labels of shape {labels}; model "
                        f"{spec.name!r} ({spec.loss}) takes labels of shape "
                        f"{tuple(spec.label_shape)}: choose a data set of its kind")
    return Data(x_train, y_train, x_val, y_val)


# --- batching: the one helper that feeds both tracks -------------------------------------------

def steps_per_epoch(num_samples: int, batch_size: int) -> int:
    """Iterations in one epoch: ceil(N / batch) (C14); the last batch may be partial."""
    return math.ceil(num_samples / batch_size)


def batch_indices(num_samples: int, batch_size: int, *, epoch: int = 0, seed: int = 0,
                  shuffle: bool = True) -> list[np.ndarray]:
    """The sample indices of every batch of one epoch, in order.

    With `shuffle`, each epoch is a fresh permutation drawn from (seed, epoch) alone, so any
    epoch's batches can be rebuilt without replaying the ones before it (and both tracks, and a
    resumed run, see the same batches).
    """
    if shuffle:
        order = np.random.default_rng([seed, epoch]).permutation(num_samples)
    else:
        order = np.arange(num_samples)
    return [order[i:i + batch_size] for i in range(0, num_samples, batch_size)]


def untuned(dataset):
    """`dataset` with tf.data's autotuning off, for the tracks' pipelines of batch indices.

    They have nothing to tune (an epoch's order, batched; rows gathered per step), and with
    autotuning on, re-initialising the TF1 track's iterator for the next epoch now and then sat
    idle for 0.5-3 s (0.1 s of CPU) once other tf.data pipelines had run in the process: an epoch
    of 60,000 at batch 128 fell from ~50k to ~7k samples/s in `tfmodels bench`. With it off, none
    of 15 epochs waited.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def split_validation(x, y, fraction: float):
    """Keras's `validation_split`: the last `fraction` of the samples, taken before shuffling."""
    if not 0.0 < fraction < 1.0:
        raise UserError(f"validation_split must be between 0 and 1, got {fraction!r}")
    cut = int(math.floor(len(x) * (1.0 - fraction)))
    if cut == 0 or cut == len(x):
        raise UserError(f"validation_split={fraction} leaves an empty split of {len(x)} samples")
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
