"""Lesson 12 (`scripts/12_beyond_dense.py`): its printed numbers, checked, not its labels."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("logs")
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "12_beyond_dense.py"),
                           "--quick", "--logdir", str(logdir)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, logdir


def _numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", line)]


def _line(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(start))


def test_the_convnet_with_dropout_is_equal_bit_for_bit(printed):
    out, _ = printed
    keras_loss, tf1_loss, weight_diff = _numbers(_line(out, "convnet, dropout on"))
    assert keras_loss == tf1_loss and weight_diff == 0.0
    assert 0.5 < keras_loss < np.log(10) + 0.1  # it trained a little from log(10)


def test_forgotten_update_ops_leave_the_moving_mean_at_zero_and_run_ones_match_numpy(printed):
    out, _ = printed
    assert _numbers(_line(out, "UPDATE_OPS forgotten")) == [0.0] * 4
    run = _numbers(_line(out, "UPDATE_OPS run"))
    # 20 updates of 0.01 towards batch means of about 3: 3 * (1 - 0.99 ** 20) = 0.55
    assert all(abs(v - 3 * (1 - 0.99 ** 20)) < 0.1 for v in run)
    numpy_line = _numbers(_line(out, "NumPy's moving_mean"))
    assert numpy_line[:4] == run and numpy_line[4] < 1e-6


def test_the_mapped_lstm_equals_keras_and_numpy(printed):
    out, _ = printed
    line = _line(out, "TF1 kernel")
    keras_tf1, keras_numpy = _numbers(line)[-2:]
    assert keras_tf1 < 1e-6 and keras_numpy < 1e-6
    assert "(9, 24) -> Keras kernel (3, 24), recurrent (6, 24)" in line


def test_the_convnet_pictures_are_logged(printed):
    from tests.test_tensorboard_logs import images

    _, logdir = printed
    run = next(os.path.join(d, "keras") for d, _, _ in os.walk(logdir)
               if os.path.isdir(os.path.join(d, "keras")))
    assert "conv_filters" in images(os.path.join(run, "train"))
    assert "conv_feature_maps" in images(os.path.join(run, "validation"))


@pytest.mark.parametrize("name", ["spiral_leaky", "spiral_rrelu", "spiral_swish", "sine",
                                  "sine_l1"])
def test_the_other_activations_and_losses_train_alike_in_both_tracks(printed, name):
    out, _ = printed
    keras_loss, tf1_loss, apart = _numbers(_line(out, f"{name} "))
    assert keras_loss == tf1_loss and apart == 0.0
