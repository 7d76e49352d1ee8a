"""What a learner sees besides the numbers: no false warnings, progress where a command runs long,
one line when interrupted (issue 28, "Quiet and informative output")."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

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


# --- bench: what it will do, and how long it will take, said at its start ----------------------

def test_the_bench_estimate_counts_every_round_and_batch_size():
    from tfmodels.bench.timing import duration, estimate

    warm = {"keras_track": 3.0, "tf1_data": 2.0}  # a round: 5 s
    # 10 s to get warm, then 3 rounds at batch 128
    assert estimate(10.0, warm, 128, [], 3) == 25.0
    # batch 32 after it: started and warmed up again (10 s), 4x the steps per epoch
    assert estimate(10.0, warm, 128, [32], 3) == 25.0 + 10.0 + 3 * 5.0 * 4
    assert estimate(10.0, warm, 128, [32, 256], 2) == 20.0 + 50.0 + 15.0
    assert [duration(s) for s in (44.6, 150, 3600 + 20 * 60)] == ["45 s", "2 min", "1 h 20 min"]


class _FakeWorker:
    """A variant's process that answers at once: warm after 2 s of epoch, 1 s per epoch."""

    def __init__(self, variant, batch, samples, device, log):
        self.variant, self.failure, self.reply, self.said = variant, None, {}, []

    def send(self, command):
        self.said.append(command)

    def receive(self):
        if not self.said:
            return {"ready": 2.0}
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
    # said once, after the first batch size's processes are warm and before its rounds: three
    # warm-up epochs of 2 s make a 6 s round, 3 of them; batch 32 takes twice that per round
    at = next(i for i, line in enumerate(lines) if line.startswith("Estimate: about "))
    assert lines[at - 1] == "  batch 64: matmul_floor ready"
    assert lines[at].startswith("Estimate: about 54 s in all, 54 s from now")
    assert sum(line.startswith("Estimate") for line in lines) == 1
