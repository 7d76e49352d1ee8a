"""TensorFlow's start-up lines, as `TF_CPP_MIN_LOG_LEVEL` asks.

TensorFlow 2.21 prints a few lines as its libraries load ("oneDNN custom operations are on", "Could
not find cuda drivers", absl's "All log messages before absl::InitializeLog() ..."), before its
logging reads `TF_CPP_MIN_LOG_LEVEL`, and it prints them twice (two of its libraries each log
them). `import_tensorflow` imports TensorFlow with the process's standard error passed through a
pipe, line by line as they come (nothing is held back if the import crashes), keeping the lines
that level asks for, each once: at 0 every line once, at 1 no INFO line, at 2 (the project's
default) no INFO or WARNING line, at 3 no ERROR line either.
"""

from __future__ import annotations

import os
import re
import sys
import threading

__all__ = ["import_tensorflow", "keep_line"]

# absl's prefix: severity, date, time, thread id, then the source file
_ABSL = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ ")
_BEFORE_INIT = b"WARNING: All log messages before absl::InitializeLog() is called"
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}


def _level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:  # TensorFlow reads an unreadable value as 0
        return 0


def keep_line(line: bytes, level: int, seen: set) -> bool:
    """Whether a start-up line is shown: at or above `level`, and not shown before (absl's
    timestamp and thread id left out of the comparison)."""
    match = _ABSL.match(line)
    if match:
        if _SEVERITY[match.group(1)] < level and match.group(1) != b"F":
            return False
        key = match.group(1) + line[match.end():]
    elif line.startswith(_BEFORE_INIT):  # a notice about the INFO lines that follow it
        if level >= 1:
            return False
        key = line
    else:
        return True  # anything else (a Python warning, a crash's message) as it is
    if key in seen:
        return False
    seen.add(key)
    return True


def _forward(read_fd: int, out_fd: int, level: int) -> None:
    seen: set = set()
    with os.fdopen(read_fd, "rb") as pipe:
        for line in pipe:
            if keep_line(line, level, seen):
                os.write(out_fd, line)


def import_tensorflow() -> None:
    """`import tensorflow`, its start-up lines shown as `TF_CPP_MIN_LOG_LEVEL` asks, once."""
    if "tensorflow" in sys.modules:
        return
    try:
        saved = os.dup(2)
        read_fd, write_fd = os.pipe()
    except OSError:  # no standard error to redirect
        import tensorflow  # noqa: F401
        return
    sys.stderr.flush()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    forwarder = threading.Thread(target=_forward, args=(read_fd, saved, _level()), daemon=True)
    forwarder.start()
    try:
        import tensorflow  # noqa: F401
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer gone: the forwarder reads to its end
        forwarder.join(timeout=10)
        os.close(saved)
