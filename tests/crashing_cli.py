"""`tfmodels ARGS...` that kills itself with SIGKILL part-way, as a crash or `kill -9` would.

    python crashing_cli.py step K ARGS...   # right after training step K
    python crashing_cli.py save K ARGS...   # inside the K-th checkpoint save: the new weights are
                                            # on disk, checkpoint.json is half rewritten
"""

import os
import signal
import sys

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
elif mode == "save":
    original_commit = checkpoint.commit_state

    def commit_state(directory, state):
        calls["n"] += 1
        if calls["n"] == k:
            with open(os.path.join(directory, ".tmp-checkpoint.json"), "w") as f:
                f.write('{"format": "tfmodels-checkpoint/1", "model": "si')  # cut off mid-write
            die()
        original_commit(directory, state)

    checkpoint.commit_state = commit_state
else:
    raise SystemExit(f"unknown mode {mode!r}")

sys.exit(main(argv))
