"""The pictures a learner would rather look at than read, as PNGs for TensorBoard's Images tab.

Each `*_figure` function draws one matplotlib figure from NumPy arrays; `log_pictures` picks the
ones that fit a model and hands the PNGs to a track's image writer, which logs them through that
track's own summaries (`tf.summary.image` for Keras, a `tf.compat.v1.Summary` image for TF1).
Both tracks draw from their own predictions, so the pictures are a visual parity check too.

Figures are made with `matplotlib.figure.Figure` and the Agg canvas, not `pyplot`: no display
is needed, and no global list of open figures grows while training.
"""

from __future__ import annotations

import io

import numpy as np

from tfmodels.core import reference

__all__ = [
    "PLOTTED_ACTIVATIONS", "TAGS", "png", "activations_figure", "best_line", "sine_figure",
    "decision_regions_figure", "class_of", "confusion_counts", "confusion_figure",
    "misclassified_figure", "filters_figure", "feature_maps_figure", "log_pictures",
]

# The activations of the notes (C06) that map a number to a number; softmax maps a vector.
PLOTTED_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")

TAGS = {
    "activations": "activation_functions",
    "sine": "sine_fit_linear_vs_relu",
    "regions": "decision_regions",
    "confusion": "confusion_matrix",
    "misclassified": "misclassified_digits",
    "filters": "conv_filters",
    "feature_maps": "conv_feature_maps",
}


def _figure(width: float, height: float, **subplots):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots(**subplots)


def png(figure) -> bytes:
    """A figure as PNG bytes (RGBA), through the Agg canvas."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72)
    return buffer.getvalue()


def activations_figure(functions: dict):
    """Each activation and its slope on [-4, 4]; `functions`: name -> NumPy function."""
    figure, axes = _figure(3 * len(functions), 2.8, ncols=len(functions), squeeze=False)
    x = np.linspace(-4, 4, 401, dtype=np.float32)
    for ax, (name, function) in zip(axes[0], functions.items()):
        y = np.asarray(function(x), dtype=np.float64)
        ax.plot(x, y, label=name)
        ax.plot(x, np.gradient(y, x), "--", label="slope")
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(name)
        ax.legend(loc="upper left", fontsize=8)
    return figure


def best_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept: the best any model without an activation can do.

    Dense layers without activations compose to one affine map, so however deep, a linear
    network fitting `y(x)` ends at (or short of) this line.
    """
    slope, intercept = np.polyfit(np.ravel(x), np.ravel(y), 1)
    return float(slope), float(intercept)


def sine_figure(x, y, predict, line: tuple[float, float]):
    """Data, the ReLU network's curve and the best straight line."""
    figure, ax = _figure(5, 3.2)
    grid = np.linspace(float(np.min(x)), float(np.max(x)), 200, dtype=np.float32)[:, None]
    ax.scatter(np.ravel(x), np.ravel(y), s=4, color="lightgray", label="data")
    ax.plot(grid, line[0] * grid + line[1], label="linear (best line)")
    ax.plot(grid, np.ravel(predict(grid)), label="ReLU network")
    ax.legend(fontsize=8)
    ax.set_title("sine: linear vs ReLU")
    return figure


def decision_regions_figure(x, labels, predict, steps: int = 120):
    """The class a model picks at each point of the plane, with the data on top."""
    figure, ax = _figure(4, 4)
    lo, hi = x.min(axis=0) - 0.1, x.max(axis=0) + 0.1
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    regions = class_of(predict(grid)).reshape(gx.shape)
    ax.contourf(gx, gy, regions, alpha=0.3, cmap="brg")
    ax.scatter(x[:, 0], x[:, 1], c=labels, s=6, cmap="brg")
    ax.set_title("decision regions")
    return figure


def class_of(outputs: np.ndarray) -> np.ndarray:
    """Class labels from a model's outputs: argmax of softmax rows, or a sigmoid above 0.5."""
    outputs = np.asarray(outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (np.ravel(outputs) > 0.5).astype(np.int64)


def confusion_counts(labels, predicted, classes: int) -> np.ndarray:
    """`counts[true, predicted]`."""
    counts = np.zeros((classes, classes), np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    return counts


def confusion_figure(counts: np.ndarray):
    figure, ax = _figure(4.5, 4)
    ax.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7,
                color="white" if n > counts.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(range(len(counts)))
    ax.set_yticks(range(len(counts)))
    ax.set_title("confusion matrix (validation)")
    return figure


def misclassified_figure(x, labels, predicted, count: int = 12):
    """Up to `count` validation images the model got wrong, titled `true -> predicted`."""
    wrong = np.flatnonzero(np.asarray(labels) != np.asarray(predicted))[:count]
    x = np.reshape(x, (len(x), -1))  # flat rows, images or sequences of rows alike
    side = int(round(np.sqrt(x.shape[1])))
    figure, axes = _figure(8, 2.2, ncols=count, squeeze=False)
    for ax in axes[0]:
        ax.axis("off")
    for ax, i in zip(axes[0], wrong):
        ax.imshow(x[i].reshape(side, side), cmap="gray_r")
        ax.set_title(f"{labels[i]}→{predicted[i]}", fontsize=8)
    figure.suptitle(f"misclassified: {len(np.flatnonzero(labels != predicted))} of {len(x)}")
    return figure


def filters_figure(kernel: np.ndarray):
    """A first convolution's kernels (height, width, 1 channel, filters), one tile each."""
    count = kernel.shape[-1]
    figure, axes = _figure(1.1 * count, 1.4, ncols=count, squeeze=False)
    for i, ax in enumerate(axes[0]):
        ax.imshow(kernel[:, :, 0, i], cmap="RdBu_r")
        ax.set_title(f"filter {i}", fontsize=7)
        ax.axis("off")
    figure.suptitle("first Conv2D layer: its filters")
    return figure


def feature_maps_figure(image: np.ndarray, maps: np.ndarray):
    """One image and what each filter of the first convolution makes of it."""
    count = maps.shape[-1]
    figure, axes = _figure(1.1 * (count + 1), 1.4, ncols=count + 1, squeeze=False)
    axes[0][0].imshow(image[:, :, 0], cmap="gray_r")
    axes[0][0].set_title("input", fontsize=7)
    for i, ax in enumerate(axes[0][1:]):
        ax.imshow(maps[:, :, i], cmap="viridis")
        ax.set_title(f"map {i}", fontsize=7)
    for ax in axes[0]:
        ax.axis("off")
    figure.suptitle("first Conv2D layer: feature maps (NumPy, from the trained weights)")
    return figure


def _is_square_image(n_features: int) -> bool:
    side = int(round(np.sqrt(n_features)))
    return side * side == n_features and side >= 8


def log_pictures(writer, spec, data, predict, activation, step: int,
                 weights=None) -> list[str]:
    """Draw the pictures that fit `spec` and log them through `writer.image(split, tag, png)`.

    `predict` is the track's `model.predict`; `activation(name)` its activation as a NumPy
    function; `weights` the model's `get_weights()` (for a convnet's filters and feature maps).
    Returns the tags written. The activations go to the `train` run; the pictures of the
    validation data to `validation`.
    """
    def predict_quietly(x):
        return predict(x, batch_size=max(len(x), 1), verbose=0)

    written = []

    def log(split, key, figure):
        writer.image(split, TAGS[key], png(figure), step)
        written.append(TAGS[key])

    log("train", "activations",
        activations_figure({name: activation(name) for name in PLOTTED_ACTIVATIONS}))
    if spec.loss in ("mean_squared_error", "mean_absolute_error") and spec.input_dim == 1:
        log("validation", "sine", sine_figure(data.x_val, data.y_val, predict_quietly,
                                              best_line(data.x_train, data.y_train)))
    first = spec.layers[0]
    if weights is not None and first.kind == "Conv2D" and spec.input_shape[-1] == 1 \
            and spec.wiring.sources[0] == (-1,) and not getattr(spec, "inputs", None):
        # the filters that see the image itself (of a model of one input)
        kernel, bias = weights[0], weights[1]
        log("train", "filters", filters_figure(kernel))
        maps = reference.conv2d_forward(np.asarray(data.x_val[:1], np.float32), kernel, bias,
                                        first.strides, first.padding)[0]
        log("validation", "feature_maps", feature_maps_figure(data.x_val[0], maps))
    if spec.loss in ("categorical_crossentropy", "binary_crossentropy",
                     "sparse_categorical_crossentropy"):
        labels = (np.asarray(data.y_val).astype(np.int64).ravel() if spec.sparse_labels
                  else class_of(data.y_val))
        predicted = class_of(predict_quietly(data.x_val))
        if spec.input_dim == 2 and not getattr(spec, "inputs", None):
            log("validation", "regions",
                decision_regions_figure(data.x_val, labels, predict_quietly))
        classes = max(spec.output_dim, 2)
        log("validation", "confusion",
            confusion_figure(confusion_counts(labels, predicted, classes)))
        if _is_square_image(spec.input_dim) and spec.dataset in ("digits", "mnist"):
            log("validation", "misclassified",
                misclassified_figure(data.x_val, labels, predicted))
    return written
