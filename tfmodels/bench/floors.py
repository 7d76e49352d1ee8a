"""The machine's limits: the best float32 matmul rate (the strict floor's numerator) and the
shape-aware floor (`matmul_floor`, timed like a variant)."""

from __future__ import annotations

import json
import time

import numpy as np

__all__ = ["MatmulFloor", "matmul_rate", "measure_matmul_rate"]


class MatmulFloor:
    """The shape-aware floor: an epoch of exactly the step's five matmuls at the batch's shapes,
    in one compiled loop. Weights carried from step to step keep them from being hoisted out."""

    def __init__(self, x, y, batch):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        xb = tf.constant(x[:batch])
        g = tf.constant(rng.normal(0, 1e-3, (batch, 10)).astype(np.float32))
        w = (tf.constant(rng.normal(0, 0.05, (784, 512)).astype(np.float32)),
             tf.constant(rng.normal(0, 0.05, (512, 10)).astype(np.float32)))
        steps = len(x) // batch

        @tf.function
        def epoch(w1, w2):
            for _ in tf.range(steps):
                h = tf.matmul(xb, w1)
                tf.matmul(h, w2)  # the logits (what the loss would read)
                dw2 = tf.matmul(h, g, transpose_a=True)
                dh = tf.matmul(g, w2, transpose_b=True)
                dw1 = tf.matmul(xb, dh, transpose_a=True)
                w1, w2 = w1 - 1e-9 * dw1, w2 - 1e-9 * dw2
            return w1, w2

        self.run, self.w = epoch, w

    def epoch(self):
        self.run(*self.w)[0].numpy()


def matmul_rate(n: int = 2048, repeats: int = 10) -> dict:
    """FLOP/s of a large float32 matmul, in TensorFlow and in NumPy."""
    import tensorflow as tf

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    ta = tf.constant(a)
    rates = {}
    for name, matmul in (("tensorflow", lambda: tf.linalg.matmul(ta, ta).numpy()),
                         ("numpy", lambda: a @ a)):
        matmul()  # warm up
        start = time.perf_counter()
        for _ in range(repeats):
            matmul()
        rates[name] = repeats * 2 * n ** 3 / (time.perf_counter() - start)
    return {"matmul_flops": rates}


def measure_matmul_rate() -> float | None:
    """The best matmul rate, measured in a process of its own (TensorFlow stays out of ours)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import json; from tfmodels.bench.floors import "
                           "matmul_rate; print(json.dumps(matmul_rate()))"],
                          capture_output=True, text=True, timeout=600)
    try:
        return max(json.loads(done.stdout.strip().splitlines()[-1])["matmul_flops"].values())
    except (ValueError, IndexError, KeyError):
        return None
