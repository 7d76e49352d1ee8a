"""Processes racing to take over a dead owner's `checkpoint.lock` (`tests/test_training_state.py`).

    python tests/lock_race.py FOLDER WORKERS TRIALS

Each trial: the lock file of a process that has ended is put in FOLDER; WORKERS processes, held
at a barrier, all try `locked(FOLDER)` at once; the winners hold the lock until every worker has
tried, then let go. Prints one JSON line: the number of winners of each trial.
"""

import json
import multiprocessing
import os
import socket
import subprocess
import sys

from tfmodels.core.errors import UserError
from tfmodels.core.training_state import LOCK_FILE, locked


def worker(folder, trials, start, tried, done, wins):
    for trial in range(trials):
        start.wait()
        try:
            with locked(folder):
                with wins.get_lock():
                    wins[trial] += 1
                tried.wait()  # hold it until everyone has tried
        except UserError:
            tried.wait()
        done.wait()


def main(folder, workers, trials):
    ctx = multiprocessing.get_context("spawn")
    start, tried, done = (ctx.Barrier(workers + 1) for _ in range(3))
    wins = ctx.Array("i", trials)
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)
    stale = json.dumps({"pid": dead, "host": socket.gethostname()})
    os.makedirs(folder, exist_ok=True)
    procs = [ctx.Process(target=worker, args=(folder, trials, start, tried, done, wins))
             for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in range(trials):
        with open(os.path.join(folder, LOCK_FILE), "w") as f:
            f.write(stale)  # left by a killed owner
        start.wait()
        tried.wait()
        done.wait()
    for p in procs:
        p.join(60)
    print(json.dumps(list(wins)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
