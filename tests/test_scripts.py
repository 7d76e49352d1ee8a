"""Every lesson script runs (with --quick) and prints what it shows; each writes its logs."""

import glob
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The numbered lessons (tensorboard_tour.py and bench.py are run by their own tests).
LESSONS = os.path.join(ROOT, "scripts", "[0-9][0-9]_*.py")
SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(LESSONS))

# What each script must print (a line showing its lesson's result).
EXPECTED = {
    "01_neuron_and_batches.py": ["one neuron: 4.8", "shapes (3,4) and (3,4) not aligned",
                                 "video                  rank 5"],
    "02_activations.py": ["softmax sums to", "no overflow): [1. 0.]"],
    "03_losses.py": ["a certain mistake costs [16.11809565]"],
    "04_backprop.py": ["d loss / d W1: largest difference"],
    "05_sine_linear_vs_relu.py": ["the linear model's error stays high: True | ReLU's falls: True"],
    "06_scaling_and_init.py": ["keras: all-zero start, 8 hidden units after training: columns "
                               "identical = True", "tf1: all-zero start"],
    "07_learning_rate_and_batches.py": ["ceil(50/16) x 3 = 12; Keras made 12 updates, TF1 12",
                                        "batch=1      300 updates"],
    "08_optimizers.py": ["gradient descent", "unmapped: stock TF1 RMSProp"],
    "09_overfitting.py": ["diverging: True"],
    "10_tf1_session_basics.py": ["get_variable, reuse=True / AUTO_REUSE: layer/w:0 True True",
                                 "read before the initializer -> FailedPreconditionError"],
    "11_keras_sequential.py": ["same layers either way: True", "parity OK",
                               "largest weight difference 0.0"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each script run once with --quick, two at a time (the machine has two cores)."""
    logdir = str(tmp_path_factory.mktemp("lesson_logs"))

    def run(script):
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), "--quick",
                               "--logdir", logdir], capture_output=True, text=True, timeout=300,
                              cwd=ROOT)

    with ThreadPoolExecutor(2) as pool:
        return logdir, dict(zip(SCRIPTS, pool.map(run, SCRIPTS)))


def test_every_script_has_expectations():
    assert SCRIPTS == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_script_runs_and_shows_its_lesson(script, runs):
    logdir, results = runs
    result = results[script]
    assert result.returncode == 0, result.stderr[-2000:]
    for line in EXPECTED[script]:
        assert line in result.stdout, result.stdout
    lesson = script[:-3]
    events = glob.glob(os.path.join(logdir, f"{lesson}*", "**", "events.out.tfevents.*"),
                       recursive=True)
    assert events, f"no TensorBoard events under {logdir}/{lesson}"


def test_sine_lesson_logs_its_picture(runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir, _ = runs
    (run_dir,) = glob.glob(os.path.join(logdir, "05_sine_linear_vs_relu", "*"))
    acc = EventAccumulator(run_dir, size_guidance={"tensors": 0})
    acc.Reload()
    assert "sine_fits" in acc.Tags()["tensors"]
    assert {"loss/linear", "loss/relu"} <= set(acc.Tags()["tensors"])
