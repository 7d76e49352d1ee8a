"""Every user mistake gets one line that names the value and what was expected, and changes
nothing: no run folder, no checkpoint, no half-written file.

The mistakes that are one line of data live in `test_bad_input_catalogue.py`; here are those that
need a setting of their own (a folder made unwritable in a child process, a checkpoint damaged
after a real run, `--debug`)."""

import json
import os

import pytest

from tfmodels.cli import main


def snapshot(*folders):
    return {str(f): sorted(os.walk(f)) if os.path.exists(f) else None for f in folders}


def run_cli(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


# --- the command line ---------------------------------------------------------------------------

def test_foreign_log_folder_is_refused(capsys, tmp_path):
    (tmp_path / "thesis.docx").write_text("not a log")
    before = snapshot(tmp_path)
    code, err = run_cli(capsys, "train", "sine", "--logdir", str(tmp_path))
    assert code == 2 and "holds files that are not TensorBoard logs (thesis.docx)" in err
    assert snapshot(tmp_path) == before


def test_log_folder_that_is_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "logs").write_text("")
    code, err = run_cli(capsys, "compare", "sine", "--logdir", str(tmp_path / "logs"))
    assert code == 2 and "is a file, not a folder" in err


CHILD_SECONDS = 60  # a check of one folder; what it takes beyond that is a hang


def read_until_closed(fd, seconds):
    """Everything written to the pipe `fd` until its last write end closes, within `seconds`."""
    import select
    import time

    chunks, deadline = [], time.monotonic() + seconds
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"the child wrote nothing and kept its pipe open for {seconds} s"
        chunk = os.read(fd, 4096)
        if not chunk:
            return b"".join(chunks).decode()
        chunks.append(chunk)


def reap(pid, seconds):
    """Wait for the child `pid`; SIGKILL it if it outlives `seconds`."""
    import signal
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_unwritable_log_folder_is_refused(tmp_path):
    """Run by an unprivileged user (root may write anywhere), in a forked child."""
    from tfmodels.core.logs import check_logdir

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    os.chmod(tmp_path, 0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody if we are root, check, report, and exit at once
        try:
            os.close(read)
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                check_logdir(str(locked / "logs"))
                message = "no error"
            except PermissionError as e:
                message = str(e)
            except BaseException as e:  # anything else is the parent's to report, not a hang
                message = f"unexpected {type(e).__name__}: {e}"
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)  # the child holds the only write end: its exit ends the parent's read
    try:
        message = read_until_closed(read, CHILD_SECONDS)
    finally:
        os.close(read)
        reap(pid, 5)  # it has closed its pipe and is exiting; or it hangs, and is killed
    assert "is not writable (no write permission on" in message, message
    assert not (locked / "logs").exists()


def test_foreign_checkpoint_folder_is_refused(capsys, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "notes.txt").write_text("mine")
    before = snapshot(ckpt, tmp_path / "logs")
    code, err = run_cli(capsys, "train", "sine", "--checkpoint-dir", str(ckpt), "--logdir",
                        str(tmp_path / "logs"))
    assert code == 2 and "holds files that are not checkpoints of ours (notes.txt)" in err
    assert snapshot(ckpt, tmp_path / "logs") == before


@pytest.fixture(scope="module")
def sine_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sine") / "ckpt"
    assert main(["train", "sine", "--epochs", "1", "--checkpoint-dir", str(folder), "--logdir",
                 str(folder.parent / "logs"), "--verbose", "0"]) == 0
    return folder


def copy_of(folder, tmp_path):
    import shutil

    return shutil.copytree(folder, tmp_path / "ckpt")


def test_checkpoint_of_another_model_is_refused(capsys, tmp_path, sine_checkpoint):
    ckpt = copy_of(sine_checkpoint, tmp_path)
    before = snapshot(ckpt, tmp_path / "logs")
    code, err = run_cli(capsys, "train", "binary4", "--checkpoint-dir", str(ckpt), "--logdir",
                        str(tmp_path / "logs"))
    assert code == 2 and "is of model 'sine'" in err and "use another --checkpoint-dir" in err
    assert snapshot(ckpt, tmp_path / "logs") == before


def test_checkpoint_with_other_settings_is_refused(capsys, tmp_path, sine_checkpoint):
    ckpt = copy_of(sine_checkpoint, tmp_path)
    code, err = run_cli(capsys, "train", "sine", "--batch-size", "16", "--checkpoint-dir",
                        str(ckpt), "--logdir", str(tmp_path / "logs"))
    assert code == 2 and "other settings (batch_size)" in err


def test_checkpoint_of_the_other_track_says_how_to_go_on(capsys, tmp_path, sine_checkpoint):
    ckpt = copy_of(sine_checkpoint, tmp_path)
    code, err = run_cli(capsys, "train", "sine", "--track", "tf1", "--checkpoint-dir",
                        str(ckpt), "--logdir", str(tmp_path / "logs"))
    assert code == 2 and "written by the keras track; resume it with --track keras" in err


@pytest.mark.parametrize("damage", ["state", "weights"])
def test_corrupted_checkpoint_is_refused(capsys, tmp_path, sine_checkpoint, damage):
    ckpt = copy_of(sine_checkpoint, tmp_path)
    state = json.loads((ckpt / "checkpoint.json").read_text())
    if damage == "state":
        (ckpt / "checkpoint.json").write_text('{"format": "tfmodels-checkp')
    else:
        weights = ckpt / state["weights"]
        weights.write_bytes(weights.read_bytes()[:100])
    before = snapshot(ckpt, tmp_path / "logs")
    code, err = run_cli(capsys, "train", "sine", "--epochs", "2", "--checkpoint-dir", str(ckpt),
                        "--logdir", str(tmp_path / "logs"))
    assert code == 2 and "corrupted checkpoint" in err and "\n" not in err
    assert "Traceback" not in err
    assert snapshot(ckpt, tmp_path / "logs") == before


def test_unreadable_checkpoint_state_is_one_line_in_convert(capsys, tmp_path):
    """`convert` reads a folder's checkpoint.json through the same loader as `train`."""
    (tmp_path / "ckpt" / "checkpoint.json").mkdir(parents=True)  # exists, cannot be read
    code, err = run_cli(capsys, "convert", "--from", "keras", "--to", "tf1",
                        str(tmp_path / "ckpt"), str(tmp_path / "out"))
    assert code == 2 and "corrupted checkpoint" in err and "\n" not in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="unknown model"):
        main(["train", "mlp", "--debug"])
