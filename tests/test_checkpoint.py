"""Checkpoints of both tracks: crash at any moment, run again, end where an unbroken run ends."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import final_weights, raw_events
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.training import train

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL, EPOCHS, SAVE_EVERY = "binary4", 2, 5  # 16 steps an epoch, 32 in all


def cli(track, folder, logdir, crash=None):
    args = ["train", MODEL, "--track", track, "--epochs", str(EPOCHS), "--checkpoint-dir",
            str(folder), "--save-every", str(SAVE_EVERY), "--deterministic", "--verbose", "0",
            "--logdir", str(logdir)]
    cmd = [sys.executable, os.path.join(HERE, "crashing_cli.py"), *crash, *args] if crash \
        else [sys.executable, "-m", "tfmodels.cli", *args]  # this checkout's (PYTHONPATH)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    """One uninterrupted run per track, the reference for the crashed ones."""
    runs = {}
    for track in ("keras", "tf1"):
        folder = tmp_path_factory.mktemp(f"unbroken-{track}")
        done = cli(track, folder / "ckpt", folder / "logs")
        assert done.returncode == 0, done.stderr[-2000:]
        runs[track] = final_weights(track, folder / "ckpt", MODEL)
    return runs


# Steps to be killed after, a fixed list (formerly one random step a run, not reproducible):
# before the first save (3, 4: a fresh start), mid epoch 2 (21), an epoch's last step (16).
KILL_STEPS = [("keras", 3), ("keras", 21), ("tf1", 4), ("tf1", 16)]


@pytest.mark.slow  # two CLI runs in subprocesses, 25 s
@pytest.mark.parametrize("track, step", KILL_STEPS)
def test_sigkill_at_a_step_then_resume_is_bit_for_bit(track, step, tmp_path, unbroken):
    crashed = cli(track, tmp_path / "ckpt", tmp_path / "logs", crash=("step", str(step)))
    assert crashed.returncode == -9, f"step {step}: {crashed.stderr[-2000:]}"
    resumed = cli(track, tmp_path / "ckpt", tmp_path / "logs")
    assert resumed.returncode == 0, f"step {step}: {resumed.stderr[-2000:]}"
    # the kill lands before step `step` is saved: a checkpoint exists from step SAVE_EVERY + 1 on
    saved = step > SAVE_EVERY
    assert ("Resuming from" in resumed.stdout) == saved, (step, resumed.stdout)
    state, weights = final_weights(track, tmp_path / "ckpt", MODEL)
    ref_state, ref_weights = unbroken[track]
    for a, b in zip(weights, ref_weights):
        assert np.array_equal(a, b), f"killed after step {step}"
    assert state["history"] == ref_state["history"], f"killed after step {step}"
    assert state["iterations"] == EPOCHS * 16
    # a resumed run goes on writing into the same TensorBoard run; a fresh start makes its own
    assert len(os.listdir(tmp_path / "logs" / MODEL)) == (1 if saved else 2)


@pytest.mark.slow  # two CLI runs in subprocesses, 25 s
@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_sigkill_during_a_save_keeps_the_previous_checkpoint(track, tmp_path, unbroken):
    crashed = cli(track, tmp_path / "ckpt", tmp_path / "logs", crash=("save", "3"))
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    # the third save never committed: the second one (10 steps) is in force and loads
    state, _ = final_weights(track, tmp_path / "ckpt", MODEL)
    assert state["iterations"] == 2 * SAVE_EVERY
    resumed = cli(track, tmp_path / "ckpt", tmp_path / "logs")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming from" in resumed.stdout and "10 steps trained" in resumed.stdout
    _, weights = final_weights(track, tmp_path / "ckpt", MODEL)
    assert all(np.array_equal(a, b) for a, b in zip(weights, unbroken[track][1]))
    assert not [n for n in os.listdir(tmp_path / "ckpt") if n.startswith(".tmp-")]


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_stopping_mid_epoch_and_resuming_in_process(track, tmp_path):
    """The same, in one process: training stops at step 7 of epoch 2, a new call resumes."""
    spec = get_spec("sine", epochs=2)
    data = load_dataset("sine")
    reference = train(track, spec, data, checkpoint_dir=str(tmp_path / "a"),
                      save_every=3, verbose=0)

    from tfmodels import training

    original = training.TerminateOnNaN.on_batch_end
    seen = {"n": 0}

    def stop_at_39(self, batch, logs=None):
        original(self, batch, logs)
        seen["n"] += 1
        if seen["n"] == 39:
            self.model.stop_training = True

    training.TerminateOnNaN.on_batch_end = stop_at_39
    try:
        train(track, spec, data, checkpoint_dir=str(tmp_path / "b"), save_every=3,
              verbose=0)
    finally:
        training.TerminateOnNaN.on_batch_end = original
    with open(tmp_path / "b" / "checkpoint.json") as f:
        state = json.load(f)
    # saves come every 3 steps counted from the last save: ..., 30, 32 (epoch 1's end), 35, 38;
    # step 38 is epoch 2 (index 1), batch 6, the last save before the stop at step 39
    assert (state["epoch"], state["step"], state["iterations"]) == (1, 6, 38)
    resumed = train(track, spec, data, checkpoint_dir=str(tmp_path / "b"),
                    save_every=3, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(resumed.weights, reference.weights))
    assert resumed.history == reference.history


def test_resume_with_several_steps_per_execution(tmp_path):
    """Keras runs callbacks once per 4 steps here; a resumed run still ends bit for bit."""
    from tfmodels import training

    spec, data = get_spec("sine", epochs=2), load_dataset("sine")
    kw = dict(save_every=5, verbose=0, log=None, steps_per_execution=4)
    reference = train("keras", spec, data, checkpoint_dir=str(tmp_path / "a"), **kw)
    original, seen = training.TerminateOnNaN.on_batch_end, {"n": 0}

    def stop_after_three_calls(self, batch, logs=None):
        original(self, batch, logs)
        seen["n"] += 1
        if seen["n"] == 3 + 8:  # epoch 2, after its 12th step
            self.model.stop_training = True

    training.TerminateOnNaN.on_batch_end = stop_after_three_calls
    try:
        train("keras", spec, data, checkpoint_dir=str(tmp_path / "b"), **kw)
    finally:
        training.TerminateOnNaN.on_batch_end = original
    state = json.loads((tmp_path / "b" / "checkpoint.json").read_text())
    assert state["epoch"] == 1 and 0 < state["step"] < 32 and state["step"] % 4 == 0
    resumed = train("keras", spec, data, checkpoint_dir=str(tmp_path / "b"), **kw)
    assert all(np.array_equal(a, b) for a, b in zip(resumed.weights, reference.weights))
    assert resumed.history == reference.history


def test_a_save_after_an_epochs_last_call_counts_only_the_epochs_steps(tmp_path, monkeypatch):
    """Keras reports a call's last step as first + steps_per_execution - 1 even when the epoch
    ran out before (keras EpochIterator): with 5 steps a call and 32 an epoch, the last call
    "ends" at step 34. A checkpoint saved there must say 32 steps done, not 35: resumed from it
    (a kill during the validation that follows), the epoch would skip more steps than it has."""
    from tfmodels.core.checkpoint import BackupAndRestore

    saved, original = [], BackupAndRestore._save

    def record(self, epoch, step, logs, metrics):
        saved.append((epoch, step))
        return original(self, epoch, step, logs, metrics)

    monkeypatch.setattr(BackupAndRestore, "_save", record)
    spec, data = get_spec("sine", epochs=1), load_dataset("sine")
    train("keras", spec, data, checkpoint_dir=str(tmp_path / "a"), save_every=2, verbose=0,
          log=None, steps_per_execution=5)
    steps = [step for epoch, step in saved if epoch == 0]
    assert steps == [5, 10, 15, 20, 25, 30, 32]  # every call's save, the last one clamped
    assert saved[-1] == (1, 0)


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_resumed_dropout_model_draws_the_masks_an_unbroken_run_draws(track, tmp_path):
    """Dropout's masks come from a counter (Keras's SeedGenerator, the TF1 graph's
    `seed_counter`): the checkpoint carries it, so a run stopped after epoch 1 and resumed ends
    with the unbroken run's weights, bit for bit. (Keras's own `save_weights` leaves the counter
    out: resumed without it, the second epoch would draw the first epoch's masks again.)"""
    spec = get_spec("digits_cnn", epochs=2)
    data = load_dataset(spec.dataset)
    unbroken = train(track, spec, data, verbose=0, log=None)
    ckpt = str(tmp_path / "ckpt")
    train(track, spec.replace(epochs=1), data, checkpoint_dir=ckpt, verbose=0, log=None)
    resumed = train(track, spec, data, checkpoint_dir=ckpt, verbose=0, log=None)
    for a, b in zip(resumed.weights, unbroken.weights):
        np.testing.assert_array_equal(a, b)
    assert resumed.history == unbroken.history


@pytest.mark.slow  # three CLI runs in subprocesses, 40 s
@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_a_crash_after_an_epochs_events_logs_them_once_after_resuming(track, tmp_path):
    # The 4th save is epoch 1's end (saves at steps 5, 10, 15, 16): its scalars and histograms
    # are in the event files when the save is cut short; the resumed run trains epoch 1's last
    # step again and logs epoch 1 again. The checkpoint's record of the event files cuts the
    # first copy off.
    crashed = cli(track, tmp_path / "ckpt", tmp_path / "logs", crash=("save", "4"))
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert any(tag == "epoch_loss" and step == 0 for _, tag, step in raw_events(tmp_path / "logs"))
    resumed = cli(track, tmp_path / "ckpt", tmp_path / "logs")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    counts = raw_events(tmp_path / "logs")
    assert {(tag, step) for (_, tag, step) in counts if tag == "epoch_loss"} == {
        ("epoch_loss", 0), ("epoch_loss", 1)}
    doubled = {key: n for key, n in counts.items() if n > 1}
    assert not doubled, doubled
    # and the finished run's command again changes nothing, pictures included
    again = cli(track, tmp_path / "ckpt", tmp_path / "logs")
    assert again.returncode == 0 and raw_events(tmp_path / "logs") == counts


@pytest.mark.slow  # two CLI runs in subprocesses at once, 30 s
def test_two_writers_of_one_checkpoint_folder_one_is_refused(tmp_path):
    args = ["train", "sine", "--epochs", "40", "--checkpoint-dir", str(tmp_path / "ckpt"),
            "--verbose", "0", "--logdir", str(tmp_path / "logs")]
    exe = [sys.executable, "-m", "tfmodels.cli"]  # this checkout's (PYTHONPATH)
    first = subprocess.Popen([*exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        lock = tmp_path / "ckpt" / "checkpoint.lock"
        for _ in range(1200):  # until the first holds the folder (TensorFlow starts slowly)
            if lock.exists() or first.poll() is not None:
                break
            import time

            time.sleep(0.1)
        assert lock.exists(), "the first run never took the lock"
        second = subprocess.run([*exe, *args], capture_output=True, text=True, timeout=300)
        out, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 2
    assert second.stderr.strip().splitlines()[-1] == (
        f"tfmodels: error: checkpoint folder {str(tmp_path / 'ckpt')!r} is in use by process "
        f"{first.pid} on {__import__('socket').gethostname()} (its checkpoint.lock); wait for "
        f"it to end, or give another --checkpoint-dir")
    assert not lock.exists()
    assert len(os.listdir(tmp_path / "logs" / "sine")) == 1  # the refused run logged nothing
    assert max(raw_events(tmp_path / "logs").values()) == 1


def test_fewer_epochs_than_the_checkpoint_has_trained_is_one_line(tmp_path, capsys):
    from tfmodels.cli import main

    args = ["train", "binary4", "--checkpoint-dir", str(tmp_path / "ckpt"), "--verbose", "0",
            "--logdir", str(tmp_path / "logs"), "--no-images", "--histogram-freq", "0"]
    assert main([*args, "--epochs", "2"]) == 0
    capsys.readouterr()
    before = (tmp_path / "ckpt" / "checkpoint.json").read_bytes()
    assert main([*args, "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("--epochs 1: the checkpoint in " in err
                                     and "has trained 2 epochs already; give --epochs 2" in err)
    assert (tmp_path / "ckpt" / "checkpoint.json").read_bytes() == before


def test_a_resume_from_another_folder_logs_into_the_same_run(tmp_path, monkeypatch, capsys):
    from tfmodels.cli import main

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    ckpt = str(tmp_path / "ckpt")
    args = ["train", "binary4", "--checkpoint-dir", ckpt, "--verbose", "0", "--no-images",
            "--histogram-freq", "0"]
    monkeypatch.chdir(work)
    assert main([*args, "--epochs", "1"]) == 0  # logs under work/logs, a relative --logdir
    with open(os.path.join(ckpt, "checkpoint.json")) as f:
        run_dir = json.load(f)["log_dir"]
    assert os.path.isabs(run_dir) and run_dir.startswith(str(work / "logs"))
    monkeypatch.chdir(elsewhere)
    assert main([*args, "--epochs", "2"]) == 0
    assert not (elsewhere / "logs").exists()
    assert {step for (_, tag, step) in raw_events(run_dir) if tag == "epoch_loss"} == {0, 1}
    capsys.readouterr()
    assert main([*args, "--epochs", "3", "--logdir", str(elsewhere / "logs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--logdir {elsewhere / 'logs'}: the checkpoint in " in err
    assert "leave --logdir out" in err and not (elsewhere / "logs").exists()
