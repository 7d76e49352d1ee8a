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


def _runtime_error():
    """A TensorFlow runtime error as a graph raises it: its message after the Python stack of
    the op that failed (several frames deep, as inside `fit`)."""
    def deeper(x, i):
        return tf.gather(x, i)

    def deep(x, i):
        return deeper(x, i) * 2.0

    @tf.function
    def outer(x, i):
        return deep(x, i) + 1.0

    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        outer(tf.zeros([4]), tf.constant([7]))
    return err.value


def test_folded_drops_tensorflows_python_stack_and_keeps_what_went_wrong():
    error = _runtime_error()
    assert "(most recent call last)" in str(error) and "deeper" in str(error)  # the stack is there
    words = errors.folded(error, None)
    assert "indices[0] = 7 is not in [0, 4)" in words
    assert "File " not in words and "most recent call" not in words and "deeper" not in words
    # the first line is what went wrong, not TensorFlow's heading
    assert errors.folded(error, 200, first_line=True).startswith("indices[0] = 7 is not in")
    # TF1's Session errors: the message, then "Original stack trace for ..." and its frames
    tf1 = "Incompatible shapes: [3] vs. [4]\n\t [[node add]]\n\nOriginal stack trace for 'add':" \
          "\n  File \"prog.py\", line 3, in <module>\n    y = a + b\n"
    assert errors.folded(tf1, None) == "Incompatible shapes: [3] vs. [4] [[node add]]"


def test_an_error_line_is_bounded_and_says_where_the_whole_text_is(monkeypatch, capsys):
    # a flattened stack in an environment failure's words (an OSError's text is the system's)
    stack = "Traceback (most recent call last):\n" + '  File "x.py", line 1, in f\n' * 200
    _failing_list(monkeypatch, OSError(errno.EIO, "Input/output error " + stack))
    assert cli.main(["list"]) == errors.EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= len("tfmodels: error: ") + errors.LINE_LIMIT + 1
    assert err.startswith("tfmodels: error: [Errno 5] Input/output error Traceback")
    assert err.rstrip().endswith("(cut; --debug shows the whole error)")
    # a short line is left whole
    assert errors.one_line("x " * 20) == ("x " * 20).strip()
