"""The exit-status table of tfmodels.core.errors, and the CLI keeping to it."""

import errno
import json

import pytest
import tensorflow as tf

from tfmodels import cli
from tfmodels.core import errors
from tfmodels.core.errors import Diverged, EnvironmentFailure, UserError, exit_status
from tfmodels.core.registry import get_spec


@pytest.mark.parametrize("error, status", [
    (UserError("--epochs: expected a positive integer"), errors.EXIT_USAGE),
    (FileNotFoundError(errno.ENOENT, "no such file", "mnist.npz"), errors.EXIT_USAGE),
    (IsADirectoryError(errno.EISDIR, "is a directory", "logs"), errors.EXIT_USAGE),
    (Diverged("the loss became nan"), errors.EXIT_DIVERGED),
    (OSError(errno.ENOSPC, "No space left on device"), errors.EXIT_ENVIRONMENT),
    (OSError(errno.EFBIG, "File too large"), errors.EXIT_ENVIRONMENT),
    (EnvironmentFailure("lost the parameter server"), errors.EXIT_ENVIRONMENT),
    (tf.errors.UnavailableError(None, None, "peer gone"), errors.EXIT_ENVIRONMENT),
    (tf.errors.ResourceExhaustedError(None, None, "disk full"), errors.EXIT_ENVIRONMENT),
    (ValueError("a plain ValueError is our bug"), errors.EXIT_BUG),
    (KeyError("units"), errors.EXIT_BUG),
    (tf.errors.InvalidArgumentError(None, None, "shape mismatch in our graph"), errors.EXIT_BUG),
])
def test_exit_status_follows_the_table(error, status):
    assert exit_status(error) == status


def test_user_errors_stay_value_errors_for_callers_that_caught_those():
    with pytest.raises(UserError) as err:
        get_spec("resnet")
    assert isinstance(err.value, ValueError) and "unknown model 'resnet'" in str(err.value)


def _failing_list(monkeypatch, error):
    def fail(args):
        raise error
    monkeypatch.setitem(cli.COMMANDS, "list", fail)


@pytest.mark.parametrize("error, status", [
    (UserError("--seed -1: expected an integer >= 0"), errors.EXIT_USAGE),
    (Diverged("training diverged: the loss became nan at epoch 3"), errors.EXIT_DIVERGED),
    (OSError(errno.ENOSPC, "No space left on device"), errors.EXIT_ENVIRONMENT),
])
def test_cli_says_what_went_wrong_in_one_line(monkeypatch, capsys, error, status):
    _failing_list(monkeypatch, error)
    assert cli.main(["list"]) == status
    err = capsys.readouterr().err
    assert err.startswith("tfmodels: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_reports_a_bug_as_a_bug_with_its_traceback(monkeypatch, capsys):
    _failing_list(monkeypatch, ValueError("tracks logged different metrics"))
    assert cli.main(["list"]) == errors.EXIT_BUG
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert "a bug in tfmodels" in first and "ValueError: tracks logged different metrics" in first
    assert "Traceback (most recent call last)" in err and "in fail" in err


def test_cli_interrupted_is_status_130_without_traceback(monkeypatch, capsys):
    _failing_list(monkeypatch, KeyboardInterrupt())
    assert cli.main(["list"]) == 130
    assert capsys.readouterr().err == "tfmodels: interrupted\n"


def test_a_lost_cluster_peer_is_named_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
        "task": {"type": "worker", "index": 0}}))
    # as TensorFlow words it: this task's own name first, the peer's after
    error = tf.errors.UnavailableError(None, None, (
        "Collective ops is aborted by: failed to connect to all addresses\n"
        "Additional GRPC error information from /job:worker/replica:0/task:0 while calling "
        "remote target /job:worker/replica:0/task:1: UNAVAILABLE"))
    _failing_list(monkeypatch, error)
    assert cli.main(["list"]) == errors.EXIT_ENVIRONMENT
    assert capsys.readouterr().err == (
        "tfmodels: error: lost the cluster peer worker 1 at 127.0.0.1:2223: it stopped or "
        "cannot be reached, and the run cannot go on without it\n")


def test_folded_is_one_line_cut_to_its_limit():
    error = OSError("Unable to open file\n\t(truncated  file:   eof = 96)")
    assert errors.folded(error) == "Unable to open file (truncated file: eof = 96)"
    assert errors.folded(error, 11) == "Unable to o"
    long = ValueError("x " * 200)
    assert len(errors.folded(long)) == 160 and len(errors.folded(long, 200)) == 200
    assert errors.folded(long, None) == ("x " * 200).strip()
    # TensorFlow's C++ stack after a damaged file's message: the first line only, if asked
    stack = tf.errors.DataLossError(None, None, "  not an sstable  (bad magic)\n\tat foo.cc:12")
    assert errors.folded(stack, first_line=True) == "not an sstable (bad magic)"
    assert errors.folded(stack) == "not an sstable (bad magic) at foo.cc:12"
    assert errors.folded("", first_line=True) == ""
