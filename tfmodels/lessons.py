"""What the lesson scripts share: their arguments, their log folders, a figure.

    python scripts/10_tf1_session_basics.py    # and the other numbered scripts

The lessons (`scripts/NN_*.py`) show their own code; this is only the plumbing around it.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from tfmodels.core.logs import new_run_dir

__all__ = ["QUICK_ENV", "lesson_args", "seeded_glorot", "summary_writer", "write_curves",
           "log_figure", "sine_figure_png"]

# Set to 1, the lessons run their small (`--quick`) settings: how a notebook is told.
QUICK_ENV = "TFMODELS_LESSON_QUICK"

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
    in_kernel = "ipykernel" in sys.modules
    if unknown and not in_kernel:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.quick = args.quick or os.environ.get(QUICK_ENV) == "1"
    if not in_kernel and (args.quick or not sys.stdout.isatty()):
        _draw_off_screen()
    return args


def _draw_off_screen() -> None:
    """Matplotlib's Agg backend: `plt.show()` draws nothing and waits for no window (a test, a
    pipe); in a notebook the figures appear inline, on a terminal in a window."""
    import matplotlib

    matplotlib.use("Agg")


def seeded_glorot(model, seed: int = 0) -> list[np.ndarray]:
    """Starting weights for a model of Dense layers: Keras's own Glorot-uniform kernels and zero
    biases, drawn from NumPy's generator seeded with `seed` (as `core.spec.initial_weights`
    draws them), so that the tests can retrain the lesson's model in NumPy from the same start."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim == 2:
            limit = np.sqrt(6.0 / sum(w.shape))
            weights.append(rng.uniform(-limit, limit, w.shape).astype(np.float32))
        else:
            weights.append(np.zeros_like(w))
    return weights


def summary_writer(logdir: str, lesson: str, run: str = ""):
    """A `tf.summary` writer in a new run folder `<logdir>/<lesson>/<run-id>[/<run>]`."""
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


def log_figure(writer, tag: str, fig, step: int = 0) -> bytes:
    """The matplotlib figure as a PNG in TensorBoard's Images tab; returns the PNG."""
    import tensorflow as tf

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    with writer.as_default():
        tf.summary.image(tag, tf.io.decode_png(png)[tf.newaxis], step=step)
    writer.flush()
    return png


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
