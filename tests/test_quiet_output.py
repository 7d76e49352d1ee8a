"""What a learner sees besides the numbers: no false warnings, progress where a command runs long,
one line when interrupted (issue 28, "Quiet and informative output")."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT, TF_WARNINGS, tf_warnings_in

# Three Keras trainings in a fresh process (TensorFlow warns at most twice per function, for the
# whole process: another test's models must not have used the warnings up), each model's train,
# test and predict functions traced once, on first use, as the lessons' compare loops do.
_THREE_MODELS = """
import logging
import tensorflow as tf
from tfmodels import get_spec, load_dataset
from tfmodels.training import train

said = []
class Keep(logging.Handler):
    def emit(self, record):
        said.append(record.getMessage())
tf.get_logger().addHandler(Keep())
spec = get_spec("binary4", epochs=1)
data = load_dataset("binary4")
for _ in range(3):
    train("keras", spec, data, log=None, verbose=0)
print("RETRACING" if any("retracing" in m for m in said) else "QUIET", len(said))
"""


def test_training_several_keras_models_in_one_process_warns_of_no_retracing():
    done = subprocess.run([sys.executable, "-c", _THREE_MODELS], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("QUIET"), (last, done.stderr[-2000:])
    assert "triggered tf.function retracing" not in done.stderr


# --- no deprecation warnings from the project's own code ------------------------------------

# Every cell, wrapper and function of tf1_compat.rnn in one graph, trained a step; the TF1 track's
# optimizers whose stock slots TF warns about (RMSProp, Adagrad with and without Keras's
# epsilon); the bench's TF1 variant as `benchmarks/profile_ops.py --variant tf1_data` builds it.
_TF1_CODE = """
import numpy as np
import tensorflow as tf
from tf1_compat import rnn
v1 = tf.compat.v1

def cells():
    return rnn.MultiRNNCell([rnn.LSTMCell(3, use_peepholes=True, num_proj=2),
                             rnn.BasicLSTMCell(2), rnn.GRUCell(2), rnn.BasicRNNCell(2)])

with tf.Graph().as_default():
    x, lengths = v1.placeholder(tf.float32, (None, 3, 2)), v1.placeholder(tf.int32, (None,))
    steps = tf.unstack(x, axis=1)
    with v1.variable_scope("dynamic"):
        cell = rnn.DropoutWrapper(cells(), 0.9, 0.9, 0.9, variational_recurrent=True,
                                  input_size=2, dtype=tf.float32, seed=1)
        outs = [rnn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)[0]]
    with v1.variable_scope("static"):
        outs += rnn.static_rnn(rnn.ResidualWrapper(rnn.GRUCell(2)), steps, dtype=tf.float32,
                               sequence_length=lengths)[0]
    with v1.variable_scope("both_dynamic"):
        outs += rnn.bidirectional_dynamic_rnn(
            rnn.DeviceWrapper(rnn.LSTMCell(2), "/cpu:0"), rnn.GRUCell(2), x,
            sequence_length=lengths, dtype=tf.float32)[0]
    with v1.variable_scope("both_static"):
        outs += rnn.static_bidirectional_rnn(rnn.BasicLSTMCell(2), rnn.BasicRNNCell(2), steps,
                                             dtype=tf.float32, sequence_length=lengths)[0]
    loss = tf.add_n([tf.reduce_sum(o) for o in outs])
    train = v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    with v1.Session() as session:
        session.run(v1.global_variables_initializer())
        session.run(train, {x: np.ones((2, 3, 2)), lengths: [3, 1]})

from tf1_compat.model import build_model
from tfmodels import get_spec, load_dataset
from tfmodels.core.spec import OptimizerSpec
data = load_dataset("binary4")
for optimizer in (OptimizerSpec("rmsprop", {"centered": True, "momentum": 0.5}),
                  OptimizerSpec("adagrad"), OptimizerSpec("adagrad", {"epsilon": 0.0})):
    model = build_model(get_spec("binary4", optimizer=optimizer))
    model.fit(data.x_train, data.y_train, epochs=1, verbose=0)

from tfmodels.bench import bench_data
from tfmodels.bench.variants import TF1Data
x, y, _ = bench_data(64)
TF1Data(x, y, 32).epoch()
print("DONE")
"""


def test_the_tf1_tracks_rnn_optimizers_and_bench_variant_warn_of_nothing_deprecated():
    done = subprocess.run([sys.executable, "-c", _TF1_CODE], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("DONE"), done.stderr[-3000:]
    assert tf_warnings_in(done.stderr) == []


def test_the_warnings_are_recognised_as_tensorflow_prints_them():
    """The filter above finds what TensorFlow writes for a deprecated argument (a dtype given to
    an initializer's constructor, as tf1_compat's cells and TF1's RMSProp did) and a retrace."""
    said = subprocess.run([sys.executable, "-c", (
        "import tensorflow as tf\n"
        "tf.compat.v1.zeros_initializer(dtype=tf.float32)\n"
        "f = tf.function(lambda x: x)\n"
        "[f(tf.zeros([i])) for i in range(6)]\n")], capture_output=True, text=True, cwd=ROOT,
        timeout=300).stderr
    found = "".join(tf_warnings_in(said))
    assert all(w in found for w in TF_WARNINGS), said[-3000:]
    assert "Call initializer instance with the dtype argument" in found


# --- Ctrl-C: `tfmodels: interrupted`, status 130, at every moment ------------------------------

def _tfmodels(*args, cwd):
    import os

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "tfmodels", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc, ready, what, timeout=240):
    import time

    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, (what, proc.communicate()[1][-2000:])
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.02)


def _interrupted(proc):
    import signal

    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    assert err.strip().splitlines()[-1] == "tfmodels: interrupted", err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    return out


def _loaded(pid, library):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return library in f.read()
    except OSError:
        return False


def test_ctrl_c_while_tensorflow_starts_is_one_line(tmp_path):
    proc = _tfmodels("list", cwd=tmp_path)
    # our code runs (NumPy is loaded on the way to TensorFlow), TensorFlow is not up yet
    _wait_for(proc, lambda: _loaded(proc.pid, "_multiarray_umath"), "imported NumPy")
    assert not _loaded(proc.pid, "libtensorflow_cc"), "too late: TensorFlow already loaded"
    assert _interrupted(proc) == ""


_IMPORT_TURNED_INTERRUPT = """
import importlib.abc, os, signal, sys, time

class HalfLoaded(importlib.abc.MetaPathFinder):
    # as NumPy's C extension does when a Ctrl-C lands in the middle of its loading: the
    # interrupt comes out of the import as an ImportError
    def find_spec(self, name, path, target=None):
        if name == "tfmodels.cli":
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(30)
            except KeyboardInterrupt:
                raise ImportError("numpy's C-extensions failed to load") from None
        return None

sys.meta_path.insert(0, HalfLoaded())
from tfmodels.__main__ import main
sys.exit(main(["list"]))
"""


def test_ctrl_c_that_an_import_turns_into_another_error_is_still_one_line():
    done = subprocess.run([sys.executable, "-c", _IMPORT_TURNED_INTERRUPT], capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stderr.strip()) == (130, "tfmodels: interrupted")


def test_ctrl_c_during_training_is_one_line(tmp_path):
    ckpt = tmp_path / "ckpt"
    proc = _tfmodels("train", "binary4", "--epochs", "500", "--checkpoint-dir", str(ckpt),
                     "--verbose", "0", "--no-images", "--histogram-freq", "0", cwd=tmp_path)
    _wait_for(proc, lambda: (ckpt / "checkpoint.json").exists(), "saved an epoch")
    assert _interrupted(proc).startswith("Training binary4")
    assert not (ckpt / "checkpoint.lock").exists()


_AFTER_THE_COMMAND = """
import os, signal, sys, time
from tfmodels.__main__ import main
status = main(["list"])
os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C while Python shuts down
time.sleep(30)
sys.exit(status)
"""


def test_ctrl_c_after_the_command_finished_is_one_line_and_keeps_its_output():
    done = subprocess.run([sys.executable, "-c", _AFTER_THE_COMMAND], capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 130, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == "tfmodels: interrupted"
    assert "Traceback" not in done.stderr
    assert "binary4" in done.stdout  # the table `list` printed, flushed before the exit


_TF1_PROGRAM = """
import tensorflow as tf

x = tf.placeholder(tf.float32, [])
y = x * 2.0
with tf.Session() as session:
    print("started", flush=True)
    while True:
        session.run(y, {x: 1.0})
"""
_LONG_RUNS = {  # each runs for minutes; interrupted after its first line
    "sweep": ["sweep", "binary4", "--lr", "0.01,0.1", "--epochs", "300", "--logdir", "logs"],
    "compare": ["compare", "binary4", "--epochs", "500", "--verbose", "0", "--logdir", "logs"],
    "bench": ["bench", "--samples", "256", "--batch-sizes", "128", "--epochs", "100",
              "--variants", "keras_track", "--out", "out"],
    "run": ["run", "program.py"],
}


@pytest.mark.slow  # four processes starting TensorFlow (bench: two more), ~20 s each on 2 cores
@pytest.mark.parametrize("command", list(_LONG_RUNS))
def test_ctrl_c_during_a_long_command_is_one_line(command, tmp_path):
    (tmp_path / "program.py").write_text(_TF1_PROGRAM)
    proc = _tfmodels(*_LONG_RUNS[command], cwd=tmp_path)
    first = proc.stdout.readline()  # the command's heading: it is under way
    assert first.strip(), proc.communicate()[1][-2000:]
    out = first + _interrupted(proc)
    assert out.split()[0] in ("Sweeping", "Comparing", "Timing", "started")


# --- bench: what it will do, and how long it will take, said at its start ----------------------

def test_the_bench_estimate_counts_every_round_and_batch_size():
    from tfmodels.bench.timing import duration, estimate

    first = {"keras_track": 3.0, "tf1_data": 2.0}  # the first timed round: 5 s
    # 10 s to get warm, the first round ends at 15 s; 2 rounds left at batch 128
    assert estimate(10.0, 15.0, first, 128, [], 3) == (25.0, 25.0)
    # batch 32 after it: started and warmed up again (10 s), then 3 rounds, each costing what
    # the first did per sample (5 s) to what it did per step (4x the steps: 20 s)
    assert estimate(10.0, 15.0, first, 128, [32], 3) == (25.0 + 10.0 + 15.0,
                                                          25.0 + 10.0 + 60.0)
    # a larger batch later: at most the same per sample, at least the same per step
    assert estimate(10.0, 15.0, first, 128, [256], 2) == (20.0 + 10.0 + 5.0, 20.0 + 10.0 + 10.0)
    assert [duration(s) for s in (44.6, 150, 3600 + 20 * 60)] == ["45 s", "2 min", "1 h 20 min"]


class _FakeWorker:
    """A variant's process that answers at once: warm after 20 s of epoch (its tracing), then
    1 s per epoch."""

    def __init__(self, variant, batch, samples, device, log):
        self.variant, self.failure, self.reply, self.said = variant, None, {}, []

    def send(self, command):
        self.said.append(command)

    def receive(self):
        if not self.said:
            return {"ready": 20.0}
        return {"epoch": {"seconds": 1.0}, "rate": {"matmul_flops": {"numpy": 1e10}},
                "quit": {"peak_rss_mb": 1.0, "tensorflow": True}}[self.said[-1]]

    def close(self):
        pass


def test_bench_says_what_it_will_do_and_estimates_its_time_before_the_rounds(monkeypatch):
    from tfmodels.bench import timing

    monkeypatch.setattr(timing, "Worker", _FakeWorker)
    lines = []
    timing.run([64, 32], 640, 3, ["keras_track", "tf1_feed"], log=lines.append)
    assert lines[0].startswith("Timing 2 variant(s) and the shape-aware floor at batch size(s) "
                               "64, 32:")
    assert "then 3 timed epoch(s) of 640 samples" in lines[0]
    # said once, after the first timed round (three epochs of 1 s: not the 20 s warm-up
    # epochs), before the next: 3 s a round, 3 rounds at batch 64, then at batch 32 3 rounds of
    # 3 s (the same cost per sample) to 6 s (the same per step); the fakes start in no time
    at = next(i for i, line in enumerate(lines) if line.startswith("Estimate: "))
    assert lines[at - 1] == "  batch 64: matmul_floor ready"
    assert lines[at].startswith("Estimate: 15 to 24 s in all, 15 to 24 s from now (from the "
                                "first timed round at batch 64)")
    assert sum(line.startswith("Estimate") for line in lines) == 1


# --- sweep: a line per run, as each ends ------------------------------------------------------

def test_sweep_prints_a_line_per_run_as_each_ends(monkeypatch, tmp_path, capsys):
    import tfmodels.parity
    from tfmodels.cli import main

    printed_before = []  # what was on stdout when each run began
    real = tfmodels.parity.train_keras

    def train_keras(*args, **kwargs):
        printed_before.append(capsys.readouterr().out)
        return real(*args, **kwargs)

    monkeypatch.setattr(tfmodels.parity, "train_keras", train_keras)
    assert main(["sweep", "binary4", "--lr", "0.01,0.1", "--epochs", "1", "--logdir",
                 str(tmp_path / "logs")]) == 0
    rest = capsys.readouterr().out
    assert printed_before[0].startswith("Sweeping binary4 in the keras track: learning rates "
                                        "0.01, 0.1 x batch sizes 32, 1 epochs each: 2 runs")
    # the first run's line came before the second run trained, the second's before the table
    first = printed_before[1].strip().splitlines()
    assert len(first) == 1 and first[0].startswith("run 1/2: lr 0.01, batch 32: loss ")
    second = rest.strip().splitlines()[0]
    assert second.startswith("run 2/2: lr 0.1, batch 32: loss ")
    for line in (first[0], second):  # loss first, then the metrics, then the same on validation
        words = line.split(": ", 2)[2].split(", ")
        assert [w.split()[0] for w in words] == ["loss", "accuracy", "val_loss", "val_accuracy"]
        assert line.endswith(" s)")


# --- a refusal has nothing on stdout before it --------------------------------------------------

def test_an_mnist_download_that_fails_leaves_stdout_empty(monkeypatch, tmp_path, capsys):
    import keras

    from tfmodels.cli import main

    def offline():  # as Keras's get_file does before it finds there is no network
        print("Downloading data from https://storage.googleapis.com/tensorflow/"
              "tf-keras-datasets/mnist.npz")
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "mnist_mlp", "--dataset", "mnist", "--epochs", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith("tfmodels: error: MNIST is not available offline")
    assert "Downloading data from" in err  # progress, where progress goes
