"""Where runs write their TensorBoard logs.

    <logdir>/<model>/<run-id>/<track>/train
    <logdir>/<model>/<run-id>/<track>/validation
"""

from __future__ import annotations

import os
import secrets
import time

TRACKS = ("keras", "tf1")


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
