"""Where runs write their TensorBoard logs.

    <logdir>/<model>/<run-id>/<track>/train
    <logdir>/<model>/<run-id>/<track>/validation
"""

from __future__ import annotations

import os
import secrets
import time

TRACKS = ("keras", "tf1")
# What may stand at the top of a log folder besides run folders.
_OURS = ("README.md", ".gitignore")


def check_logdir(logdir: str) -> None:
    """A log root must be a writable folder of logs (or not yet exist); else one line why not.

    Runs only ever add folders under it, but a folder full of someone's files is most likely a
    wrong path (`--logdir ~` for `--logdir logs`): refuse it before writing anything.
    """
    from tfmodels.training_state import check_dir

    check_dir(logdir, "log folder")
    if os.path.isdir(logdir):
        foreign = sorted(n for n in os.listdir(logdir)
                         if os.path.isfile(os.path.join(logdir, n)) and n not in _OURS
                         and ".tfevents." not in n)
        if foreign:
            raise ValueError(f"log folder {logdir!r} holds files that are not TensorBoard logs "
                             f"({', '.join(foreign[:3])}); choose an empty folder or a log root")


def new_run_dir(logdir: str, model_name: str) -> str:
    """A new, empty folder for one run; never one that exists, so no run overwrites another."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    while True:
        run_dir = os.path.join(logdir, model_name, f"{stamp}-{secrets.token_hex(3)}")
        try:
            os.makedirs(run_dir)  # exist_ok=False: a clash draws a new suffix
            return run_dir
        except FileExistsError:
            continue
