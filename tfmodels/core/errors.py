"""Whose fault it was: one exception type per kind of failure, one exit status per kind.

Every `tfmodels` command ends with one of these statuses (README: "Exit statuses"):

| status | meaning                                     | raised as                               |
|--------|---------------------------------------------|-----------------------------------------|
| 0      | done                                        |                                         |
| 1      | the two sides disagree (`compare`)          | a result, not an exception              |
| 2      | a mistake in what the user gave             | `UserError`; a missing file they named  |
| 3      | training diverged (the loss became NaN/inf) | `Diverged`                              |
| 4      | the environment failed (disk full, I/O      | `EnvironmentFailure`, or any other      |
|        | error, a lost cluster peer)                 | `OSError`; TensorFlow's Unavailable...  |
| 70     | a bug in tfmodels                           | anything else (printed with traceback)  |

`UserError` is a `ValueError` and `Diverged` a `FloatingPointError`, so code that caught those
before keeps working. A `ValueError` that is not a `UserError` is *our* bug, not the user's: it
ends in status 70 with its traceback instead of being dressed up as a usage error.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys

__all__ = [
    "EXIT_OK", "EXIT_DISAGREE", "EXIT_USAGE", "EXIT_DIVERGED", "EXIT_ENVIRONMENT", "EXIT_BUG",
    "UserError", "LINE_LIMIT", "folded", "own_words", "one_line", "Diverged", "EnvironmentFailure",
    "exit_status", "io_failure", "lost_peer",
]

EXIT_OK = 0
EXIT_DISAGREE = 1
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_ENVIRONMENT = 4
EXIT_BUG = 70  # EX_SOFTWARE of sysexits.h: an internal software error

# A path the user named that is not there (or not what it must be): their mistake, not the
# machine's. Every other OSError (ENOSPC, EFBIG, EIO, EACCES, ...) is the environment's.
_USER_OS_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError)

# TensorFlow's errors that mean the machine or the cluster failed, not our code or the input.
_TF_ENVIRONMENT_ERRORS = ("UnavailableError", "ResourceExhaustedError", "DeadlineExceededError",
                          "AbortedError", "CancelledError")


# The disk failed under a write (or read): full, over a size or quota limit, broken, read-only.
_IO_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS)


class UserError(ValueError):
    """A mistake in what the user gave (an argument, a file, a spec): exit status 2."""


# The longest error line a command prints: a longer one is cut there, saying so and where the
# whole text is (`--debug`). Our own messages stay well below it; an exception's words that reach
# one are the ones it would cut (a stack flattened into the line says nothing a person reads).
LINE_LIMIT = 500
_CUT = " ... (cut; --debug shows the whole error)"

# TensorFlow's runtime errors carry the Python stack where the failing op was made:
#   Graph execution error:\n\nDetected at node X defined at (most recent call last):\n
#     File "...", line N, in f\n ... \n<the message>\n\t [[{{node X}}]] [Op:...]
# and TF1's Session errors append "Original stack trace for 'X':" and its frames. A Python
# traceback written into an error's words (TensorFlow's "Failed to load the native TensorFlow
# runtime" ImportError) is frames too.
_TF_HEADER = re.compile(r"^(Graph execution error:|Detected at node .* defined at \(most recent "
                        r"call last\):|Traceback \(most recent call last\):)$")
_TF_TAIL = re.compile(r"^Original stack trace for .*:$")


def own_words(text: str) -> str:
    """An error's text without the Python stack TensorFlow (or a traceback) writes into it (its
    frames and their source lines): what it says went wrong, and at which node."""
    kept, in_frames = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if _TF_TAIL.match(stripped):
            break
        if _TF_HEADER.match(stripped):
            in_frames = not stripped.startswith("Graph")
            continue
        if in_frames and (not stripped or line.startswith("  ")):
            continue  # a frame, its source line, or the blank line between frames
        in_frames = False
        kept.append(line)
    return "\n".join(kept) if kept else text


def one_line(message, limit: int | None = LINE_LIMIT) -> str:
    """A command's error line: `folded` whole, or cut at `limit` characters saying it was cut
    and where the whole text is."""
    text = folded(message, None)
    if limit is not None and len(text) > limit:
        return text[:limit - len(_CUT)].rstrip() + _CUT
    return text


def folded(error, limit: int | None = 160, *, first_line: bool = False) -> str:
    """An error's words (or a message's) as one line for a one-line refusal: TensorFlow's
    Python stack dropped (`own_words`), whitespace runs folded to single spaces, cut to `limit`
    characters (None: whole). `first_line=True` keeps only the first line, where TensorFlow's
    C++ stack follows a damaged file's message."""
    text = own_words(str(error))
    if first_line:
        text = (text.strip().splitlines() or [""])[0]
    text = " ".join(text.split())
    return text if limit is None else text[:limit]


class Diverged(FloatingPointError):
    """Training stopped because the loss became NaN or infinite: exit status 3."""


class EnvironmentFailure(OSError):
    """The machine or the cluster failed under us (disk full, I/O error, a lost peer): status 4."""


def exit_status(error: BaseException) -> int:
    """The exit status of the table above for an exception that ended a command."""
    if isinstance(error, UserError) or isinstance(error, _USER_OS_ERRORS):
        return EXIT_USAGE
    if isinstance(error, Diverged):
        return EXIT_DIVERGED
    if isinstance(error, OSError) or _is_tf_environment_error(error) or io_failure(error):
        return EXIT_ENVIRONMENT
    return EXIT_BUG


def io_failure(error: BaseException) -> str | None:
    """The system's words for a disk that failed under a write ("No space left on device",
    "File too large", ...), however deep it was raised, else None. TensorFlow's writers (event
    files, Saver) and h5py report errno in their own exception types, with the system's words."""
    if isinstance(error, OSError) and error.errno in _IO_ERRNOS:
        return os.strerror(error.errno)
    text = str(error)
    return next((os.strerror(code) for code in _IO_ERRNOS if os.strerror(code) in text), None)


def lost_peer(error: BaseException) -> str | None:
    """One line naming the cluster task that a TensorFlow error says was lost, else None.

    TensorFlow names tasks `/job:worker/replica:0/task:1` in its errors (this task's own name
    too): the first task that is not this one (`TF_CONFIG`) is the lost peer.
    """
    if not _is_tf_environment_error(error):
        return None
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    me = config.get("task", {})
    for job, task in re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", str(error)):
        if (job, int(task)) != (me.get("type"), me.get("index")):
            addresses = config.get("cluster", {}).get(job, [])
            where = f" at {addresses[int(task)]}" if int(task) < len(addresses) else ""
            return (f"lost the cluster peer {job} {task}{where}: it stopped or cannot be "
                    f"reached, and the run cannot go on without it")
    return None


def _is_tf_environment_error(error: BaseException) -> bool:
    tf = sys.modules.get("tensorflow")  # never import TensorFlow just to classify an error
    if tf is None:
        return False
    return any(isinstance(error, getattr(tf.errors, name)) for name in _TF_ENVIRONMENT_ERRORS)
