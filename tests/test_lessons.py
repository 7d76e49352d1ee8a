"""The lessons' shared plumbing (`tfmodels.lessons`), and the map of concepts to lessons and tests.

What each lesson shows is checked by running it: tests/test_scripts.py (its printed numbers
against NumPy) and tests/test_lesson_notebooks.py (its code, and the lesson as a notebook).
"""

import numpy as np
import tensorflow as tf

from tests.helpers import images
from tfmodels import lessons


def test_c07_sine_figure_is_a_png():
    x = np.linspace(0, 1, 20)
    png = lessons.sine_figure_png(x, {"fit": np.sin(2 * np.pi * x)})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert tf.io.decode_png(png).shape[-1] in (3, 4)


def test_concepts_doc_names_an_existing_test_and_script_for_all_30_concepts():
    import os
    import re

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "concepts.md")) as f:
        rows = [line for line in f if re.match(r"\| C\d\d \|", line)]
    assert [row[2:5] for row in rows] == [f"C{i:02d}" for i in range(1, 31)]
    for row in rows:
        cells = row.split(" | ")
        tests, scripts = cells[-2], cells[-1]
        # `file.py::test`, `file.py` (all of it), or `::test` (in the file named before it)
        named = re.findall(r"`(test_\w+\.py)?(?:::(test_\w+(?:\[[\w.]+\])?))?", tests)
        assert any(file or test for file, test in named), f"{row[:5]} names no test"
        last_file = None
        for file, test in named:
            last_file = file or last_file
            assert last_file, row[:5]
            with open(os.path.join(root, "tests", last_file)) as f:
                source = f.read()
            test = test.split("[")[0]
            assert not test or f"def {test}(" in source, f"{row[:5]}: {last_file}::{test}"
        for script in re.findall(r"`(\d\d_\w+\.py)`", scripts):
            assert os.path.exists(os.path.join(root, "scripts", script)), script
        assert re.search(r"\d\d_\w+\.py", scripts), f"{row[:5]} names no script"


def test_seeded_glorot_is_the_projects_starting_point():
    """The lessons' on-page models start where `initial_weights` (which the NumPy retraining in
    test_scripts.py uses) starts: Glorot-uniform kernels drawn in layer order, zero biases."""
    import keras

    from tfmodels.core.registry import get_spec
    from tfmodels.core.spec import Dense, initial_weights

    spec = get_spec("sine", seed=3).replace(layers=(Dense(7, "relu"), Dense(5, "relu"), Dense(1)))
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(7), keras.layers.Dense(5),
                              keras.layers.Dense(1)])
    drawn = lessons.seeded_glorot(model, seed=3)
    for ours, theirs in zip(drawn, initial_weights(spec), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert np.abs(drawn[2]).max() <= np.sqrt(6 / (7 + 5)) and np.ptp(drawn[2]) > 0


def test_quick_lessons_draw_off_screen_and_log_their_figures(tmp_path):
    import matplotlib
    from matplotlib import pyplot as plt

    lessons.lesson_args("a lesson", ["--quick"])
    assert matplotlib.get_backend().lower() == "agg"  # plt.show() waits for no window
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [1, 0])
    writer = lessons.summary_writer(str(tmp_path), "lesson")
    png = lessons.log_figure(writer, "a_figure", fig)
    plt.close(fig)
    assert tf.io.decode_png(png).shape[:2] == (50, 100)
    (run,) = (tmp_path / "lesson").iterdir()
    assert "a_figure" in images(str(run))
