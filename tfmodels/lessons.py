"""The experiments of the notes' lessons, each a function a script shows and a test asserts.

    python scripts/04_sine_linear_vs_relu.py    # and the other numbered scripts

Every function trains through the project's two tracks (`build_model`, `tf1_compat.model.Model`)
and returns plain numbers; the scripts print them and log them to TensorBoard.
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from tfmodels.core.data import Data, load_dataset, steps_per_epoch
from tfmodels.core.logs import new_run_dir
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import LayerSpec, OptimizerSpec, initial_weights

# --- what every lesson script shares -----------------------------------------------------------


def lesson_args(description: str, argv=None) -> argparse.Namespace:
    """`--logdir` (default logs) and `--quick` (the small settings the tests run).

    A lesson opened as a notebook runs in a Jupyter kernel, whose `sys.argv` holds the kernel's
    own `-f /path/kernel-....json`: there unknown arguments are left alone; on the command line
    they are an error, as a mistyped option should be.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--logdir", default="logs", help="TensorBoard log folder (logs)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for tests")
    args, unknown = parser.parse_known_args(argv)
    if unknown and "ipykernel" not in sys.modules:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def summary_writer(logdir: str, lesson: str, run: str = ""):
    """A `tf.summary` writer in a new run folder `<logdir>/<lesson>/<run-id>[/<run>]`."""
    import os

    import tensorflow as tf

    run_dir = new_run_dir(logdir, lesson)
    return tf.summary.create_file_writer(os.path.join(run_dir, run) if run else run_dir)


def write_curves(writer, tag: str, curves: dict) -> None:
    """One scalar series per curve, under `<tag>/<name>`, a point per epoch."""
    import tensorflow as tf

    with writer.as_default():
        for name, values in curves.items():
            for step, value in enumerate(values):
                tf.summary.scalar(f"{tag}/{name}", value, step=step)
    writer.flush()


def _fit_keras(spec, data: Data, weights=None, validation=False):
    from tfmodels.keras_track.model import build_model

    model = build_model(spec, weights)
    history = model.fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                        epochs=spec.epochs, verbose=0,
                        validation_data=(data.x_val, data.y_val) if validation else None)
    return model, history.history


# --- C07: why non-linearity --------------------------------------------------------------------


def fit_sine(activation: str, epochs: int = 20, seed: int = 0):
    """The notes' sine regressor (2 x Dense(64) -> Dense(1)) with `activation` in its hidden
    layers; returns (training loss per epoch, x, the fitted curve)."""
    spec = get_spec("sine", epochs=epochs, seed=seed).replace(
        layers=(LayerSpec(64, activation), LayerSpec(64, activation), LayerSpec(1)))
    data = load_dataset("sine", seed)
    model, history = _fit_keras(spec, data)
    return history["loss"], data.x_val, model.predict(data.x_val, verbose=0)


def relu_pieces(x):
    """NNFS's pieces: one ReLU neuron `relu(x - 0.5)` is flat, then a ramp from x = 0.5; a
    second neuron on top, `relu(1 - 2 h)`, turns the ramp into a piece that ends at x = 1.
    Returns both as Keras computes them (float32)."""
    import keras

    one = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="relu")])
    one.set_weights([np.array([[1.0]]), np.array([-0.5])])
    two = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="relu"),
                            keras.layers.Dense(1, activation="relu")])
    two.set_weights([np.array([[1.0]]), np.array([-0.5]), np.array([[-2.0]]), np.array([1.0])])
    x = np.asarray(x, np.float32).reshape(-1, 1)
    return one.predict(x, verbose=0)[:, 0], two.predict(x, verbose=0)[:, 0]


def sine_figure_png(x, fits: dict) -> bytes:
    """A PNG of sin(2 pi x) and each fitted curve, drawn with matplotlib's Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
    ax.plot(x, np.sin(2 * np.pi * x), "k--", label="sin(2 pi x)")
    for label, y in fits.items():
        ax.plot(x, y, label=label)
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


# --- C04, C05: input scaling, initialisation ---------------------------------------------------


def scaling_effect(epochs: int = 5, seed: int = 0) -> dict:
    """The digits MLP trained with SGD on pixels scaled to 0..1 and on raw bytes 0..255;
    returns each run's final training loss. Raw bytes make the first layer's sums and
    gradients 255 times larger: the same learning rate overshoots."""
    spec = get_spec("mnist_mlp", epochs=epochs, seed=seed, batch_size=32).replace(
        optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
    data = load_dataset("digits")
    raw = Data(data.x_train * 255, data.y_train, data.x_val * 255, data.y_val)
    return {name: _fit_keras(spec, d)[1]["loss"][-1] for name, d in
            (("scaled 0..1", data), ("raw 0..255", raw))}


def zero_init_units(epochs: int = 3, seed: int = 0) -> dict:
    """A spiral MLP with sigmoid hidden units trained from all-zero weights in both tracks.

    Every hidden unit computes the same thing and gets the same gradient, so their kernel
    columns stay equal to each other for ever: returns each track's first kernel.
    """
    from tf1_compat.model import Model

    spec = get_spec("spiral", epochs=epochs, seed=seed).replace(
        layers=(LayerSpec(8, "sigmoid"), LayerSpec(3, "softmax")))
    zeros = [np.zeros_like(w) for w in initial_weights(spec)]
    data = load_dataset("spiral", seed)
    model, _ = _fit_keras(spec, data, zeros)
    with Model(spec, zeros) as tf1_model:
        tf1_model.fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                      epochs=spec.epochs, verbose=0)
        tf1_kernel = tf1_model.get_weights()[0]
    return {"keras": model.get_weights()[0], "tf1": tf1_kernel}


# --- C10, C11, C28: learning rates, batch sizes, overfitting ------------------------------------


def learning_rate_curves(rates=(1e-4, 0.1, 5.0), epochs: int = 5, seed: int = 0) -> dict:
    """Training loss per epoch of the digits MLP under plain gradient descent at each rate:
    too low barely moves, too high jumps out of the valley (or overflows to NaN)."""
    data = load_dataset("digits")
    curves = {}
    for rate in rates:
        spec = get_spec("mnist_mlp", epochs=epochs, seed=seed, batch_size=32).replace(
            optimizer=OptimizerSpec("sgd", {"learning_rate": rate}))
        curves[f"lr={rate:g}"] = _fit_keras(spec, data)[1]["loss"]
    return curves


def batch_size_curves(sizes=(1, 32, 300), epochs: int = 5, seed: int = 0) -> dict:
    """C11: stochastic (1), mini-batch (32) and full-batch (300) gradient descent on the spiral:
    loss per epoch and the number of updates each made."""
    data = load_dataset("spiral", seed)
    out = {}
    for size in sizes:
        spec = get_spec("spiral", epochs=epochs, seed=seed, batch_size=size).replace(
            optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
        model, history = _fit_keras(spec, data)
        out[f"batch={size}"] = (history["loss"], int(model.optimizer.iterations))
    return out


def overfitting_curves(epochs: int = 150, samples: int = 40, seed: int = 0) -> dict:
    """The digits MLP on only `samples` training images: training loss keeps falling while the
    validation loss turns and rises. Returns both curves."""
    spec = get_spec("mnist_mlp", epochs=epochs, seed=seed, batch_size=samples).replace(
        optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}))
    data = load_dataset("digits")
    few = Data(data.x_train[:samples], data.y_train[:samples], data.x_val, data.y_val)
    _, history = _fit_keras(spec, few, validation=True)
    return {"train": history["loss"], "validation": history["val_loss"]}


# --- C14: iterations ---------------------------------------------------------------------------


def iterations_run(samples: int, batch_size: int, epochs: int, seed: int = 0) -> dict:
    """The updates each track actually made, beside ceil(N / batch) x epochs."""
    from tf1_compat.model import Model

    spec = get_spec("binary4", epochs=epochs, batch_size=batch_size, seed=seed)
    data = load_dataset("binary4", seed)
    x, y = data.x_train[:samples], data.y_train[:samples]
    few = Data(x, y, data.x_val, data.y_val)
    model, _ = _fit_keras(spec, few)
    with Model(spec) as tf1_model:
        tf1_model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        tf1_iterations = tf1_model.iterations
    return {"expected": steps_per_epoch(samples, batch_size) * epochs,
            "keras": int(model.optimizer.iterations), "tf1": tf1_iterations}
