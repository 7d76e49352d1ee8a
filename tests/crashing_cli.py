"""`tfmodels ARGS...` that kills itself with SIGKILL part-way, as a crash or `kill -9` would.

    python crashing_cli.py step K ARGS...   # right after training step K
    python crashing_cli.py save K ARGS...   # inside the K-th checkpoint save: the new weights are
                                            # on disk, checkpoint.json is half rewritten
    python crashing_cli.py hang K ARGS...   # as `save`, but stops there (prints "hanging in
                                            # save K") for the test to kill it from outside; every
                                            # commit prints "commit_state" (K=0: never hangs)
"""

import os
import signal
import sys
import time

from tfmodels import training
from tfmodels.cli import main
from tfmodels.core import checkpoint  # the callback both tracks save through


def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


mode, k, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
calls = {"n": 0}

if mode == "step":
    original = training.TerminateOnNaN.on_batch_end

    def on_batch_end(self, batch, logs=None):  # every track runs this callback after each step
        original(self, batch, logs)
        calls["n"] += 1
        if calls["n"] == k:
            die()

    training.TerminateOnNaN.on_batch_end = on_batch_end
elif mode in ("save", "hang"):
    original_commit = checkpoint.commit_state

    def commit_state(directory, state):
        calls["n"] += 1
        if mode == "hang":  # which task of a cluster commits
            print(f"commit_state {calls['n']}", flush=True)
        if calls["n"] == k:
            with open(os.path.join(directory, ".tmp-checkpoint.json"), "w") as f:
                f.write('{"format": "tfmodels-checkpoint/1", "model": "si')  # cut off mid-write
            if mode == "save":
                die()
            print(f"hanging in save {k}", flush=True)
            time.sleep(3600)  # until killed
        original_commit(directory, state)

    checkpoint.commit_state = commit_state
else:
    raise SystemExit(f"unknown mode {mode!r}")

sys.exit(main(argv))
