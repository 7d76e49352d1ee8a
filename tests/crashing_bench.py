"""A bench variant's process (`tfmodels.bench --serve ...`) with two test-only variants:

- `segfault`: tf1_feed that dies of SIGSEGV in its first timed epoch, as torch once did in
  free() when it shared a process with TensorFlow;
- `numpy_peer`: a peer framework stand-in (a NumPy step), to check that a peer's process loads
  no TensorFlow.
"""

import os
import signal
import sys

import numpy as np

from tfmodels import bench


class Segfault(bench.TF1Track):
    calls = 0

    def epoch(self):
        Segfault.calls += 1
        if Segfault.calls == 2:  # the warm-up passes, the first timed epoch dies
            os.kill(os.getpid(), signal.SIGSEGV)
        super().epoch()


class NumpyPeer:
    def __init__(self, x, y, batch):
        self.x, self.w = x, np.zeros((784, 10), np.float32)

    def epoch(self):
        self.w += 1e-6 * (self.x[:32].T @ np.ones((32, 10), np.float32))


bench.CLASSES.update(segfault=Segfault, numpy_peer=NumpyPeer)
bench.PEERS["numpy_peer"] = "numpy"
sys.exit(bench.main(["--serve", *sys.argv[1:]]))
