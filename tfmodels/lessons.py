"""What the lesson scripts share: their arguments, their log folders, a figure.

    python scripts/10_tf1_session_basics.py    # and the other numbered scripts

The lessons (`scripts/NN_*.py`) show their own code; this is only the plumbing around it.
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from tfmodels.core.logs import new_run_dir

__all__ = ["lesson_args", "summary_writer", "write_curves", "sine_figure_png"]

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
