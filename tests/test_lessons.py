"""The lessons of the notes, asserted: what each experiment in `tfmodels.lessons` must show."""

import numpy as np
import tensorflow as tf

from tfmodels import lessons


def test_c07_sine_a_linear_model_stays_a_line_and_relu_fits():
    linear, x, fit_linear = lessons.fit_sine("linear", epochs=6)
    relu, _, fit_relu = lessons.fit_sine("relu", epochs=6)
    # the best straight line through sin(2 pi x) on [0, 1) has MSE 0.196: it cannot go lower
    assert linear[-1] > 0.18
    assert relu[-1] < 0.1 and relu[-1] < relu[0] / 3
    slopes = np.diff(fit_linear[:, 0]) / np.diff(x[:, 0])
    np.testing.assert_allclose(slopes, slopes.mean(), rtol=1e-2)  # a line (float32 differences)
    assert np.ptp(np.diff(fit_relu[:, 0])) > 1e-3  # ReLU's fit bends


def test_c07_one_and_two_relu_neurons_make_piecewise_linear_pieces():
    x = np.linspace(-1, 2, 31)
    one, two = lessons.relu_pieces(x)
    # float32 against exact float64 arithmetic on values of order 1: a few ulp
    np.testing.assert_allclose(one, np.where(x > 0.5, x - 0.5, 0), atol=1e-6)
    np.testing.assert_allclose(two, np.clip(1 - 2 * (x - 0.5), 0, 1), atol=1e-6)


def test_c07_sine_figure_is_a_png():
    x = np.linspace(0, 1, 20)
    png = lessons.sine_figure_png(x, {"fit": np.sin(2 * np.pi * x)})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert tf.io.decode_png(png).shape[-1] in (3, 4)


def test_c04_unscaled_inputs_train_worse_at_the_same_rate():
    final = lessons.scaling_effect(epochs=3)
    assert final["raw 0..255"] > 2 * final["scaled 0..1"]


def test_c05_units_started_at_zero_stay_identical_in_both_tracks():
    kernels = lessons.zero_init_units(epochs=2)
    for kernel in kernels.values():
        assert np.abs(kernel).max() > 1e-3  # they trained ...
        # ... and stayed equal, up to float32 rounding: oneDNN's matmul may compute the last
        # columns in another SIMD block, one ulp apart (1.2e-7 relative, measured); a random
        # start leaves them ~1e-1 apart
        np.testing.assert_allclose(kernel, kernel[:, :1] * np.ones((1, kernel.shape[1])),
                                   rtol=1e-6)
    np.testing.assert_allclose(kernels["keras"], kernels["tf1"], atol=1e-6)  # float32 parity


def test_c10_too_low_barely_moves_and_too_high_does_worse():
    curves = lessons.learning_rate_curves(epochs=3)
    low, good, high = curves["lr=0.0001"], curves["lr=0.1"], curves["lr=5"]
    assert low[0] - low[-1] < 0.05 * low[0]  # under 5 % in 3 epochs
    assert good[-1] < 0.5 * good[0]
    assert not high[-1] < 2 * good[-1]  # far worse than the good rate (or NaN)


def test_c11_c14_stochastic_minibatch_full_batch_update_counts():
    runs = lessons.batch_size_curves(sizes=(1, 32, 300), epochs=1)
    assert {k: n for k, (_, n) in runs.items()} == {"batch=1": 300, "batch=32": 10,
                                                    "batch=300": 1}


def test_c14_iterations_are_ceil_n_over_batch_times_epochs_in_both_tracks():
    assert lessons.iterations_run(50, 16, 3) == {"expected": 12, "keras": 12, "tf1": 12}


def test_c28_validation_loss_turns_up_while_training_loss_falls():
    curves = lessons.overfitting_curves(epochs=30)
    train, val = np.array(curves["train"]), np.array(curves["validation"])
    best = int(val.argmin())
    assert best < len(val) - 5  # the validation minimum is well before the end
    assert val[-1] > 1.2 * val[best]  # and it has risen since
    assert train[-1] < 0.1 * train[best]  # while training loss kept falling


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
