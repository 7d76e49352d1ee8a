"""Runs an unmodified TF 1.x program on TensorFlow 2.21: `python -m tf1_compat prog.py [args]`.

    python -m tf1_compat old_program.py --steps 100     # as `python old_program.py --steps 100`
    tf1_compat.enable()                                  # in a notebook, before the TF1 code

The program runs as `python prog.py args` would run it (`sys.argv == [prog.py, *args]`,
`__name__ == "__main__"`, its folder first on `sys.path`), after `tf.compat.v1.
disable_v2_behavior()` (graph mode, TF1's `Dimension`s so that `x.shape[-1].value` works). Only in
the program's own code (the program and the modules beside it, not site-packages), `import
tensorflow as tf`, `import tensorflow.compat.v1 as tf`, `from tensorflow.contrib import rnn` and
the like give the TF1 namespace of `tf1_compat.shim`; TensorFlow's and Keras's own imports are
untouched. Nothing is written beside the program (no `__pycache__`).

Exit statuses: the program's own (0, or what it passed to `sys.exit`); 1 and the usual traceback
when the program raises; 2 and one line when it uses a name tf1_compat does not provide, or gives
the Estimator bad input:

    tf1_compat: prog.py:12: tf.contrib.seq2seq is not provided by tf1_compat (...)
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import traceback
import types

from tf1_compat.notprovided import NotProvided, set_user_code
from tfmodels.core import errors
from tfmodels.core.errors import UserError

__all__ = ["disable", "enable", "main", "run_program"]

# our own packages, which lie under the current folder when it is this project's checkout
_PACKAGE_DIRS = (os.path.dirname(os.path.realpath(__file__)) + os.sep,
                 os.path.dirname(os.path.dirname(os.path.realpath(errors.__file__))) + os.sep)
_STATE = {"folders": (), "original": None, "cache": {}}
_USAGE = "usage: python -m tf1_compat PROGRAM.py [ARG ...]"


def _user_file(filename) -> bool:
    """Whether `filename` is the user's code: under a user folder, not an installed package."""
    cache = _STATE["cache"]
    if filename not in cache:
        path = os.path.realpath(filename) if filename and not filename.startswith("<") else ""
        cache[filename] = bool(path) and any(path.startswith(f) for f in _STATE["folders"]) and \
            not path.startswith(_PACKAGE_DIRS) and not {"site-packages", "dist-packages"} & \
            set(path.split(os.sep))
    return cache[filename]


def _is_user(filename, module_globals) -> bool:
    if (module_globals or {}).get("__name__") == "__main__":
        return True
    return _user_file(filename)


def _resolve(name: str, fromlist):
    """What `import name` (with `fromlist`) gives the user's code; raises NotProvided."""
    from tf1_compat.shim import tf1

    root = obj = tf1()
    try:
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        for item in fromlist or ():
            if item != "*":
                getattr(obj, item)
    except AttributeError as missing:  # a real module of tensorflow (tensorflow.python...)?
        try:
            module = _STATE["original"](name, None, None, fromlist, 0)
        except ModuleNotFoundError:
            if isinstance(missing, NotProvided):
                raise missing from None
            raise NotProvided("tf" + name[len("tensorflow"):], "no such module in TensorFlow "
                              "2.21") from None
        return root if not fromlist else module
    return root if not fromlist else obj


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    original = _STATE["original"]
    if level or not (name == "tensorflow" or name.startswith("tensorflow.")):
        return original(name, globals, locals, fromlist, level)
    module_globals = globals if globals is not None else sys._getframe(1).f_globals
    if not _is_user(module_globals.get("__file__"), module_globals):
        return original(name, globals, locals, fromlist, level)
    return _resolve(name, fromlist)


def _install(folders) -> None:
    _STATE["folders"] = tuple(os.path.realpath(f) + os.sep for f in folders)
    _STATE["cache"] = {}
    if _STATE["original"] is None:
        _STATE["original"] = builtins.__import__
        builtins.__import__ = _import
    set_user_code(_is_user)


def disable() -> None:
    """Undoes `enable` for imports (TensorFlow stays in TF1's graph mode)."""
    if _STATE["original"] is not None:
        builtins.__import__ = _STATE["original"]
        _STATE["original"] = None
    set_user_code(None)


def _tf1_behaviour() -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    verbosity = v1.logging.get_verbosity()
    v1.logging.set_verbosity(v1.logging.ERROR)  # its own deprecation notices are not the user's
    try:
        v1.disable_v2_behavior()
    finally:
        v1.logging.set_verbosity(verbosity)


def enable(folder=None) -> None:
    """TF1's `import tensorflow as tf` from now on, in `__main__` (a notebook's cells) and in the
    modules under `folder` (default: the current folder); TensorFlow goes to TF1's graph mode."""
    _tf1_behaviour()
    _install([folder or os.getcwd()])


def _shown(filename: str) -> str:
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative


def _innermost_user_frame(tb):
    found = None
    while tb is not None:
        if _is_user(tb.tb_frame.f_code.co_filename, tb.tb_frame.f_globals):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _report(error: BaseException, program: str) -> int:
    """One line for our kind of error (status 2); the program's traceback otherwise (1)."""
    if isinstance(error, UserError):
        where = getattr(error, "where", None) or _innermost_user_frame(error.__traceback__)
        place = f"{_shown(where[0])}:{where[1]}" if where else program
        print(f"tf1_compat: {place}: {error}", file=sys.stderr)
        return 2
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != program:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)
    return 1


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run_main(program: str) -> None:
    """Executes `program` as `python program` does: a fresh `__main__` module, `__file__` the
    absolute path (Python >= 3.9), `sys.argv[0]` left as the user wrote it."""
    with io.open_code(program) as file:
        code = compile(file.read(), program, "exec")
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=program, __builtins__=builtins, __cached__=None,
                           __loader__=None, __spec__=None)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        sys.modules["__main__"] = saved


class _Interrupts:
    """Ctrl-C that gets out of the program. Our import hook runs on every import, TensorFlow's
    own included, and some of those are made from C code (a `Session.run`) that turns an
    exception raised inside into a `SystemError` and goes on: a Ctrl-C that Python delivers
    there is lost (its traceback printed), and a `session.run` loop runs on (seen in 3 of 6
    tries of tests/test_quiet_output.py's Ctrl-C test of `tfmodels run`); so is one raised in
    TensorFlow's Python that its C++ called. So the `KeyboardInterrupt` is raised only where
    Python code called it (the program's own, `tf1_compat`'s), never in the hook nor in
    TensorFlow's, Keras's, NumPy's modules: from the first SIGINT on, tried again every 0.1 s
    (SIGALRM) until the program has stopped."""

    _MINE = {__name__, "tfmodels.__main__", "tfmodels.cli"}
    # Python code that TensorFlow's C++ calls back into (and may not check for an exception)
    _CALLED_FROM_C = ("tensorflow.", "keras.", "tf_keras.", "google.", "absl.", "numpy.")

    def __enter__(self):
        import signal
        import threading

        self.active = (threading.current_thread() is threading.main_thread()
                       and signal.getsignal(signal.SIGINT) is signal.default_int_handler
                       and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None))
        if self.active:
            self.pending = False
            self.hooks = sys.excepthook, sys.unraisablehook
            sys.excepthook = self._quiet(sys.excepthook)
            sys.unraisablehook = self._quiet(sys.unraisablehook)
            signal.signal(signal.SIGALRM, self._again)
            signal.signal(signal.SIGINT, self._interrupt)
        return self

    def _quiet(self, hook):
        """`hook`, silent while an interrupt is under way: C code that swallows it prints it."""
        def quiet(*args):
            if not self.pending:
                hook(*args)
        return quiet

    def _interrupt(self, signum, frame):
        import signal

        self.pending = True
        signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
        self._again(signum, frame)

    def _again(self, signum, frame):
        name = frame.f_globals.get("__name__") or "" if frame is not None else ""
        if self.pending and name and name not in self._MINE and \
                not name.startswith(self._CALLED_FROM_C):
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        import signal

        if self.active:
            self.pending = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            sys.excepthook, sys.unraisablehook = self.hooks
        return False


def run_program(path, argv=()) -> int:
    """Runs the TF1 program `path` with arguments `argv` under the TF1 namespace; returns its
    exit status (see the module's docstring). The caller's sys.argv and sys.path come back."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        print(f"tf1_compat: can't open file {path!r}: no such file", file=sys.stderr)
        return 2
    program = os.path.abspath(path)
    saved = sys.argv, list(sys.path), sys.dont_write_bytecode
    _tf1_behaviour()
    sys.argv, sys.dont_write_bytecode = [path, *map(str, argv)], True
    sys.path.insert(0, os.path.dirname(program))
    _install([os.path.dirname(program)])
    try:
        with _Interrupts():
            _run_main(program)
        return 0
    except SystemExit as done:
        return _exit_status(done.code)
    except Exception as error:  # noqa: BLE001 - reported as `python prog.py` would, or in a line
        return _report(error, program)
    finally:
        disable()
        sys.argv, sys.path[:], sys.dont_write_bytecode = saved[0], saved[1], saved[2]


def main(args) -> int:
    """`python -m tf1_compat PROGRAM.py [ARG ...]`."""
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not args else sys.stdout)
        return 2 if not args else 0
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
        del sys.path[0]  # `-m` put the current folder there; `python prog.py` would not
    sys.stdout.flush()
    return run_program(args[0], args[1:])

