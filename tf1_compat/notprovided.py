"""The one error for a TF1 name that `tf1_compat` does not provide, with where the user asked.

`NotProvided` is a `UserError` (exit status 2) and an `AttributeError`, so `hasattr(tf.contrib,
"seq2seq")` is False and `getattr(tf, name, None)` works as it did for a missing name in TF1.
`where` is the innermost frame of the user's own code that asked for the name, found by the
predicate `set_user_code` installs (the runner's); `python -m tf1_compat` prints it as
`tf1_compat: prog.py:12: tf.contrib.seq2seq is not provided by tf1_compat (...)`.
"""

from __future__ import annotations

import sys

from tfmodels.core.errors import UserError

__all__ = ["NotProvided", "set_user_code", "user_location"]

_USER_CODE = [None]  # a predicate (filename, module globals) -> bool, or None


def set_user_code(predicate) -> None:
    """Tells `NotProvided` which frames are the user's (None: no location)."""
    _USER_CODE[0] = predicate


def user_location(frame=None):
    """`(filename, line)` of the innermost frame of the user's code, or None."""
    predicate = _USER_CODE[0]
    frame = frame or sys._getframe(1)
    while predicate is not None and frame is not None:
        if predicate(frame.f_code.co_filename, frame.f_globals):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


class NotProvided(UserError, AttributeError):
    """`name` (as `tf.contrib.seq2seq`) is not provided by tf1_compat; `note` says what is."""

    def __init__(self, name: str, note: str = ""):
        self.api = name
        self.where = user_location(sys._getframe(1))
        text = f"{name} is not provided by tf1_compat"
        super().__init__(f"{text} ({note})" if note else text)
