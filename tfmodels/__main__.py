"""`tfmodels` (the installed command) and `python -m tfmodels`: `tfmodels.cli.main`, with Ctrl-C
said in one line at every moment of the process, not only while a command runs.

A command starts TensorFlow (seconds) before it runs; a Ctrl-C then would end in Python's
traceback of an import. And after the command, Python joins threads and runs exit handlers
(TensorFlow's, TensorBoard's writers): a Ctrl-C there would end with status 130 and no word.
Here the import happens inside the same `KeyboardInterrupt` handling as the command, and from
the command's end to the process's a Ctrl-C says `tfmodels: interrupted` and exits 130 at once.
"""

import os
import signal
import sys

__all__ = ["main", "INTERRUPTED"]

INTERRUPTED = "tfmodels: interrupted"
_STATUS = 128 + signal.SIGINT  # as the shell reports a command ended by Ctrl-C


def _interrupted_at_exit(signum, frame) -> None:
    """Ctrl-C while the process shuts down: the command's output kept, one line, status 130."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass  # a closed or broken stdout: nothing more to keep
    os.write(2, (INTERRUPTED + "\n").encode())
    os._exit(_STATUS)


def main(argv=None) -> int:
    """Run a command (`argv`: the command line's words, default `sys.argv[1:]`); its status."""
    try:
        run_command = _import_the_command()
        status = run_command(argv)
    except KeyboardInterrupt:  # during the import (the command's own are said by cli.main)
        print(INTERRUPTED, file=sys.stderr)
        status = _STATUS
    if _in_main_thread():  # only the main thread may set a signal handler
        signal.signal(signal.SIGINT, _interrupted_at_exit)
    return status


def _import_the_command():
    """`tfmodels.cli.main`, imported with Ctrl-C noted: an interrupt in the middle of a
    library's import can come out as another error (NumPy's C extension half loaded ends in an
    ImportError), which is then the interrupt, said as one."""
    noted = []

    def note(signum, frame):
        noted.append(signum)
        raise KeyboardInterrupt

    own = _in_main_thread()
    if own:
        signal.signal(signal.SIGINT, note)
    try:
        from tfmodels.cli import main as run_command
    except Exception:
        if noted:
            raise KeyboardInterrupt from None
        raise
    finally:
        if own:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    return run_command


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
