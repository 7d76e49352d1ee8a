"""A multi-worker run with --checkpoint-dir, killed whole and run again, ends where an unbroken
run ends: the Keras track's MultiWorkerMirroredStrategy (2 workers) and the TF1 track's
ps/worker cluster (1 ps, 2 workers; synchronous, and asynchronous: it resumes), each on
127.0.0.1 under scripts/launch_local_cluster.py.

The interrupted run stops (tests/crashing_cli.py `hang 4`) inside the chief's 4th save, epoch
1's end (saves at steps 5, 10, 15, 16 of 16 an epoch): the 3rd checkpoint (15 steps, mid-epoch)
is in force and epoch 1's TensorBoard events are already written. The test then kills every
task's process group and the launcher (SIGKILL), and runs the same command again.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.helpers import final_weights, raw_events

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# clusters of free ports the launcher chooses (xdist group "ports": one such test at a time,
# tests/conftest.py)
pytestmark = pytest.mark.xdist_group("ports")
TIME_LIMIT = 150  # seconds, per cluster run; one takes 15-40 s on 2 loaded cores
EPOCHS, SAVE_EVERY, STEPS = 2, 5, 16  # binary4: 500 samples, batch 32


def command(track, tmp_path, pattern=None, crash=("hang", "0")):
    args = ["train", "binary4", "--track", track, "--strategy", "multiworker", "--epochs",
            str(EPOCHS), "--checkpoint-dir", str(tmp_path / "ckpt"), "--save-every",
            str(SAVE_EVERY), "--verbose", "0", "--logdir", str(tmp_path / "logs")]
    if pattern:
        args += ["--tf1-pattern", pattern]
    # crashing_cli.py runs `tfmodels ARGS` (this checkout's, via PYTHONPATH); `hang 0` only
    # reports which task commits a checkpoint
    task = [sys.executable, os.path.join(ROOT, "tests", "crashing_cli.py"), *crash, *args]
    ps = ["--ps", "1"] if track == "tf1" else []
    return [sys.executable, os.path.join(ROOT, "scripts", "launch_local_cluster.py"),
            "--workers", "2", *ps, "--time-limit", str(TIME_LIMIT), "--", *task]


ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def run(track, tmp_path, pattern=None):
    start = time.monotonic()
    proc = subprocess.run(command(track, tmp_path, pattern), capture_output=True, text=True,
                          timeout=TIME_LIMIT + 30, cwd=ROOT, env=ENV)
    print(f"{track} {pattern or ''}: {time.monotonic() - start:.1f} s")
    assert proc.returncode == 0, proc.stdout[-4000:]
    committers = {line.split("]")[0] + "]" for line in proc.stdout.splitlines()
                  if "commit_state" in line}
    assert committers == {"[worker 0]"}, committers  # the chief alone writes the checkpoint
    return proc.stdout


def children(pid):
    """The launcher's tasks: each leads a process group of its own."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def task_of(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
    return json.loads(env[b"TF_CONFIG"])["task"]


def interrupt(track, tmp_path, pattern=None):
    """The run, stopped in the chief's 4th save, then the whole cluster killed."""
    start = time.monotonic()
    log = tmp_path / "interrupted.log"
    with open(log, "w") as out:
        launcher = subprocess.Popen(command(track, tmp_path, pattern, crash=("hang", "4")),
                                    stdout=out, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                                    env=ENV, start_new_session=True)
    try:
        while "[worker 0] hanging in save 4" not in log.read_text():
            assert launcher.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() - start < TIME_LIMIT, log.read_text()[-4000:]
            time.sleep(0.2)
        # the chief, and nobody else, holds the folder's lock
        lock = json.loads((tmp_path / "ckpt" / "checkpoint.lock").read_text())
        assert task_of(lock["pid"]) == {"type": "worker", "index": 0}
        assert lock["pid"] in children(launcher.pid)
    finally:  # the whole cluster at once: its tasks' process groups, then the launcher
        tasks = children(launcher.pid)
        for pid in tasks:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        launcher.kill()
        launcher.wait(timeout=30)
    time.sleep(0.5)  # the killed tasks' files closed
    text = log.read_text()
    assert "[worker 1] hanging" not in text and "[worker 1] commit_state" not in text
    print(f"{track} {pattern or ''} interrupted: {time.monotonic() - start:.1f} s")
    state = json.loads((tmp_path / "ckpt" / "checkpoint.json").read_text())
    assert (state["epoch"], state["step"], state["iterations"]) == (0, 15, 15)


CASES = [("keras", None), ("tf1", "sync"), ("tf1", "async")]


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    """One uninterrupted run per case, the reference (made when a case first asks)."""
    runs = {}

    def get(track, pattern):
        if (track, pattern) not in runs:
            folder = tmp_path_factory.mktemp(f"unbroken-{track}-{pattern}")
            run(track, folder, pattern)
            runs[track, pattern] = final_weights(track, folder / "ckpt", "binary4")
        return runs[track, pattern]

    return get


@pytest.mark.slow  # three cluster runs, 1-2 minutes
@pytest.mark.parametrize("track, pattern", CASES)
def test_a_killed_multiworker_run_resumes(track, pattern, tmp_path, unbroken):
    interrupt(track, tmp_path, pattern)
    out = run(track, tmp_path, pattern)
    # every worker resumes from the chief's checkpoint, at the same step
    for worker in (0, 1):
        assert (f"[worker {worker}] Resuming from {tmp_path / 'ckpt'}: epoch 1, step 15 "
                f"(15 steps trained)") in out, out[-4000:]
    state, weights = final_weights(track, tmp_path / "ckpt", "binary4")
    ref_state, ref_weights = unbroken(track, pattern)
    assert state["iterations"] == EPOCHS * STEPS
    assert len(state["history"]["loss"]) == EPOCHS
    if pattern != "async":  # synchronous: bit for bit
        for a, b in zip(weights, ref_weights):
            np.testing.assert_array_equal(a, b)
        assert state["history"] == ref_state["history"]
    else:  # asynchronous: the updates land in the machines' order; it trained, finite
        assert all(np.isfinite(w).all() for w in weights)
        assert state["history"]["loss"][-1] < state["history"]["loss"][0]
    # the chief's TensorBoard run goes on in its folder, each (tag, step) logged once
    assert len(os.listdir(tmp_path / "logs" / "binary4")) == 1
    counts = raw_events(tmp_path / "logs")
    assert {step for (_, tag, step) in counts if tag == "epoch_loss"} == {0, 1}
    doubled = {key: n for key, n in counts.items() if n > 1}
    assert not doubled, doubled


@pytest.mark.slow  # one cluster run, 20 s
def test_workers_that_see_other_checkpoints_are_refused_in_one_line(tmp_path):
    """A folder that is not shared storage: worker 1 finds no checkpoint where worker 0 finds
    one. Each worker says so in one line (a check before the restore, which would otherwise
    fail in a collective op), instead of training from different starts."""
    done = subprocess.run(command("keras", tmp_path), capture_output=True, text=True,
                          timeout=TIME_LIMIT + 30, cwd=ROOT, env=ENV)
    assert done.returncode == 0, done.stdout[-4000:]
    other = tmp_path / "other"
    script = (f"import json, os, sys; i = json.loads(os.environ['TF_CONFIG'])['task']['index']; "
              f"sys.argv[1:] = [a.replace({str(tmp_path / 'ckpt')!r}, {str(other)!r}) if i else "
              f"a for a in sys.argv[1:]]; from tfmodels.cli import main; sys.exit(main())")
    cmd = command("keras", tmp_path)
    cmd[cmd.index("--") + 1:] = [sys.executable, "-c", script, *cmd[cmd.index("train"):]]
    cmd[cmd.index("--epochs") + 1] = str(EPOCHS + 1)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIME_LIMIT + 30,
                          cwd=ROOT, env=ENV)
    assert proc.returncode == 2, proc.stdout[-4000:]
    for worker, step in ((0, EPOCHS * STEPS), (1, 0)):
        assert (f"[worker {worker}] tfmodels: error: the workers disagree on the step to resume "
                f"at (this one has {step}): they must all read the same checkpoint folder "
                f"(shared storage)") in proc.stdout
    assert not other.exists()  # worker 1 wrote nothing there
