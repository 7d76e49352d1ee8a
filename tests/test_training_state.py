"""The checkpoint folder's lock: one writer at a time, taken over only from a dead owner."""

import json
import os
import socket
import subprocess
import sys

import pytest

from tfmodels.core.errors import UserError
from tfmodels.core.training_state import LOCK_FILE, locked


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, timeout=60)
    return int(done.stdout)


def test_the_lock_names_its_owner_and_goes_with_it(tmp_path):
    folder = tmp_path / "ckpt"
    with locked(str(folder)):
        with open(folder / LOCK_FILE) as f:
            assert json.load(f) == {"pid": os.getpid(), "host": socket.gethostname()}
    assert not (folder / LOCK_FILE).exists()


def test_a_live_owner_is_refused_in_one_line_naming_it(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (folder / LOCK_FILE).write_text(json.dumps({"pid": owner.pid,
                                                    "host": socket.gethostname()}))
        with pytest.raises(UserError) as err:
            with locked(str(folder)):
                pytest.fail("a second writer got in")
        assert f"is in use by process {owner.pid} on {socket.gethostname()}" in str(err.value)
        assert (folder / LOCK_FILE).exists()  # the owner's lock is left alone
        assert sorted(os.listdir(folder)) == [LOCK_FILE]  # and no temporary file of ours
    finally:
        owner.kill()
        owner.wait(timeout=60)


def test_the_lock_of_a_dead_owner_is_taken_over(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / LOCK_FILE).write_text(json.dumps({"pid": dead_pid(),
                                                "host": socket.gethostname()}))
    with locked(str(folder)):
        with open(folder / LOCK_FILE) as f:
            assert json.load(f)["pid"] == os.getpid()


def test_the_lock_is_released_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with locked(str(tmp_path / "ckpt")):
            (tmp_path / "ckpt" / "checkpoint.json").write_text("{}")
            raise RuntimeError("training failed")
    assert os.listdir(tmp_path / "ckpt") == ["checkpoint.json"]


def test_a_folder_refused_before_any_save_is_not_left_behind(tmp_path):
    with pytest.raises(UserError):
        with locked(str(tmp_path / "new")):
            raise UserError("bad data")
    assert not (tmp_path / "new").exists()


def test_a_folder_of_someone_elses_files_is_refused_before_locking(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"holds files that are not checkpoints of ours"):
        with locked(str(tmp_path)):
            pass
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_every_field_of_the_state_has_its_check_and_no_other():
    """checkpoint.json is checked field by field (`_FIELDS`): a field added to TrainingState
    without a check would make every new checkpoint unreadable ("unknown field")."""
    import dataclasses

    from tfmodels.core import training_state

    fields = {f.name for f in dataclasses.fields(training_state.TrainingState)}
    assert set(training_state._FIELDS) == fields


HERE = os.path.dirname(os.path.abspath(__file__))


def race(folder, workers: int, trials: int) -> list:
    """The winners of each trial of `workers` processes taking over a dead owner's lock at once
    (tests/lock_race.py)."""
    done = subprocess.run([sys.executable, os.path.join(HERE, "lock_race.py"), str(folder),
                           str(workers), str(trials)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_of_processes_taking_over_a_dead_owners_lock_at_once_exactly_one_wins(tmp_path):
    # Measured with the lock before flock (remove the dead owner's file, then link a new one):
    # 4 of 200 trials had two winners; the chance that 250 trials show none is below 1%.
    winners = race(tmp_path / "ckpt", 8, 250)
    assert len(winners) == 250
    assert [n for n in winners if n != 1] == []


@pytest.mark.slow  # 5000 trials of 8 processes, 25 s
def test_of_processes_taking_over_a_dead_owners_lock_at_once_exactly_one_wins_5000(tmp_path):
    winners = race(tmp_path / "ckpt", 8, 5000)
    assert len(winners) == 5000
    assert [n for n in winners if n != 1] == []


def test_a_lock_left_by_a_killed_owner_is_taken_over(tmp_path):
    """`kill -9` leaves the file (naming a pid now gone); the kernel has dropped its flock."""
    folder = tmp_path / "ckpt"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from tfmodels.core.training_state import locked\n"
         f"with locked({str(folder)!r}):\n"
         "    print('held', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=f"in use by process {holder.pid} on"):
            with locked(str(folder)):
                pytest.fail("taken from a live owner")
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert json.loads((folder / LOCK_FILE).read_text())["pid"] == holder.pid  # left behind
    with locked(str(folder)):
        assert json.loads((folder / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert not (folder / LOCK_FILE).exists()


def test_a_flocked_lock_whose_name_is_unreadable_is_still_refused(tmp_path):
    """The kernel's lock decides, not the file's words: a holder whose file says nothing
    readable (an empty file, as just created) still keeps the folder."""
    import fcntl

    folder = tmp_path / "ckpt"
    folder.mkdir()
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(UserError, match="is in use by another process"):
            with locked(str(folder)):
                pytest.fail("a second writer got in")
    finally:
        os.close(fd)
