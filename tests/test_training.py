"""Training as the command line runs it: divergence is caught where it happens, in both tracks."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tfmodels.cli import main
from tfmodels.core import registry
from tfmodels.core.data import load_dataset
from tfmodels.core.spec import OptimizerSpec
from tfmodels.training import Diverged, train

# plain SGD with a step of 1e4 on the sine regression: the loss overflows within a few steps
EXPLODING = registry.get_spec("sine", epochs=3, optimizer=OptimizerSpec("sgd", {
    "learning_rate": 1e4}))


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_nan_stops_training_naming_epoch_and_step_and_keeps_the_checkpoint(track, tmp_path):
    data = load_dataset("sine")
    with pytest.raises(Diverged) as err:
        train(track, EXPLODING, data, checkpoint_dir=str(tmp_path), save_every=1,
              verbose=0, log=None)
    message = str(err.value)
    assert message.startswith("training diverged: the loss became ")
    assert "at epoch 1, step " in message and f"checkpoint in {tmp_path} is kept" in message
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    step = int(message.split("step ")[1].split(";")[0])
    assert state["iterations"] == step - 1  # the last step whose loss was still a number
    assert all(math.isfinite(v) for values in state["history"].values() for v in values)


def test_both_tracks_diverge_at_the_same_step(tmp_path):
    data = load_dataset("sine")
    messages = []
    for track in ("keras", "tf1"):
        with pytest.raises(Diverged) as err:
            train(track, EXPLODING, data, verbose=0, log=None)
        messages.append(str(err.value).split(";")[0])
    assert messages[0] == messages[1]


def test_cli_exit_status_for_divergence(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(registry.MODELS, "sine", EXPLODING)
    code = main(["train", "sine", "--logdir", str(tmp_path), "--verbose", "0"])
    err = capsys.readouterr().err
    assert code == 3 and "tfmodels: error: training diverged" in err
    assert "try a lower learning rate" in err


def test_finished_run_is_not_trained_again(tmp_path):
    spec = registry.get_spec("binary4", epochs=1)
    data = load_dataset("binary4")
    first = train("keras", spec, data, checkpoint_dir=str(tmp_path), verbose=0,
                  log=None)
    again = train("keras", spec, data, checkpoint_dir=str(tmp_path), verbose=0,
                  log=None)
    assert again.history == first.history
    assert all(np.array_equal(a, b) for a, b in zip(again.weights, first.weights))


LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from tfmodels.cli import main
sys.exit(main(sys.argv[2:]))
"""


def files_of(folder):
    """{relative path: bytes} of every file under `folder`."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


@pytest.mark.slow  # training subprocesses, 60 s
@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_full_disk_is_one_line_and_the_last_checkpoint_stays_whole(track, tmp_path):
    """With RLIMIT_FSIZE below a checkpoint's size, every write past it fails with EFBIG at
    the system call, inside h5py's and TensorFlow's C code too, as on a full disk."""
    args = ["train", "mnist_mlp", "--track", track, "--checkpoint-dir", str(tmp_path / "ckpt"),
            "--logdir", str(tmp_path / "logs"), "--verbose", "0", "--histogram-freq", "0",
            "--no-images"]

    def run(limit, epochs):
        return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *args, "--epochs",
                               str(epochs)], capture_output=True, text=True, timeout=300)

    first = run(10**9, 1)
    assert first.returncode == 0, first.stderr[-2000:]
    before = files_of(tmp_path / "ckpt")
    # the weight files are 460-480 kB, a run's event files (the op graph) 180-310 kB: the logs
    # are written, epoch 2's save cannot be
    full = run(400_000, 2)
    ours = [line for line in full.stderr.splitlines() if line.startswith(("tfmodels", "Trace"))]
    assert full.returncode == 4, full.stderr[-3000:]
    assert ours == [f"tfmodels: error: writing to {str(tmp_path / 'ckpt')!r} or "
                    f"{str(tmp_path / 'logs')!r} failed: File too large (the disk is full or a "
                    f"file size limit was reached); the last complete checkpoint in "
                    f"{str(tmp_path / 'ckpt')!r} is kept"], full.stderr[-3000:]
    assert "Traceback" not in full.stderr
    assert files_of(tmp_path / "ckpt") == before  # untouched, and no half-written file beside it
    # with room again, the same command goes on from the kept checkpoint
    again = run(10**9, 2)
    assert again.returncode == 0 and "Resuming from" in again.stdout, again.stderr[-2000:]
