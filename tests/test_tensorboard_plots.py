"""The numbers behind the pictures (`tfmodels.core.plots`), and that each picture draws."""

import numpy as np
import pytest
import tensorflow as tf

from tfmodels.core import plots
from tfmodels.core.data import Data
from tfmodels.core.registry import get_spec


def test_confusion_counts_put_true_classes_in_rows():
    counts = plots.confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_class_of_reads_softmax_rows_and_sigmoid_columns():
    np.testing.assert_array_equal(plots.class_of([[0.1, 0.9], [0.8, 0.2]]), [1, 0])
    np.testing.assert_array_equal(plots.class_of([[0.7], [0.2]]), [1, 0])


def test_best_line_is_the_least_squares_line():
    x = np.linspace(0, 1, 50)
    assert plots.best_line(x, 3 * x - 2) == pytest.approx((3.0, -2.0))
    # on a full period of a sine the best line is far from the curve: what ReLU layers fix
    x = np.arange(1000) / 1000
    slope, intercept = plots.best_line(x, np.sin(2 * np.pi * x))
    residual = np.sin(2 * np.pi * x) - (slope * x + intercept)
    assert np.sqrt(np.mean(residual ** 2)) > 0.4


@pytest.mark.parametrize("name, tags", [
    ("binary4", {"activation_functions", "confusion_matrix"}),
    ("spiral", {"activation_functions", "confusion_matrix", "decision_regions"}),
])
def test_log_pictures_draws_the_pictures_that_fit_the_model(name, tags):
    spec = get_spec(name)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, spec.input_dim)).astype(np.float32)
    y = np.eye(spec.output_dim, dtype=np.float32)[rng.integers(0, spec.output_dim, 40)] \
        if spec.output_dim > 1 else rng.integers(0, 2, (40, 1)).astype(np.float32)
    written = []

    class Writer:
        def image(self, split, tag, png, step):
            pixels = tf.io.decode_png(png).numpy()
            written.append((split, tag, step, pixels.shape))

    def predict(inputs, batch_size=None, verbose=0):
        return np.full((len(inputs), spec.output_dim), 1.0 / spec.output_dim)

    assert set(plots.log_pictures(Writer(), spec, Data(x, y, x, y), predict,
                                  lambda n: np.tanh, step=7)) == tags
    assert {(split, tag) for split, tag, _, _ in written} == {
        ("train" if tag == "activation_functions" else "validation", tag) for tag in tags}
    assert all(step == 7 and shape[2] == 4 and shape[1] > 100 for _, _, step, shape in written)
