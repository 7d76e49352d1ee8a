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
