"""A pytest plugin for checking that mutmut gives every mutant a fresh process.

`MUTATION_PIDS=FILE tools/mutation.sh MODULE` loads it (`-p tools.mutation_pids`) into every test
run: each run appends one line to FILE, "pid parent-pid tf-at-start tf-at-end". Distinct pids, one
line per mutant plus the baseline, and `tf-at-start` always False (no TensorFlow inherited from a
parent, as a fork would) show that each mutant ran in a new process (docs/testing.md).
"""

import os
import sys

_at_start = "tensorflow" in sys.modules


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["MUTATION_PIDS"], "a") as f:
        f.write(f"{os.getpid()} {os.getppid()} {_at_start} {'tensorflow' in sys.modules} "
                f"{int(exitstatus)}\n")
