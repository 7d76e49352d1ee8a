"""Checkpoints that detect damage, SIGTERM, and a copied checkpoint folder's own run.

A checkpoint's files (Keras: `ckpt-N.weights.h5`; TF1: `ckpt-N.index`, `ckpt-N.data-*`; both:
`checkpoint.json`) are checked against their digests before anything loads them: one flipped
bit anywhere in any of them is one line naming the file.
"""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tfmodels.cli import main
from tfmodels.core.data import load_dataset
from tfmodels.core.errors import UserError
from tfmodels.core.logs import LogOptions
from tfmodels.core.registry import get_spec
from tfmodels.core.training_state import (
    FORMAT,
    LOCK_FILE,
    STATE_FILE,
    UNSEALED_FORMAT,
    load_state,
    seal,
    snapshot,
    verify_checkpoint,
)
from tfmodels.training import train

SPEC = get_spec("binary4", epochs=1)  # 16 steps: the smallest model there is
DATA = load_dataset("binary4")
QUIET = LogOptions(histogram_freq=0, images=False)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """{track: a checkpoint folder of one epoch of binary4}, trained once for the module."""
    root = tmp_path_factory.mktemp("checkpoints")
    for track in ("keras", "tf1"):
        train(track, SPEC, DATA, checkpoint_dir=str(root / track), verbose=0, log=None)
    return {track: root / track for track in ("keras", "tf1")}


def copy_of(folder, tmp_path, name="ckpt"):
    return shutil.copytree(folder, tmp_path / name)


def kind(name: str) -> str:
    return ("json" if name == STATE_FILE else "h5" if name.endswith(".h5")
            else "index" if name.endswith(".index") else "data")


def positions(size: int) -> list[int]:
    """Byte positions over every region of a file: every other byte of the first 128 (headers,
    an HDF5 superblock, the seal), 128 spread evenly over the whole, the last bytes."""
    head = list(range(0, min(size, 128), 2))
    spread = [i * (size - 1) // 127 for i in range(128)]
    return sorted(set(head + spread + [max(size - 2, 0), size - 1]))


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_the_digests_cover_every_file_of_the_checkpoint(checkpoints, track):
    state = verify_checkpoint(str(checkpoints[track]))
    files = set(os.listdir(checkpoints[track])) - {STATE_FILE}
    assert set(state.files) == files
    assert {kind(n) for n in files} == ({"h5"} if track == "keras" else {"index", "data"})
    raw = (checkpoints[track] / STATE_FILE).read_bytes()
    assert raw.startswith(b'{\n "seal": "') and json.loads(raw)["format"] == FORMAT


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_every_single_bit_flip_in_every_file_is_detected(checkpoints, track, tmp_path):
    folder = copy_of(checkpoints[track], tmp_path)
    flips, missed, seen = {}, 0, set()
    for name in sorted(os.listdir(folder)):
        path = folder / name
        original = path.read_bytes()
        for n, at in enumerate(positions(len(original))):
            damaged = bytearray(original)
            damaged[at] ^= 1 << (n % 8)
            path.write_bytes(damaged)
            try:
                verify_checkpoint(str(folder))
                missed += 1
            except UserError as e:
                assert str(e) == (f"corrupted checkpoint {folder}: file {name} does not "
                                  f"match its digest"), (name, at, str(e))
            flips[name] = flips.get(name, 0) + 1
            seen.add(kind(name))
        path.write_bytes(original)
    assert missed == 0 and min(flips.values()) >= 150, (missed, flips)
    assert seen == ({"json", "h5"} if track == "keras" else {"json", "index", "data"})
    verify_checkpoint(str(folder))  # whole again


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_evaluate_predict_and_resume_refuse_a_flipped_bit_in_one_line(checkpoints, track,
                                                                      tmp_path, capsys):
    folder = copy_of(checkpoints[track], tmp_path)
    state = json.loads((folder / STATE_FILE).read_text())
    name = sorted(state["files"])[-1]  # the .weights.h5, TF1's .index
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0x10
    (folder / name).write_bytes(data)
    np_x = tmp_path / "x.npy"
    __import__("numpy").save(np_x, DATA.x_val[:3])
    line = f"corrupted checkpoint {folder}: file {name} does not match its digest"
    for argv in (["evaluate", str(folder)], ["predict", str(folder), "--data", str(np_x)],
                 ["train", "binary4", "--track", track, "--epochs", "2", "--checkpoint-dir",
                  str(folder), "--logdir", str(tmp_path / "logs")]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and line in err, (argv, err)
    assert "no earlier checkpoint is kept" in err
    assert not (tmp_path / "logs").exists() and not (folder / LOCK_FILE).exists()


def test_a_snapshot_names_the_users_folder_not_its_copy(checkpoints, tmp_path):
    folder = copy_of(checkpoints["keras"], tmp_path)
    raw = bytearray((folder / STATE_FILE).read_bytes())
    raw[-5] ^= 1
    (folder / STATE_FILE).write_bytes(raw)
    with pytest.raises(UserError) as err:
        with snapshot(str(folder)):
            pytest.fail("a damaged checkpoint was copied")
    assert str(err.value) == (f"corrupted checkpoint {folder}: file {STATE_FILE} does not "
                              f"match its digest")


def unsealed(folder):
    """Rewrite a checkpoint as tfmodels wrote it before digests: format 1, no seal, no
    digests, no folder."""
    fields = json.loads((folder / STATE_FILE).read_text())
    for key in ("seal", "files", "folder"):
        del fields[key]
    fields["format"] = UNSEALED_FORMAT
    (folder / STATE_FILE).write_text(json.dumps(fields, indent=1))


def test_a_checkpoint_from_before_digests_loads_with_one_warning(checkpoints, tmp_path, capsys):
    folder = copy_of(checkpoints["keras"], tmp_path)
    unsealed(folder)
    assert main(["evaluate", str(folder)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tfmodels: warning: the checkpoint in" in err
    assert "saved before checkpoints carried digests" in err
    # its resumption's first save adds them
    assert main(["train", "binary4", "--epochs", "2", "--checkpoint-dir", str(folder),
                 "--logdir", str(tmp_path / "logs"), "--verbose", "0", "--no-images",
                 "--histogram-freq", "0"]) == 0
    assert verify_checkpoint(str(folder)).files


def test_a_sealed_checkpoint_that_lost_its_seal_is_refused(checkpoints, tmp_path):
    """Passing for one written before digests takes format 1: a format 2 file without its seal
    (or with it cut off) is damage, not an old checkpoint."""
    folder = copy_of(checkpoints["keras"], tmp_path)
    fields = json.loads((folder / STATE_FILE).read_text())
    del fields["seal"]
    (folder / STATE_FILE).write_text(json.dumps(fields, indent=1))
    with pytest.raises(UserError, match="file checkpoint.json does not match its digest"):
        verify_checkpoint(str(folder))


def test_a_resealed_state_with_a_wrong_field_says_which(checkpoints, tmp_path):
    """The seal proves the bytes are as saved; the fields are still checked one by one."""
    folder = copy_of(checkpoints["keras"], tmp_path)
    fields = json.loads((folder / STATE_FILE).read_text())
    del fields["seal"]
    (folder / STATE_FILE).write_bytes(seal({**fields, "epoch": -1}))
    with pytest.raises(UserError, match="epoch is -1; expected an integer >= 0"):
        load_state(str(folder / STATE_FILE))


def test_a_missing_weight_file_is_named(checkpoints, tmp_path):
    folder = copy_of(checkpoints["tf1"], tmp_path)
    data = next(n for n in os.listdir(folder) if ".data-" in n)
    os.remove(folder / data)
    with pytest.raises(UserError, match=f"file {data} is missing"):
        verify_checkpoint(str(folder))


# --- SIGTERM -----------------------------------------------------------------------------------

@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_sigterm_is_an_interrupt_the_lock_released_the_checkpoint_whole(track, tmp_path):
    ckpt = tmp_path / "ckpt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tfmodels.cli", "train", "binary4", "--track", track,
         "--epochs", "500", "--checkpoint-dir", str(ckpt), "--save-every", "3", "--verbose",
         "0", "--logdir", str(tmp_path / "logs"), "--no-images", "--histogram-freq", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (ckpt / STATE_FILE).exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            time.sleep(0.05)
        time.sleep(0.5)  # well into training, saving every 3 steps
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err[-2000:]
    assert err.strip().splitlines()[-1] == "tfmodels: interrupted"
    assert "Traceback" not in err
    assert not (ckpt / LOCK_FILE).exists()
    state = verify_checkpoint(str(ckpt))  # the last complete checkpoint, whole
    assert 0 < state.iterations < 500 * 16
    assert not [n for n in os.listdir(ckpt) if n.startswith(".tmp-")]


# --- a copy of a checkpoint folder -------------------------------------------------------------

def event_files(root) -> dict:
    return {os.path.join(d, n): open(os.path.join(d, n), "rb").read()
            for d, _, names in os.walk(root) for n in names if ".tfevents." in n}


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_resuming_a_copy_leaves_the_original_runs_logs_alone(track, tmp_path):
    logs, original, copy = tmp_path / "logs", str(tmp_path / "a"), str(tmp_path / "b")
    kw = dict(log_root=str(logs), options=QUIET, verbose=0, save_every=5)
    train(track, SPEC, DATA, checkpoint_dir=original, log=None, **kw)  # epoch 1
    shutil.copytree(original, copy)  # a backup, taken after epoch 1
    two = dataclasses.replace(SPEC, epochs=2)
    train(track, two, DATA, checkpoint_dir=original, log=None, **kw)  # the original goes on
    run = json.loads(open(os.path.join(original, STATE_FILE)).read())["log_dir"]
    before = event_files(run)
    assert before
    lines = []
    result = train(track, dataclasses.replace(SPEC, epochs=3), DATA, checkpoint_dir=copy,
                   log=lines.append, **kw)
    assert event_files(run) == before  # byte for byte: not cut back to the copy's epoch 1
    assert result.log_dir != run and os.path.commonpath([result.log_dir, str(logs)]) == str(logs)
    assert event_files(result.log_dir)
    said = [s for s in lines if "is a copy of" in s]
    assert len(said) == 1 and os.path.realpath(original) in said[0], lines
    # the copy's checkpoint is its own now: resumed again, it goes on in its new run
    state = verify_checkpoint(copy)
    assert state.folder == os.path.realpath(copy) and state.log_dir == result.log_dir


# --- the previous checkpoint, kept for a fallback ----------------------------------------------

def test_a_damaged_checkpoint_resumes_from_the_previous_one_and_ends_as_an_unbroken_run(
        tmp_path, capsys):
    two = dataclasses.replace(SPEC, epochs=2)
    kw = dict(save_every=5, verbose=0, log=None)
    unbroken = train("keras", two, DATA, checkpoint_dir=str(tmp_path / "a"), **kw)
    ckpt = tmp_path / "b"
    train("keras", SPEC, DATA, checkpoint_dir=str(ckpt), **kw)  # saves at steps 5, 10, 15, 16
    kept = json.loads((ckpt / "checkpoint.previous.json").read_text())
    assert kept["iterations"] == 15 and (ckpt / kept["weights"]).exists()
    current = ckpt / json.loads((ckpt / STATE_FILE).read_text())["weights"]
    data = bytearray(current.read_bytes())
    data[len(data) // 2] ^= 0x01
    current.write_bytes(data)
    capsys.readouterr()
    resumed = train("keras", two, DATA, checkpoint_dir=str(ckpt), **kw)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        f"tfmodels: warning: corrupted checkpoint {ckpt}: file {current.name} does not match "
        f"its digest; resuming from the previous checkpoint instead (epoch 1, step 15, 15 "
        f"steps trained)"), err
    for a, b in zip(resumed.weights, unbroken.weights):
        np.testing.assert_array_equal(a, b)
    assert resumed.history == unbroken.history
    # the damaged files went with the saves that followed; what is left is whole
    assert verify_checkpoint(str(ckpt)).iterations == 32
    assert not current.exists()


def test_with_the_previous_checkpoint_damaged_too_the_resume_is_refused(tmp_path):
    ckpt = tmp_path / "ckpt"
    train("tf1", SPEC, DATA, checkpoint_dir=str(ckpt), save_every=5, verbose=0, log=None)
    for state_file in (STATE_FILE, "checkpoint.previous.json"):
        weights = json.loads((ckpt / state_file).read_text())["weights"]
        index = ckpt / f"{weights}.index"
        data = bytearray(index.read_bytes())
        data[7] ^= 0x80
        index.write_bytes(data)
    with pytest.raises(UserError, match="does not match its digest; no earlier checkpoint is "
                                        "kept to resume from instead"):
        train("tf1", dataclasses.replace(SPEC, epochs=2), DATA, checkpoint_dir=str(ckpt),
              save_every=5, verbose=0, log=None)


def test_a_damaged_checkpoint_is_never_kept_as_the_previous_one(checkpoints, tmp_path):
    """A save keeps the checkpoint it replaces only if it is whole: a damaged one kept as the
    'previous' would be resumed from when the next one is damaged too."""
    from tfmodels.core.training_state import PREVIOUS_FILE, commit_state

    folder = copy_of(checkpoints["keras"], tmp_path)
    state = verify_checkpoint(str(folder))
    good = (folder / state.weights).read_bytes()
    (folder / "ckpt-00000020.weights.h5").write_bytes(good)  # the next save's weights
    newer = dataclasses.replace(state, weights="ckpt-00000020.weights.h5", iterations=20)
    commit_state(str(folder), newer)  # the one it replaces is whole: kept
    assert load_state(str(folder / PREVIOUS_FILE)).weights == state.weights
    damaged = bytearray(good)
    damaged[len(damaged) // 3] ^= 0x02
    (folder / "ckpt-00000020.weights.h5").write_bytes(damaged)
    (folder / "ckpt-00000024.weights.h5").write_bytes(good)
    commit_state(str(folder), dataclasses.replace(newer, weights="ckpt-00000024.weights.h5",
                                                  iterations=24))
    # the damaged one (20) is not kept: the previous is still the whole one before it
    assert load_state(str(folder / PREVIOUS_FILE)).weights == state.weights
    assert not (folder / "ckpt-00000020.weights.h5").exists()
    assert verify_checkpoint(str(folder)).iterations == 24
